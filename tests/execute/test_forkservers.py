"""Kernels forked from a fork server: contained as fresh ones are, and never shared.

The batch's evaluation workers come from the same server, outside any sandbox.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from nbclient.util import run_sync

from grader.assignment.spec import Dataset
from grader.evaluate.data import DataSource
from grader.evaluate.env_workers import EnvEvaluator, _ForkedWorker
from grader.execute.environ import fork_server
from grader.execute.forkservers import ForkServers
from grader.execute.kernels import Kernel, launch
from grader.execute.sandbox import bwrap_problem
from grader.kernel.forkserver import KERNEL_MODULES

pytestmark = pytest.mark.skipif(
    bwrap_problem() is not None, reason=f"kernels fork only into bubblewrap: {bwrap_problem()}")

ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "CUDA_VISIBLE_DEVICES": ""}
# what a kernel can see of itself and its sandbox, as JSON
FACTS = """
import json, os, socket, sys
status = open('/proc/self/status').read()
def field(name):
    return status.split(name + ':')[1].split()[0]
print(json.dumps({
    'cwd': os.getcwd(), 'hostname': socket.gethostname(), 'uid': os.getuid(),
    'caps': [field(c) for c in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')],
    'no_new_privs': field('NoNewPrivs'), 'path': sys.path, 'env': dict(os.environ),
    'tmp': sorted(os.listdir('/tmp')), 'argv': [sys.argv[0], *sys.argv[3:]],
    'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),
    'ppid': os.getppid(), 'numpy_loaded': 'numpy' in sys.modules,
}))
"""


def run(kernel: Kernel, code: str, timeout: float = 60) -> str:
    """The text ``code`` prints in ``kernel``."""
    kc = kernel.km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=120)
        out: list[str] = []
        run_sync(kc.execute_interactive)(
            code, timeout=timeout,
            output_hook=lambda m: out.append(m["content"].get("text", "")))
        return "".join(out)
    finally:
        kc.stop_channels()


def start(tmp_path: Path, name: str, servers: ForkServers | None,
          env: Mapping[str, str] = ENV, preload: Sequence[str] = ("numpy",)) -> Kernel:
    work = tmp_path / name
    work.mkdir()
    return launch(work, kernel_env=env, preload=preload, forkservers=servers,
                  log_path=tmp_path / f"{name}.log")


@pytest.fixture(scope="module")
def servers() -> Iterator[ForkServers]:
    with ForkServers() as s:
        yield s


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory,
          servers: ForkServers) -> dict[str, Any]:
    """What a fresh kernel and two forked ones (one server) report, and their logs."""
    tmp = tmp_path_factory.mktemp("facts")
    out: dict[str, Any] = {}
    for name, source in (("fresh", None), ("forked", servers), ("forked2", servers)):
        kernel = start(tmp, name, source)
        try:
            out[name] = json.loads(run(kernel, FACTS))
            if name == "forked":  # left behind for the second forked kernel to look for
                run(kernel, "open('/tmp/left-by-a', 'w').write('x')")
        finally:
            kernel.stop()
        out[name]["log"] = (tmp / f"{name}.log").read_text()
        out[name]["work"] = str(tmp / name)
    return out


def test_a_kernel_comes_forked_with_its_preload_imported(facts):
    assert "kernel forked" in facts["forked"]["log"], facts["forked"]["log"]
    assert "kernel forked" not in facts["fresh"]["log"]
    # the fork's parent is outside the sandbox's pid namespace; the fresh one's is its init
    assert facts["forked"]["ppid"] == 0 and facts["fresh"]["ppid"] == 1


def test_the_server_imports_what_every_kernel_starts_with(facts, servers):
    (log,) = servers.logs()
    ready = [line for line in log.read_text().splitlines() if "forkserver: ready" in line]
    assert ready, log.read_text()
    imported = ready[0].split("imported", 1)[1].split()
    assert imported == [*KERNEL_MODULES, "numpy"]


def test_a_forked_kernel_sees_what_a_fresh_one_sees(facts):
    fresh, forked = facts["fresh"], facts["forked"]
    for key in ("hostname", "uid", "caps", "no_new_privs", "path", "argv"):
        assert forked[key] == fresh[key], key
    assert fresh["caps"][2] == "0000000000000000" and fresh["no_new_privs"] == "1"
    assert forked["cwd"] == forked["work"] and fresh["cwd"] == fresh["work"]
    # the same environment, its own work dir in it, nothing of the grader's or the server's
    same = {k: v.replace(forked["work"], "WORK") for k, v in forked["env"].items()}
    assert same == {k: v.replace(fresh["work"], "WORK") for k, v in fresh["env"].items()}
    assert forked["env"]["HOME"] == forked["work"]
    # a private /tmp: only the kernel's own socket folder and work dir are there
    assert len(forked["tmp"]) == len(fresh["tmp"]) == 2


def test_kernels_of_one_server_share_no_files_or_processes(facts):
    assert "left-by-a" not in facts["forked2"]["tmp"]
    # in its own pid namespace: the sandbox's init, its placeholder, the kernel
    assert len(facts["forked2"]["pids"]) <= 3


def test_a_kernel_that_exits_ends_its_sandbox(tmp_path, servers):
    kernel = start(tmp_path, "exits", servers)
    try:
        assert "numpy_loaded" in run(kernel, FACTS)
        kc = kernel.km.client()
        kc.start_channels()
        kc.execute("import os; os._exit(3)")
        deadline = time.monotonic() + 20
        while run_sync(kernel.km.is_alive)() and time.monotonic() < deadline:
            time.sleep(0.1)
        kc.stop_channels()
        assert not run_sync(kernel.km.is_alive)()  # the grader sees a dead kernel at once
    finally:
        kernel.stop()


def test_without_a_server_the_kernel_starts_fresh(tmp_path):
    class Nowhere(ForkServers):
        def socket_for(self, python: Path, env: Mapping[str, str],
                       preload: Sequence[str]) -> str | None:
            return str(tmp_path / "no-server")

    kernel = start(tmp_path, "fallback", Nowhere())
    try:
        assert json.loads(run(kernel, FACTS))["ppid"] == 1
    finally:
        kernel.stop()
    log = (tmp_path / "fallback.log").read_text()
    assert "no kernel from the fork server" in log and "starting a fresh one" in log


def test_one_server_per_import_environment_and_none_for_a_gpu():
    python = Path(sys.executable)
    with ForkServers() as servers:
        a = servers.socket_for(python, ENV | {"HOME": "/a", "KERAS_HOME": "/a/.keras"}, [])
        b = servers.socket_for(python, ENV | {"HOME": "/b", "KERAS_HOME": "/b/.keras"}, [])
        c = servers.socket_for(python, ENV | {"PYTHONHASHSEED": "1"}, [])
        assert a is not None and a == b  # only what differs per kernel differs
        assert c is not None and c != a  # read at start-up: a server of its own
        assert servers.socket_for(python, ENV | {"CUDA_VISIBLE_DEVICES": "0"}, []) is None
        folder = Path(a).parent
        assert folder.is_dir()
    assert not folder.exists()  # closed: servers stopped, folders gone


def _parent(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("PPid:")[1].split()[0])


def test_an_evaluation_worker_is_a_fork_of_the_server_and_answers_as_a_fresh_one(
        tmp_path, servers, tiny_mnist):
    """The batch's evaluation workers: the server's Keras, its own process, no sandbox."""
    import keras

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.save(tmp_path / "m.keras")
    sources = {"mnist": DataSource(Dataset("mnist", 784, 10), tiny_mnist)}
    jobs = [(tmp_path / "m.keras", "mnist")]
    server = fork_server(servers, ENV, preload=("numpy",))
    assert server is not None
    with EnvEvaluator(Path(sys.executable), sources, server=server) as forked:
        forked.warm()  # asked for in a thread: the server may still be importing
        got = forked.evaluate(jobs)
        (worker,) = forked._all
        assert isinstance(worker, _ForkedWorker) and forked.server == server
        (log,) = servers.logs()  # the kernels' server: no second one for the worker
        server_cmd = Path(f"/proc/{_parent(worker.pid)}/cmdline").read_bytes().split(b"\0")
        assert server_cmd[1].endswith(b"forkserver.py") and server_cmd[2] == server.encode()
        assert Path(f"/proc/{worker.pid}/comm").read_text().strip() == "env_workers"
    deadline = time.monotonic() + 10
    while Path(f"/proc/{worker.pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # closed: the worker is killed (and reaped by the server)
    assert not Path(f"/proc/{worker.pid}").exists()
    with EnvEvaluator(Path(sys.executable), sources) as fresh:
        expected = fresh.evaluate(jobs)
    key = str((tmp_path / "m.keras").resolve())
    assert got[key]["accuracy"] == expected[key]["accuracy"]
    assert got[key]["confusion"] == expected[key]["confusion"]


def test_an_evaluator_whose_server_cannot_fork_starts_fresh_workers(tmp_path, tiny_mnist):
    sources = {"mnist": DataSource(Dataset("mnist", 784, 10), tiny_mnist)}
    with EnvEvaluator(Path(sys.executable), sources,
                      server=str(tmp_path / "no-server")) as ev:
        out = ev.evaluate([(tmp_path / "missing.keras", "mnist")])
        (worker,) = ev._all
        assert not isinstance(worker, _ForkedWorker) and ev.server is None
    assert "could not load" in next(iter(out.values()))["error"]
