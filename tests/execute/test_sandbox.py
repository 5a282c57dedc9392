"""The sandbox's logic: sizes, fallback, bubblewrap's arguments, cgroups, the launcher."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.errors import SandboxError
from grader.execute.cgroups import Cgroup, own_cgroups
from grader.execute.sandbox import (
    GIB,
    LAUNCHER,
    Limits,
    Sandbox,
    bwrap_args,
    bwrap_problem,
    parse_size,
    user_processes,
)


@pytest.mark.parametrize(("text", "size"), [("4G", 4 * GIB), ("512M", 512 << 20),
                                            ("1.5GiB", 3 * GIB // 2), ("1000", 1000), ("0", 0)])
def test_sizes(text, size):
    assert parse_size(text) == size


def test_bad_size_is_named():
    with pytest.raises(SandboxError, match="not a size: 'four gigs'"):
        parse_size("four gigs")


def test_auto_falls_back_to_limits_with_one_note():
    box = Sandbox("auto", binary="no-such-bwrap").resolve()
    assert box.mode == "none" and "NOT isolated" in box.note and "not installed" in box.note
    assert box.resolve().note == box.note  # resolving again says nothing new


def test_bwrap_required_but_missing_is_an_error():
    with pytest.raises(SandboxError, match="--sandbox bwrap: `no-such-bwrap` is not installed"):
        Sandbox("bwrap", binary="no-such-bwrap").resolve()


def test_none_is_an_explicit_choice_and_unknown_modes_are_refused():
    assert Sandbox("none").resolve().note is None
    with pytest.raises(SandboxError, match="unknown sandbox 'docker'"):
        Sandbox("docker").resolve()


def test_bwrap_binds_only_what_is_named(tmp_path):
    work, data = tmp_path / "alice" / "work", tmp_path / "mnist.npz"
    work.mkdir(parents=True)
    data.write_bytes(b"x")
    args = bwrap_args(work, [data])
    pairs = {(args[i], args[i + 1]) for i in range(len(args) - 1)}
    assert ("--bind", str(work)) in pairs and ("--ro-bind", str(data)) in pairs
    assert ("--tmpfs", "/tmp") in pairs and ("--cap-drop", "ALL") in pairs
    assert "--unshare-all" in args and "--die-with-parent" in args
    assert not any(a in (str(tmp_path), str(Path.home()), "/home", "/root") for a in args)
    assert str(Path(__file__).resolve().parents[2] / "reference") not in args


def test_command_starts_the_launcher_with_caps_and_a_clean_environment(tmp_path):
    box = Sandbox("none", Limits(memory=2 * GIB, cpu_seconds=100, processes=50))
    cmd = box.command(["python", "-m", "ipykernel_launcher"], work_dir=tmp_path,
                      env={"HOME": str(tmp_path)})
    assert cmd[1:4] == ["-I", "-S", str(LAUNCHER)] and cmd[-3:] == [
        "python", "-m", "ipykernel_launcher"]
    cfg = json.loads(cmd[4])
    assert cfg["env"] == {"HOME": str(tmp_path)}
    assert cfg["rlimits"]["AS"] == 2 * GIB and cfg["rlimits"]["CPU"] == 100
    assert cfg["rlimits"]["NPROC"] >= 50 and cfg["rlimits"]["CORE"] == 0


def test_without_proc_processes_are_counted_as_ps_lists_them(tmp_path):
    """A Mac has no /proc: there RLIMIT_NPROC counts processes, and ps lists them."""
    with_threads = user_processes()  # Linux: every process and thread of this user
    processes = user_processes(proc=tmp_path)  # an empty folder, as on macOS
    assert with_threads is not None and processes is not None
    assert 1 <= processes <= with_threads + 1  # ps counts itself


def test_no_process_cap_where_processes_cannot_be_counted(tmp_path, monkeypatch):
    """A cap under what already runs would stop the kernel from starting at all."""
    import grader.execute.sandbox

    monkeypatch.setattr(grader.execute.sandbox, "user_processes", lambda: None)
    box = Sandbox("none", Limits(memory=2 * GIB, cpu_seconds=100, processes=50))
    rlimits = json.loads(box.command(["python"], work_dir=tmp_path, env={})[4])["rlimits"]
    assert "NPROC" not in rlimits and rlimits["AS"] == 2 * GIB and rlimits["CPU"] == 100


def test_a_kernel_on_a_gpu_has_its_data_capped_not_its_address_space(tmp_path):
    """CUDA's libraries could not load under RLIMIT_AS (seen on an H100)."""
    box = Sandbox("none", Limits(memory=2 * GIB, cpu_seconds=100, processes=50))
    on_gpu = json.loads(box.command(["python"], work_dir=tmp_path,
                                    env={"CUDA_VISIBLE_DEVICES": "1"})[4])["rlimits"]
    on_cpu = json.loads(box.command(["python"], work_dir=tmp_path,
                                    env={"CUDA_VISIBLE_DEVICES": ""})[4])["rlimits"]
    assert on_gpu["DATA"] == 2 * GIB and "AS" not in on_gpu
    assert on_cpu["AS"] == 2 * GIB and "DATA" not in on_cpu


