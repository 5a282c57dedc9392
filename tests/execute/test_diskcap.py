"""The work dir's disk cap: counting, the watch that kills, and what is left after."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from grader.execute.diskcap import DiskWatch, Usage, clear, space_warning, usage


def fill(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))


def test_usage_counts_what_files_take_on_disk_below_the_folder(tmp_path):
    fill(tmp_path / "a.bin", 1 << 20)
    fill(tmp_path / "deep" / "er" / "b.bin", 1 << 20)
    with open(tmp_path / "sparse.bin", "wb") as f:
        f.truncate(1 << 30)  # 1 GiB long, nothing written: takes no disk
    (tmp_path / "link").symlink_to("/usr")  # counted as a link, never followed
    used = usage(tmp_path)
    assert 2 << 20 <= used.bytes < 3 << 20
    assert used.entries == 6  # a.bin, deep, er, b.bin, sparse.bin, link


def test_usage_stops_counting_once_over_either_bound(tmp_path):
    for i in range(50):
        (tmp_path / f"f{i}").touch()
    assert usage(tmp_path, max_entries=10).entries == 11
    fill(tmp_path / "big.bin", 1 << 20)
    assert usage(tmp_path, stop_bytes=1000).bytes > 1000


def test_over_says_why_in_words():
    assert Usage(10, 5).over(100, max_entries=10) is None
    assert Usage(200, 5).over(100) == "more than 100 bytes of files"
    assert Usage(3 << 30, 5).over(2 << 30) == "more than 2 GiB of files"
    assert Usage(0, 11).over(100, max_entries=10) == "more than 10 files and folders"


def test_the_watch_kills_once_when_the_folder_grows_past_the_cap(tmp_path):
    killed = threading.Event()
    calls: list[int] = []

    def kill() -> None:
        calls.append(1)
        killed.set()

    with DiskWatch(tmp_path, 1 << 20, kill, interval=0.01) as watch:
        fill(tmp_path / "small.bin", 100_000)
        assert not killed.wait(0.2) and watch.exceeded is None  # under the cap: left alone
        fill(tmp_path / "big" / "x.bin", 2 << 20)
        assert killed.wait(5)
    assert calls == [1]
    assert watch.exceeded and "more than 1 MiB of files" in watch.exceeded


def test_the_watch_kills_for_too_many_files(tmp_path):
    calls: list[int] = []
    watch = DiskWatch(tmp_path, 1 << 30, lambda: calls.append(1), max_entries=20)
    for i in range(21):
        (tmp_path / f"f{i}").touch()
    assert watch.check() and calls == [1]
    assert "more than 20 files and folders" in str(watch.exceeded)


def test_clear_keeps_only_the_named_small_files(tmp_path):
    fill(tmp_path / "figures" / "figures.jsonl", 100)
    fill(tmp_path / "figures" / "figure-1.png", 100)
    fill(tmp_path / "big.jsonl", 5000)
    fill(tmp_path / "junk" / "deep" / "x.bin", 100)
    (tmp_path / "dirlink").symlink_to(tmp_path / "junk", target_is_directory=True)
    (tmp_path / "figures" / "filelink").symlink_to(tmp_path / "big.jsonl")
    clear(tmp_path, {"figures/figures.jsonl": 1000, "big.jsonl": 1000, "missing": 10})
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["figures", "figures/figures.jsonl"]  # big.jsonl was over its bound


def test_clear_does_not_keep_a_symlink_named_as_a_kept_file(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("instructor's")
    folder = tmp_path / "work"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "figures.jsonl").symlink_to(outside)
    clear(folder, {"figures/figures.jsonl": 1000})
    assert not (folder / "figures" / "figures.jsonl").exists()
    assert outside.read_text() == "instructor's"  # the link went, not what it points to


def test_a_disk_too_small_for_the_notebooks_at_once_is_said_before_grading():
    gib = 1 << 30
    said = space_warning(3 * gib + gib // 3, workers=2, limit=2 * gib)
    assert said and "3.3 GiB free" in said and "2 notebook(s)" in said and "--disk" in said
    assert space_warning(6 * gib, workers=2, limit=2 * gib) is None
    assert space_warning(0, workers=2, limit=None) is None  # no cap: nothing to compare
