"""One grader command at a time writes an output folder; a second is refused, never blocked."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from grader.batch.folder_lock import LOCK, holding
from grader.errors import FolderBusyError, GraderError
from tests.conftest import SAMPLES, run_cli


def _hold_in_a_thread(folder) -> BaseException | None:
    """What holding ``folder`` from another thread of this process raised."""
    got: list[BaseException | None] = []

    def hold() -> None:
        try:
            with holding(folder):
                got.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            got.append(exc)

    thread = threading.Thread(target=hold)
    thread.start()
    thread.join()
    return got[0]


def test_a_second_holder_is_refused_with_the_first_one_s_process(tmp_path):
    with holding(tmp_path):
        with holding(tmp_path / "." / ""):  # the thread that holds it may enter again
            pass
        err = _hold_in_a_thread(tmp_path)  # as another command would be
        assert isinstance(err, FolderBusyError)
        assert err.pid == os.getpid() and err.path == str(tmp_path)
        assert f"another grader command (process {os.getpid()}, started " in str(err)
        assert "wait for it to end, or give another --out" in str(err)
        assert pickle.loads(pickle.dumps(err)).pid == os.getpid()
    assert _hold_in_a_thread(tmp_path) is None  # free again once the first block ended


def test_a_holder_killed_with_sigkill_leaves_no_stale_lock(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        from grader.batch.folder_lock import holding
        with holding({str(tmp_path)!r}):
            print("held", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(FolderBusyError, match=f"process {proc.pid},"), holding(tmp_path):
            pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with holding(tmp_path):  # the kernel freed it with the process
        pass


def test_an_unreadable_lock_file_still_names_the_problem(tmp_path):
    with holding(tmp_path):
        (tmp_path / LOCK).write_text("not json")
        err = _hold_in_a_thread(tmp_path)
    assert isinstance(err, FolderBusyError) and err.pid is None
    assert str(err) == (f"{tmp_path}: another grader command is writing to this folder: "
                        "wait for it to end, or give another --out")


def test_a_folder_that_cannot_be_written_is_one_clear_error(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(GraderError, match=r"taken: cannot write to this output folder \(") \
            as caught, holding(tmp_path / "taken"):
        pass
    assert not isinstance(caught.value, FolderBusyError)


@pytest.mark.parametrize("command", [
    ["grade", str(SAMPLES), "-a", "dlcourse_mlp", "--out", "{out}"],
    ["report", "{out}", "-a", "dlcourse_mlp"],
    ["export", "{out}", "-a", "dlcourse_mlp", "--format", "csv"],
])
def test_each_command_that_writes_the_folder_is_refused_while_another_runs(tmp_path, command,
                                                                            mnist_path):
    out = tmp_path / "out"
    out.mkdir()
    with holding(out):
        proc = run_cli(*(a.format(out=out) for a in command),
                       env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    assert f"error: {out}: another grader command (process {os.getpid()}, started" in said
    assert "Traceback" not in proc.stderr
    assert not (out / "gradebook.sqlite").exists()  # the refused command wrote nothing