def test_launcher_applies_limits_and_replaces_the_environment(tmp_path):
    cfg = {"rlimits": {"AS": 3 * GIB, "FSIZE": 1 << 20}, "env": {"ONLY": "this"}}
    probe = ("import os, resource, json; print(json.dumps([resource.getrlimit("
             "resource.RLIMIT_AS), resource.getrlimit(resource.RLIMIT_FSIZE), "
             "sorted(k for k in os.environ if k != 'LC_CTYPE')]))")
    out = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(cfg), "--",
                          sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env={"SECRET": "x", "PATH": "/usr/bin"})
    as_limit, fsize, env = json.loads(out.stdout)
    assert as_limit == [3 * GIB, 3 * GIB] and fsize == [1 << 20, 1 << 20]
    assert env == ["ONLY"]


def _fake_proc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cgroup"
    path.write_text(text)
    return path


def test_cgroup_v1_gets_memory_and_pids_caps(tmp_path):
    root = tmp_path / "fs"
    for controller in ("memory", "pids"):
        (root / controller / "job").mkdir(parents=True)
    proc = _fake_proc(tmp_path, "9:pids:/job\n4:memory:/job\n0::/\n")
    group = Cgroup.create(GIB, 64, root=root, proc_file=proc)
    assert group is not None and group.version == 1
    mem, pids = group.dirs
    assert (mem / "memory.limit_in_bytes").read_text() == str(GIB)
    assert (pids / "pids.max").read_text() == "64"
    assert group.caps_memory and group.caps_processes
    assert group.procs_files == [str(mem / "cgroup.procs"), str(pids / "cgroup.procs")]
    for f in ("memory.limit_in_bytes", "pids.max"):
        for d in group.dirs:
            (d / f).unlink(missing_ok=True)
    group.remove()
    assert not mem.exists() and not pids.exists()


def test_cgroup_v2_enables_controllers_for_its_children(tmp_path):
    root = tmp_path / "fs"
    (root / "job").mkdir(parents=True)
    (root / "cgroup.controllers").write_text("memory pids")
    (root / "job" / "cgroup.subtree_control").write_text("")
    proc = _fake_proc(tmp_path, "0::/job\n")
    group = Cgroup.create(GIB, 64, root=root, proc_file=proc)
    assert group is not None and group.version == 2
    assert (root / "job" / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (group.dirs[0] / "memory.max").read_text() == str(GIB)


def test_removing_a_cgroup_retries_soon_then_less_often(tmp_path, monkeypatch):
    """Its killed kernel is gone within milliseconds; a group that stays busy is not spun on."""
    group_dir = tmp_path / "grader-1-aaaa"
    group_dir.mkdir()
    (group_dir / "busy").write_text("")  # rmdir fails while it is there, as with live tasks
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 7:
            (group_dir / "busy").unlink()

    monkeypatch.setattr("grader.execute.cgroups.time.sleep", sleep)
    Cgroup(2, (group_dir,)).remove()
    assert not group_dir.exists()
    assert pauses == [0.002, 0.004, 0.008, 0.016, 0.032, 0.05, 0.05]


def test_no_writable_cgroup_means_none(tmp_path):
    proc = _fake_proc(tmp_path, "0::/\n")
    assert Cgroup.create(GIB, 64, root=tmp_path / "missing", proc_file=proc) is None
    assert own_cgroups(tmp_path / "nowhere") == {}


def test_bwrap_problem_names_the_package():
    assert "bubblewrap" in (bwrap_problem("no-such-bwrap") or "")


def test_cgroups_of_a_dead_grader_are_removed_and_ours_kept(tmp_path):
    from grader.execute.cgroups import remove_stale

    base = tmp_path / "fs" / "memory" / "job"
    dead, alive = base / "grader-999999999-aaaa", base / f"grader-{os.getpid()}-bbbb"
    dead.mkdir(parents=True)
    alive.mkdir()
    proc = _fake_proc(tmp_path, "4:memory:/job\n")
    assert remove_stale(tmp_path / "fs", proc) == 1
    assert not dead.exists() and alive.exists()
