"""Tests of the credit scorecard and its service wrapper, grouped by category (markers)."""

from __future__ import annotations

import pytest
from model.scoring import (
    InvalidApplication,
    ScoringService,
    apply_review,
    local_model,
    recommend,
    score,
    validate,
)

GOOD = {
    "checking_account": "not_known",
    "saving_accounts": "rich",
    "housing": "own",
    "duration": 12,
    "credit_amount": 2500,
    "age": 45,
}


def test_good_profile_is_recommended_for_approval():
    assert recommend(score(GOOD)) == "approve"


def test_weak_profile_is_declined():
    weak = {
        **GOOD,
        "checking_account": "little",
        "saving_accounts": "little",
        "housing": "rent",
        "duration": 60,
        "credit_amount": 15000,
        "age": 22,
    }
    assert recommend(score(weak)) == "decline"


# -- resilience: the model call fails ---------------------------------------------------------


def _timing_out(_application, _timeout_s):
    raise TimeoutError("model server did not answer in time")


@pytest.mark.resilience
def test_resilience_timeout_falls_back_to_a_human():
    service = ScoringService(model=_timing_out, timeout_ms=800, retries=2)
    assert service.decide(GOOD) == "refer"


@pytest.mark.resilience
def test_resilience_retry_recovers_from_one_dropped_connection():
    calls = []

    def flaky(application, timeout_s):
        calls.append(timeout_s)
        if len(calls) == 1:
            raise ConnectionError("reset by peer")
        return local_model(application, timeout_s)

    assert ScoringService(model=flaky, retries=2).decide(GOOD) == "approve"
    assert len(calls) == 2


@pytest.mark.resilience
def test_resilience_invalid_input_is_refused_not_scored():
    with pytest.raises(InvalidApplication):
        ScoringService(model=local_model).decide({**GOOD, "housing": None})


# -- adversarial: inputs crafted to game the score ---------------------------------------------


@pytest.mark.adversarial
def test_adversarial_negative_amount_is_refused():
    with pytest.raises(InvalidApplication):
        validate({**GOOD, "credit_amount": -5000})


@pytest.mark.adversarial
def test_adversarial_unknown_category_is_refused():
    with pytest.raises(InvalidApplication):
        validate({**GOOD, "checking_account": "rich'); DROP TABLE loans;--"})


@pytest.mark.adversarial
def test_adversarial_huge_amount_is_refused():
    # Amounts are winsorised at AMOUNT_CAP for scoring: without the product limit a strong
    # profile asking for a billion would be recommended for approval.
    with pytest.raises(InvalidApplication):
        ScoringService(model=local_model).decide({**GOOD, "credit_amount": 1_000_000_000})


@pytest.mark.adversarial
def test_adversarial_age_out_of_range_is_refused():
    with pytest.raises(InvalidApplication):
        validate({**GOOD, "age": 150})


# -- edge cases: legal but unusual inputs -------------------------------------------------------


@pytest.mark.edge_case
@pytest.mark.parametrize(
    ("field", "value"),
    [("age", 18), ("age", 100), ("duration", 1), ("duration", 72), ("credit_amount", 250)],
    ids=["youngest", "oldest", "shortest", "longest", "smallest"],
)
def test_edge_case_boundaries_are_scored(field, value):
    application = {**GOOD, field: value}
    validate(application)
    assert 0.0 < score(application) < 1.0


@pytest.mark.edge_case
def test_edge_case_duration_beyond_the_training_data_goes_to_a_person():
    # The scorecard was fitted on durations up to 72 months. Validation accepts up to 120,
    # and such an application is declined by extrapolation instead of referred (RISK-124).
    assert recommend(score({**GOOD, "duration": 120})) == "refer"


# -- override: a person can reverse the model ---------------------------------------------------


@pytest.mark.override
def test_override_reverses_an_approval():
    assert apply_review("approve", "override") == "declined"


@pytest.mark.override
def test_override_reverses_a_decline():
    assert apply_review("decline", "override") == "approved"
