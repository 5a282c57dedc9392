"""Per-kernel cgroups: reading our own, and cleaning up a dead grader's (grader.execute.cgroups)."""

from __future__ import annotations

import os

from grader.execute.cgroups import Cgroup, own_cgroups, stale


def test_own_cgroups_reads_v1_and_v2_lines(tmp_path):
    proc = tmp_path / "cgroup"
    proc.write_text("12:memory:/user.slice\n11:pids,cpu:/job/42\n0::/unified\nbroken line\n")
    assert own_cgroups(proc) == {"memory": "/user.slice", "pids": "/job/42", "cpu": "/job/42",
                                 "": "/unified"}
    assert own_cgroups(tmp_path / "missing") == {}


def test_only_a_dead_graders_groups_are_stale(tmp_path):
    alive = tmp_path / f"grader-{os.getpid()}-k1"
    dead = tmp_path / "grader-999999999-k2"
    other = tmp_path / "not-ours"
    assert stale([alive, dead, other]) == [dead]


def test_what_a_group_caps_follows_its_controllers(tmp_path):
    v1 = Cgroup(1, (tmp_path / "memory" / "g", tmp_path / "pids" / "g"))
    assert v1.caps_memory and v1.caps_processes
    assert v1.procs_files == [str(tmp_path / "memory" / "g" / "cgroup.procs"),
                              str(tmp_path / "pids" / "g" / "cgroup.procs")]
    only_pids = Cgroup(1, (tmp_path / "pids" / "g",))
    assert only_pids.caps_processes and not only_pids.caps_memory
    assert Cgroup(2, (tmp_path / "g",)).caps_memory
