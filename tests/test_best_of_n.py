"""Best-of-N debater: N candidates, ranked by a judge-preference call, all recorded."""

from __future__ import annotations

import pytest

from debate import ModelDebater, Question, run_debate
from debate.best_of_n import BestOfNDebater
from debate.models import FunctionBackend, GenerateRequest, Model, ModelConfig, SamplingSettings
from debate.moves import BestOfN
from debate.protocol import build_protocol
from judges import ModelJudge, SimulatedJudge

QUESTION = Question(
    id="q",
    text="Who did it?",
    options=["the gardener", "the cook"],
    correct_index=1,
    context="The cook stayed in the kitchen all evening.",
)


def candidate(request: GenerateRequest) -> str:
    """Candidate k quotes the passage correctly only when k is 0 (by seed)."""
    k = (request.seed or 0) % 4
    if k == 0:
        return "Look: <quote>the cook stayed in the kitchen</quote>."
    return f"Candidate {k}: <quote>the cook fled at {k} pm</quote>."


def preference(request: GenerateRequest) -> str:
    """Backs the last speaker strongly when its quote is verified (it sees the marks)."""
    last = request.messages[-1].content.rsplit("Consultant (", 1)[-1]
    side, strong = last[0], "<v_quote>" in last
    p = 0.9 if strong else 0.6
    probs = {side: p, "B" if side == "A" else "A": round(1 - p, 2)}
    return f"Probabilities: A={probs['A']}, B={probs['B']}"


async def test_best_candidate_by_preference_is_kept_and_all_are_recorded() -> None:
    sampling = SamplingSettings(temperature=1.0)
    speaker = Model(FunctionBackend(candidate), ModelConfig(model="d", sampling=sampling))
    ranker = Model(FunctionBackend(preference), ModelConfig(model="j"))
    debater = BestOfNDebater(ModelDebater(speaker), 4, ModelJudge(ranker))
    transcript = await run_debate(
        QUESTION,
        build_protocol("consultancy", {"rounds": 1, "assignment": "correct"}),
        debater,
        SimulatedJudge(),
        swap=False,
    )
    assert transcript.error is None
    (turn,) = transcript.turns
    record = turn.expect_move(BestOfN)
    candidates = record.candidates
    assert len(candidates) == 4 and len({c.seed for c in candidates}) == 4
    best = record.chosen
    assert turn.text == candidates[best].text
    assert candidates[best].score == max(c.score for c in candidates)
    # The chosen speech is the one (of the seeds here: exactly one) whose quote checks out.
    verified = [i for i, c in enumerate(candidates) if "kitchen" in c.text]
    assert len(verified) == 1 and best == verified[0] and turn.quotes[0].verified
    # Usage of every candidate and every preference call is charged to the turn.
    assert turn.usage.calls == 8 == speaker.usage.calls + ranker.usage.calls
    assert transcript.debaters["consultant"].kind == "best-of-n"
    assert transcript.debaters["consultant"].settings["best_of"] == 4


async def test_unparsed_preference_ranks_last() -> None:
    texts = iter(["first", "second"])
    speaker = Model(FunctionBackend(lambda r: next(texts)), ModelConfig(model="d"))
    verdicts = iter(["no verdict here", "Probabilities: A=0.2, B=0.8"])
    ranker = Model(FunctionBackend(lambda r: next(verdicts)), ModelConfig(model="j"))
    debater = BestOfNDebater(ModelDebater(speaker), 2, ModelJudge(ranker, max_reasks=0))
    transcript = await run_debate(
        QUESTION,
        build_protocol("consultancy", {"rounds": 1, "assignment": "correct"}),
        debater,
        SimulatedJudge(),
        swap=False,
    )
    record = transcript.turns[0].expect_move(BestOfN)
    assert record.candidates[0].score == -1.0
    assert record.chosen == 1 and transcript.turns[0].text == "second"


def test_n_must_be_positive() -> None:
    model = Model(FunctionBackend(lambda r: "x"), ModelConfig(model="m"))
    with pytest.raises(ValueError, match="n >= 1"):
        BestOfNDebater(ModelDebater(model), 0, ModelJudge(model))
