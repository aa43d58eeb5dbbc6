"""What counts as a verdict: a letter at the answer position that ends a word, or a final
``Probabilities:`` line; anything else is re-asked, then recorded unparsed.

Against a real llama.cpp server, 17 of 19 letters the old parser accepted were replies such
as "Debater A, ..." or "A single capital letter...": the first letter token anywhere.
"""

from __future__ import annotations

import math

import pytest

from debate.models import GenerateResponse, Model, ModelConfig, ScriptedBackend
from debate.types import JudgeView, Verdict
from judges import ModelJudge
from judges.parsing import parse_probabilities, probabilities_from_logprobs, verdict_letter


def entries(*tokens: str, top: dict[str, float] | None = None) -> list[dict[str, object]]:
    """Logprob entries for ``tokens``; ``top`` gives every position these alternatives."""
    alternatives = [{"token": t, "logprob": lp} for t, lp in (top or {}).items()]
    return [{"token": t, "logprob": -0.1, "top_logprobs": alternatives} for t in tokens]


VOTES = [
    (["A"], "A"),
    ([" B"], "B"),
    (["(", "B", ")"], "B"),
    (["\n", "(B"], "B"),
    (["A", "."], "A"),
    (["A", ".", " Because", " the"], "A"),
    (["B", ")", " the", " cook"], "B"),
    (["A", ",", " because"], "A"),
    (["A", "\n", "Because"], "A"),
    (["A", " (", "the"], "A"),
    (["**", "A", "**"], "A"),
    (['"', "B", '"'], "B"),
    (["Answer", ":", " A"], "A"),
    (["Answer", ": (", "B", ")"], "B"),
    (["**Answer:**", " B"], "B"),
    (["The", " answer", " is", " B"], "B"),
    (["Final", " answer", ":", " A"], "A"),
    (["A", "nswer", ":", " B"], "B"),  # the "A" of "Answer" is skipped, not a failure
    (["B", " "], "B"),  # cut off by the token limit after a space
]

NOT_VOTES = [
    ["Deb", "ater", " A", ","],  # the reply that was read as A
    ["A", " single", " capital", " letter"],  # an echo of the old re-ask
    ["A", " is", " correct"],  # a word follows: refused rather than guessed
    ["B", " because"],
    ["A", "'s", " argument"],
    ["A", "-level"],
    ["A", "/B"],
    ["I", " think", " A"],
    ["The", " cook", " (B"],
    ["Both", " A", " and"],
    ["a"],  # lower case
    ["The"],
    [],
]


@pytest.mark.parametrize(("tokens", "vote"), VOTES)
def test_a_letter_at_the_answer_position_ending_a_word_is_a_vote(
    tokens: list[str], vote: str
) -> None:
    found = verdict_letter(tokens)
    assert found is not None and found[1] == vote
    assert tokens[found[0]].strip('()*" \n.:') == vote


@pytest.mark.parametrize("tokens", NOT_VOTES)
def test_a_letter_elsewhere_or_starting_a_word_is_not_a_vote(tokens: list[str]) -> None:
    assert verdict_letter(tokens) is None
    assert probabilities_from_logprobs(entries(*tokens, top={"A": -0.5, "B": -1.0}), 2) is None


def test_the_mass_is_read_at_the_verdict_token_not_an_earlier_letter() -> None:
    reply = entries("A", "nswer", ":")
    reply.append(
        {
            "token": " B",
            "logprob": -0.2,
            "top_logprobs": [
                {"token": " B", "logprob": -0.2},
                {"token": " A", "logprob": -1.8},
                {"token": "A", "logprob": -3.0},
                {"token": " single", "logprob": -0.5},  # not a letter: ignored
            ],
        }
    )
    probs = probabilities_from_logprobs(reply, 2)
    a, b = math.exp(-1.8) + math.exp(-3.0), math.exp(-0.2)
    assert probs == pytest.approx([a / (a + b), b / (a + b)])


