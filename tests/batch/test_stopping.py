"""SIGTERM and SIGHUP end a command as Ctrl-C does (grader.batch.stopping)."""

from __future__ import annotations

import os
import pickle
import signal
import threading

import pytest

from grader.batch.stopping import Stopped, exit_code, signal_name, stop_signals


def test_sigterm_raises_stopped_within_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Stopped) as stopped, stop_signals():
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.signum == signal.SIGTERM
    assert isinstance(stopped.value, KeyboardInterrupt)  # what Ctrl-C's cleanup already catches
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_ignored_signal_stays_ignored():
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup leaves it
    try:
        with stop_signals():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
            os.kill(os.getpid(), signal.SIGHUP)  # nothing happens
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, old)


def test_outside_the_main_thread_nothing_is_set():
    seen = []

    def other() -> None:
        with stop_signals():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [before]


def test_names_and_exit_codes_are_the_shells():
    assert (signal_name(KeyboardInterrupt()), exit_code(KeyboardInterrupt())) == ("Ctrl-C", 130)
    term = Stopped(signal.SIGTERM)
    assert (signal_name(term), exit_code(term)) == ("SIGTERM", 143)
    assert exit_code(Stopped(signal.SIGHUP)) == 129
    assert pickle.loads(pickle.dumps(term)).signum == signal.SIGTERM


def test_an_interrupted_class_is_told_what_is_kept_and_how_to_go_on(capsys, tmp_path):
    from grader.cli.common import interrupted

    exit_ = interrupted(KeyboardInterrupt(), 3, 8, tmp_path)
    said = " ".join(capsys.readouterr().err.split())
    assert exit_.exit_code == 130
    assert "interrupted (Ctrl-C): 3 of 8 submission(s) done and kept in" in said
    assert "the same command grades the other 5" in said
    exit_ = interrupted(Stopped(signal.SIGTERM), 8, 8, tmp_path)  # while outputs were written
    said = " ".join(capsys.readouterr().err.split())
    assert exit_.exit_code == 143 and "all 8 submission(s) are graded and kept" in said
    assert "the PDFs not yet printed" in said and "other 0" not in said
