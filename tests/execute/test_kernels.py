"""The kernel client is ready once its kernel answers on shell and on IOPub, never later.

Also: a kernel lives as long as the grader, whichever thread launched it, and a killed
kernel's exit is looked for every few milliseconds, not every tenth of a second.
"""

from __future__ import annotations

import asyncio
import threading
import time
from queue import Empty
from typing import Any

import pytest
from nbclient.util import run_sync

from grader.execute.kernels import (
    KILL_POLL,
    GraderKernelClient,
    Kernel,
    kernel_manager_class,
    launch,
)


class FakeChannel:
    """A channel fed by the fake kernel: get_msg returns what it holds, else times out."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.waits: list[float] = []

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        self.waits.append(timeout or 0.0)
        if not self.messages:
            raise Empty
        return self.messages.pop(0)


class FakeClient(GraderKernelClient):
    """A client whose kernel answers each ``kernel_info`` as told, without a process."""

    def __init__(self, publishes: list[bool], alive: bool = True) -> None:
        super().__init__()
        self.publishes, self.alive, self.asked = list(publishes), alive, 0
        self.shell, self.iopub = FakeChannel(), FakeChannel()
        self.iopub.messages.append({"msg_type": "status", "parent_header": {},
                                    "content": {"execution_state": "starting"}})

    @property
    def shell_channel(self) -> Any:  # type: ignore[override]
        return self.shell

    @property
    def iopub_channel(self) -> Any:  # type: ignore[override]
        return self.iopub

    def kernel_info(self) -> str:  # type: ignore[override]
        self.asked += 1
        msg_id = f"info-{self.asked}"
        if not self.alive:
            return msg_id
        self.shell.messages.append({"msg_type": "kernel_info_reply", "content": {},
                                    "parent_header": {"msg_id": msg_id}})
        if self.publishes.pop(0):  # else its status went out before IOPub listened
            for state in ("busy", "idle"):
                self.iopub.messages.append({"msg_type": "status", "content": {
                    "execution_state": state}, "parent_header": {"msg_id": msg_id}})
        return msg_id

    async def _async_is_alive(self) -> bool:
        return self.alive

    def _handle_kernel_info_reply(self, msg: dict[str, Any]) -> None:
        self.info = msg


def test_ready_at_the_idle_status_of_its_request_without_waiting_for_silence():
    client = FakeClient([True])
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == 1 and client.info["parent_header"]["msg_id"] == "info-1"
    assert client.iopub.waits == [0.2, 0.2, 0.2]  # starting, busy, idle: no read that timed out


def test_asks_again_when_iopub_missed_the_first_answer():
    client = FakeClient([False, True])
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == 2 and not client.iopub.messages and not client.shell.messages


def test_a_dead_kernel_is_an_error_not_a_wait():
    with pytest.raises(RuntimeError, match="died before replying"):
        asyncio.run(FakeClient([], alive=False).wait_for_ready(timeout=5))


class ChattyChannel(FakeChannel):
    """IOPub of a kernel that never stops printing (and never says idle)."""

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        return {"msg_type": "stream", "parent_header": {}, "content": {"text": "x"}}


def test_gives_up_at_its_timeout_though_iopub_keeps_talking():
    client = FakeClient([True])
    client.iopub = ChattyChannel()
    with pytest.raises(RuntimeError, match="didn't respond in 0.3 seconds"):
        asyncio.run(asyncio.wait_for(client.wait_for_ready(timeout=0.3), 10))


@pytest.mark.kernel
def test_a_kernel_outlives_the_thread_that_launched_it(tmp_path):
    """Its launcher dies with its parent: the grader, not a thread that has ended."""
    launched: list[Kernel] = []

    def start_then_end() -> None:
        launched.append(launch(tmp_path, kernel_env={}, log_path=tmp_path / "kernel.log"))
        time.sleep(1.0)  # the launcher has asked to die with its parent by now

    starter = threading.Thread(target=start_then_end)
    starter.start()
    starter.join()
    (kernel,) = launched
    try:
        time.sleep(0.5)  # a parent-death signal kills at once
        assert run_sync(kernel.km.is_alive)(), (tmp_path / "kernel.log").read_text()
    finally:
        kernel.stop()


def test_a_killed_kernel_is_looked_for_every_few_milliseconds(tmp_path, monkeypatch):
    """jupyter_client's default look every 0.1 s cost each notebook up to 0.1 s of waiting."""
    from jupyter_client.manager import KernelManager

    asked: list[float] = []

    async def record(self: Any, pollinterval: float = 0.1) -> None:
        asked.append(pollinterval)

    monkeypatch.setattr(KernelManager, "_async_wait", record)
    km = kernel_manager_class(["true"], tmp_path / "kernel.log", tmp_path)()
    asyncio.run(km._async_wait())
    asyncio.run(km._async_wait(pollinterval=0.001))
    assert asked == [KILL_POLL, 0.001]
    assert KILL_POLL <= 0.01