def test_a_letter_beyond_the_shown_answers_is_no_vote() -> None:
    assert probabilities_from_logprobs(entries("C"), 2) is None
    assert probabilities_from_logprobs(entries("C", top={"C": -0.1}), 3) == pytest.approx([0, 0, 1])
    assert probabilities_from_logprobs([{"token": "A"}, "junk"], 2) is None


# --- stated probabilities: the final line only --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Probabilities: A=0.7, B=0.3\nActually, debater B was right.",  # not the last line
        "Probabilities: A=0.7, B=0.3 according to debater A",
        "improbabilities: A=0.7, B=0.3",
        "The format is Probabilities: A=0.xx, B=0.yy",
    ],
)
def test_stated_probabilities_not_ending_the_reply_are_refused(text: str) -> None:
    assert parse_probabilities(text, 2) is None


@pytest.mark.parametrize(
    "text",
    [
        "Reasoning.\n\nProbabilities: A=0.7, B=0.3\n\n",
        "**Probabilities:** A=0.7, B=0.3",
        "**Probabilities: A=0.7, B=0.3**",
        "So, on balance. Probabilities: A=0.7, B=0.3.",
        "```\nProbabilities: A=0.7, B=0.3\n```\n---",  # closing markup lines are skipped
    ],
)
def test_a_final_probabilities_line_is_read(text: str) -> None:
    assert parse_probabilities(text, 2) == pytest.approx([0.7, 0.3])


# --- the judge: re-asked, and how many re-asks each verdict took ----------------------------


def view() -> JudgeView:
    return JudgeView(
        debate_id="d1",
        protocol="debate-sequential",
        question="Who did it?",
        answers=["the gardener", "the cook"],
        turns=[],
        seed=3,
    )


def reply(*tokens: str) -> GenerateResponse:
    return GenerateResponse(
        text="".join(tokens), extra={"logprobs": entries(*tokens, top={"A": -0.3, "B": -1.5})}
    )


def letter_judge(*replies: GenerateResponse, max_reasks: int = 2) -> tuple[ModelJudge, Model]:
    model = Model(ScriptedBackend(list(replies), logprobs=True), ModelConfig(model="m"))
    return ModelJudge(model, probabilities="logprobs", max_reasks=max_reasks), model


async def test_a_first_reply_that_is_a_vote_takes_no_reask() -> None:
    judge, _ = letter_judge(reply("A"))
    verdict = await judge(view())
    assert verdict.parsed and verdict.decision == 0 and verdict.reasks == 0


async def test_replies_that_are_not_votes_are_reasked_and_counted() -> None:
    judge, model = letter_judge(reply("Deb", "ater", " A", ","), reply("A", " single"), reply("B"))
    verdict = await judge(view())
    assert verdict.parsed and verdict.reasks == 2
    assert verdict.request is not None
    assert [a["parsed"] for a in verdict.request["attempts"]] == [False, False, True]
    assert model.usage.calls == 3


async def test_no_vote_after_the_reask_limit_is_recorded_unparsed() -> None:
    judge, _ = letter_judge(reply("Debater", " A"), reply("A", " single"), max_reasks=1)
    verdict = await judge(view())
    assert not verdict.parsed and verdict.decision is None and verdict.reasks == 1
    assert verdict.raw == "A single"


async def test_stated_verdicts_count_reasks_too() -> None:
    model = Model(
        ScriptedBackend(["A, surely.", "Probabilities: A=0.3, B=0.7"]), ModelConfig(model="m")
    )
    verdict = await ModelJudge(model, probabilities="stated")(view())
    assert verdict.parsed and verdict.reasks == 1


def test_old_transcripts_without_the_field_still_load() -> None:
    old = '{"probabilities": [0.6, 0.4], "parsed": true, "raw": "A"}'
    assert Verdict.model_validate_json(old).reasks == 0
    with pytest.raises(ValueError):
        Verdict(probabilities=[0.5, 0.5], reasks=-1)
