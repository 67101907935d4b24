"""Exceptions from code govgate does not own: how they are described, and a real Ctrl-C told
apart from a KeyboardInterrupt some code raised."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from govgate.support import errors
from govgate.support.errors import describe_exception, is_real_interrupt, watch_for_interrupts

HINT = " (plugin code must not end or interrupt govgate: raise an Exception instead)"


class Unprintable(Exception):
    def __str__(self) -> str:
        raise SystemExit(0)  # its own __str__ is plugin code too


@pytest.mark.parametrize(
    ("exc", "shown"),
    [
        (RuntimeError("licence server\nunreachable"), "RuntimeError: licence server"),
        (ValueError(), "ValueError"),
        (Unprintable(), "Unprintable: <the exception cannot be shown>"),
        (SystemExit(0), "SystemExit(0)" + HINT),
        (SystemExit(), "SystemExit" + HINT),
        (SystemExit("bye"), "SystemExit('bye')" + HINT),
        (KeyboardInterrupt(), "KeyboardInterrupt" + HINT),
        (GeneratorExit(), "GeneratorExit" + HINT),
    ],
)
def test_an_exception_is_described_on_one_line(exc: BaseException, shown: str) -> None:
    assert describe_exception(exc) == shown


@pytest.fixture
def fresh_interrupts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(errors, "_sigint_received", False)
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_only_a_delivered_sigint_is_a_real_interrupt(fresh_interrupts: None) -> None:
    watch_for_interrupts()
    assert not is_real_interrupt(KeyboardInterrupt())  # `raise KeyboardInterrupt` in a plugin
    with pytest.raises(KeyboardInterrupt) as raised:
        signal.raise_signal(signal.SIGINT)  # what a terminal's Ctrl-C delivers
    assert is_real_interrupt(raised.value)
    assert not is_real_interrupt(SystemExit(0))


def test_a_handler_someone_else_installed_is_left_alone(fresh_interrupts: None) -> None:
    def theirs(signum: int, frame: object) -> None:
        pass

    signal.signal(signal.SIGINT, theirs)
    watch_for_interrupts()
    assert signal.getsignal(signal.SIGINT) is theirs
