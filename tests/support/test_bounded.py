"""Running code that may never return: the deadline, what is carried back, the setting."""

from __future__ import annotations

import time

import pytest

from govgate.support.bounded import DEFAULT_TIMEOUT_SECONDS, Overrun, run_bounded, timeout_setting
from govgate.support.errors import UsageError


def test_the_result_comes_back_and_a_hang_becomes_an_overrun() -> None:
    assert run_bounded(lambda: 42, 5) == 42
    started = time.monotonic()
    with pytest.raises(Overrun, match=r"^did not finish within 0.2 s$"):
        run_bounded(lambda: time.sleep(30), 0.2)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "raised", [SystemExit(0), KeyboardInterrupt(), GeneratorExit(), RuntimeError("x")]
)
def test_whatever_the_function_raised_is_raised_to_the_caller(raised: BaseException) -> None:
    # A SystemExit inside the thread would otherwise just end the thread, silently.
    def fn() -> None:
        raise raised

    with pytest.raises(type(raised)):
        run_bounded(fn, 5)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(None, DEFAULT_TIMEOUT_SECONDS), ("", DEFAULT_TIMEOUT_SECONDS), ("2.5", 2.5)],
)
def test_the_timeout_comes_from_the_environment(
    value: str | None, seconds: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is None:
        monkeypatch.delenv("GOVGATE_COLLECTOR_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("GOVGATE_COLLECTOR_TIMEOUT", value)
    assert timeout_setting() == seconds
    assert timeout_setting(7) == 7  # govgate.yaml's collector_timeout wins


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf", "nan", "1e999"])
def test_a_timeout_that_is_not_a_positive_number_is_a_usage_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVGATE_COLLECTOR_TIMEOUT", value)
    with pytest.raises(UsageError, match=f"^GOVGATE_COLLECTOR_TIMEOUT='{value}': not a number"):
        timeout_setting()
