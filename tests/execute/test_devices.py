"""How many kernels run at once."""

from __future__ import annotations

import threading

import pytest

from grader.errors import SandboxError
from grader.execute.devices import (
    GIB,
    Devices,
    default_workers,
    detect_gpus,
    parse_gpus,
    thread_env,
)
from grader.machine import available_memory


def test_one_per_core_while_memory_lasts():
    assert default_workers(4 * GIB, cpus=16, memory=128 * GIB) == 16
    assert default_workers(4 * GIB, cpus=16, memory=24 * GIB) == 6  # memory is the limit
    assert default_workers(4 * GIB, cpus=2, memory=24 * GIB) == 2
    assert default_workers(4 * GIB, cpus=8, memory=1 * GIB) == 1  # always at least one
    assert default_workers(None, cpus=4, memory=8 * GIB) == 2  # no cap: assume 4 GiB each


def test_this_machine_reports_its_memory():
    assert (available_memory() or 0) > 0


def test_gpu_slots_are_shared_and_waited_for():
    devices = Devices(["0", "1"], per_gpu=2)
    assert devices.slots == 4
    with devices.acquire() as a, devices.acquire() as b, devices.acquire() as c, \
            devices.acquire() as d:
        assert sorted(x.gpu for x in (a, b, c, d)) == ["0", "0", "1", "1"]
        assert a.env() == {"CUDA_VISIBLE_DEVICES": a.gpu, "TF_FORCE_GPU_ALLOW_GROWTH": "true",
                           "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
        taken = []
        waiter = threading.Thread(target=lambda: taken.append(devices.acquire().__enter__()))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and taken == []  # a fifth kernel waits for a free slot
    waiter.join(5)
    assert taken and taken[0].gpu in ("0", "1")


def test_a_kernel_started_ahead_never_waits_for_a_gpu():
    devices = Devices(["0"])
    first = devices.take(wait=False)
    assert first is not None and first.gpu == "0"
    assert devices.take(wait=False) is None  # all taken: start it at its turn instead
    devices.give(first)
    assert devices.take(wait=False) == first
    assert Devices().take(wait=False).gpu is None  # the CPU is never short


def test_without_gpus_kernels_run_on_the_cpu_and_see_no_card():
    devices = Devices()
    assert devices.slots is None
    with devices.acquire() as d:
        assert d.name == "CPU" and d.env()["CUDA_VISIBLE_DEVICES"] == ""


def test_workers_follow_gpu_slots():
    assert default_workers(4 * GIB, cpus=16, memory=128 * GIB, gpu_slots=4) == 4
    assert default_workers(4 * GIB, cpus=16, memory=8 * GIB, gpu_slots=4) == 2


def test_gpus_option():
    assert parse_gpus("0,1,1") == ["0", "1"] and parse_gpus("none") == []
    with pytest.raises(SandboxError, match="--gpus 'first'"):
        parse_gpus("first")
    assert parse_gpus("auto") == detect_gpus()


def test_kernels_running_side_by_side_share_the_cores_out():
    assert thread_env(1, cpus=16)["TF_NUM_INTRAOP_THREADS"] == "16"
    assert thread_env(3, cpus=8) == {k: "2" for k in thread_env(3, cpus=8)}
    assert set(thread_env(3, cpus=8)) >= {"TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                                           "OMP_NUM_THREADS"}
    assert thread_env(2, cpus=2)["OMP_NUM_THREADS"] == "1"
    assert thread_env(8, cpus=2)["TF_NUM_INTEROP_THREADS"] == "1"  # never none
