"""Files are written whole or not at all (grader.files)."""

from __future__ import annotations

import pytest

from grader.files import write_text_whole, written_whole


def test_a_finished_write_replaces_the_file_and_a_failed_one_leaves_it(tmp_path):
    path = tmp_path / "grades.csv"
    write_text_whole(path, "old\n")
    with pytest.raises(KeyboardInterrupt), written_whole(path) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt  # Ctrl-C mid-write
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["grades.csv"]
    with written_whole(path) as tmp:
        assert tmp.parent == path.parent and tmp.name.startswith(".")
        tmp.write_text("new\n")
    assert path.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["grades.csv"]
