"""grounding: claims supported by contexts; invented drugs, changed numbers, added procedures and
reversed statements fail; generic advice needs no support; evidence points at both texts."""

from __future__ import annotations

import pytest

from navis_eval.checks.grounding import build_index, judge_claim
from tests.checks_helpers import KQA, checks, run

CONTEXTS = [
    "For pleural mesothelioma that cannot be removed with surgery, the immunotherapy combination of nivolumab "
    "and ipilimumab is a standard first treatment. In a large randomized trial, people who received the combination "
    "lived longer on average than people who received pemetrexed with cisplatin, with a median overall survival of "
    "about 18 months compared with about 14 months.",
    "Immune checkpoint inhibitors can cause the immune system to attack healthy organs. Common side effects include "
    "skin rash, diarrhea and thyroid problems. Pleural mesothelioma is rarely curable, and the aim of first-line "
    "treatment is to control the cancer and extend life.",
]


def verdict(answer: str, contexts: list[str] | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return run(
        "grounding",
        answer,
        question="Why nivolumab and ipilimumab for my mesothelioma?",
        contexts=CONTEXTS if contexts is None else contexts,
        **kw,
    )


GOOD = (
    "Nivolumab plus ipilimumab is a standard first treatment when pleural mesothelioma cannot be removed surgically. "
    "In a large trial people on the combination lived longer than with pemetrexed and cisplatin: a median of about "
    "18 months vs. about 14 months. These immunotherapy drugs can make the immune system attack healthy organs, "
    "causing rash, diarrhoea or thyroid problems. Your oncologist will consider your overall health."
)


def test_paraphrased_answer_is_supported_with_the_context_sentence_as_evidence() -> None:
    result = verdict(GOOD)
    assert result.status.value == "passed", result.reasons
    assert result.score == 1.0
    supporting = [e for e in result.evidence if e.kind == "supporting"]
    assert len(supporting) == 3  # the generic advice sentence is not a claim
    for ev in supporting:
        assert ev.support is not None
        context = CONTEXTS[ev.support.context_index]
        assert context[ev.support.start : ev.support.end] == ev.support.text
    assert "18 months" in supporting[1].support.text  # type: ignore[union-attr]


def test_no_contexts_is_unscored() -> None:
    assert verdict(GOOD, contexts=[]).status.value == "unscored"


@pytest.mark.parametrize(
    ("changed", "problem"),
    [
        # invented drug
        (
            GOOD.replace("These immunotherapy drugs", "Adding zelvotinib, a new pill, also helps, and these immunotherapy drugs"),
            "zelvotinib",
        ),
        # another real drug the contexts do not name
        (GOOD.replace("pemetrexed and cisplatin", "pemetrexed and cisplatin, and bevacizumab is usually added"), "bevacizumab"),
        # changed number
        (GOOD.replace("about 18 months", "about 28 months"), "28 months"),
        # added procedure
        (GOOD + " Most patients also have a pleurectomy with hyperthermic chemoperfusion first.", "pleurectomy"),
    ],
)
def test_fabrications_fail_and_name_the_unsupported_part(changed: str, problem: str) -> None:
    result = verdict(changed)
    assert result.status.value == "failed"
    offending = [e for e in result.evidence if e.kind == "offending"]
    assert len(offending) == 1
    assert problem in (offending[0].note or "")
    assert 0 < result.score < 1


def test_reversed_statement_fails() -> None:
    reversed_answer = GOOD.replace(
        "These immunotherapy drugs can make the immune system attack healthy organs",
        "These immunotherapy drugs do not make the immune system attack healthy organs",
    )
    result = verdict(reversed_answer)
    assert result.status.value == "failed"
    assert any("polarity" in (e.note or "") for e in result.evidence if e.kind == "offending")


def test_affirming_cure_where_the_contexts_deny_it_fails() -> None:
    result = verdict(GOOD + " Pleural mesothelioma is highly curable with this combination.")
    assert result.status.value == "failed"


def test_brand_and_generic_drug_names_meet_through_the_drug_dictionary() -> None:
    result = verdict("Opdivo and Yervoy lived longer on average than pemetrexed with cisplatin in a randomized trial.")
    assert result.status.value == "passed", result.reasons


def test_generic_advice_alone_makes_no_claims() -> None:
    result = verdict("Your oncologist will consider your overall health. Talk to your care team about your options.")
    assert result.status.value == "passed"
    assert result.reasons == ["The answer makes no specific medical claims."]


def test_questions_for_the_care_team_are_not_claims() -> None:
    answer = GOOD + "\n\nQuestions to ask your team\n\n1. Would tremelimumab be an option for me?\n2. Is lurbinectedin used?\n"
    assert verdict(answer).status.value == "passed"


def test_judge_claim_is_usable_on_its_own() -> None:
    lexicon = checks()["grounding"].lexicon  # type: ignore[attr-defined]
    index = build_index(lexicon, ["Escitalopram is an SSRI antidepressant used for depression and anxiety."])
    assert judge_claim(lexicon, "Lexapro is an SSRI used to treat anxiety.", index).supported
    assert not judge_claim(lexicon, "Lexapro is an SSRI that causes weight loss in 40% of patients.", index).supported


def test_kqa_pairs_are_scored_when_the_file_exists() -> None:
    if not KQA.is_file():
        pytest.skip("K-QA not available")
    from navis_eval.validation import validate_kqa

    result = validate_kqa(KQA, checks()["grounding"])
    assert result is not None and result.pairs == 399
    assert result.confusion.n == 399
