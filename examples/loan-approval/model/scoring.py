"""The loan-approval model: a deterministic scorecard over the German credit columns.

A stand-in for a trained model, deliberately simple and documented (docs/model_card.md), so the
example's predictions, decision logs and tests can be regenerated exactly. Like a real model it
inherits the data's skews: age enters the score, which the bias analysis flags for applicants
under 25. The service wrapper adds what production needs around a model call: input checks,
a timeout, retries and a fallback to a human.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MODEL_NAME = "credit-scorecard"
MODEL_VERSION = "2.3.0"
#: Scores at or above APPROVE are recommended for approval, at or above REFER go to an officer.
APPROVE = 0.70
REFER = 0.50
#: Amounts above this are scored as this (winsorised, as in training).
AMOUNT_CAP = 20000
#: The largest loan the product offers; larger requests are refused, not scored as the cap.
MAX_AMOUNT = 250000

CHECKING = {"not_known": 0.9, "rich": 0.5, "moderate": 0.0, "little": -0.6}
SAVINGS = {"not_known": 0.3, "rich": 0.5, "quite rich": 0.4, "moderate": 0.1, "little": -0.1}
HOUSING = {"own": 0.25, "free": -0.1, "rent": -0.2}
FEATURES = ("checking_account", "saving_accounts", "housing", "duration", "credit_amount", "age")


class InvalidApplication(ValueError):
    """An application the model must not score."""


def validate(application: Mapping[str, object]) -> None:
    """Refuse inputs outside what the model was built for (missing, unknown, out of range)."""
    for name in FEATURES:
        if application.get(name) in (None, ""):
            raise InvalidApplication(f"{name} is missing")
    if application["checking_account"] not in CHECKING:
        raise InvalidApplication("unknown checking_account")
    if application["saving_accounts"] not in SAVINGS:
        raise InvalidApplication("unknown saving_accounts")
    if application["housing"] not in HOUSING:
        raise InvalidApplication("unknown housing")
    age, duration, amount = (int(str(application[k])) for k in ("age", "duration", "credit_amount"))
    if not 18 <= age <= 100:
        raise InvalidApplication("age out of range")
    if not 1 <= duration <= 120:
        raise InvalidApplication("duration out of range")
    if not 0 < amount <= MAX_AMOUNT:
        raise InvalidApplication("credit_amount out of range")


def contributions(application: Mapping[str, object]) -> dict[str, float]:
    """Each feature's points; the score is the logistic of their sum plus an intercept."""
    amount = min(int(str(application["credit_amount"])), AMOUNT_CAP)
    return {
        "checking_account": CHECKING[str(application["checking_account"])],
        "saving_accounts": SAVINGS[str(application["saving_accounts"])],
        "housing": HOUSING[str(application["housing"])],
        "duration": -0.03 * (int(str(application["duration"])) - 20),
        "credit_amount": -0.00007 * (amount - 3000),
        "age": 0.012 * (min(int(str(application["age"])), 65) - 35),
    }


def score(application: Mapping[str, object]) -> float:
    """Probability-like score in (0, 1): higher is a better credit risk."""
    z = 0.55 + sum(contributions(application).values())
    return 1.0 / (1.0 + math.exp(-z))


def recommend(value: float) -> str:
    """approve / refer / decline, from the score."""
    if value >= APPROVE:
        return "approve"
    if value >= REFER:
        return "refer"
    return "decline"


def reason_codes(application: Mapping[str, object]) -> list[str]:
    """The two features that pulled the score down most (or pushed it up least)."""
    ranked = sorted(contributions(application).items(), key=lambda kv: (kv[1], kv[0]))
    return [f"{name}:{application[name]}" for name, _ in ranked[:2]]


def apply_review(recommendation: str, action: str) -> str:
    """The final outcome after the credit officer's action (approve / override / reject)."""
    if action == "reject":
        return "declined"
    if action == "override":
        return "declined" if recommendation == "approve" else "approved"
    if recommendation == "decline":
        return "declined"
    return "approved"


@dataclass
class ScoringService:
    """A model call with a timeout, retries and a fallback to a human (config/service.yaml)."""

    model: Callable[[Mapping[str, object], float], float]
    timeout_ms: int = 800
    retries: int = 2
    fallback: str = "refer_to_human"

    def decide(self, application: Mapping[str, object]) -> str:
        validate(application)
        for _attempt in range(self.retries + 1):
            try:
                return recommend(self.model(application, self.timeout_ms / 1000))
            except (TimeoutError, ConnectionError):
                continue
        return "refer" if self.fallback == "refer_to_human" else "decline"


def local_model(application: Mapping[str, object], _timeout_s: float) -> float:
    """The scorecard as the service's model (in production it runs in a model server)."""
    return score(application)
