"""Judging sessions over stored debates, and how one judge did.

``rejudge`` works for any judge (a person at the terminal, or a model judge re-reading old
debates): it asks for one verdict at a time, in the session's order, and appends each
judgment to the store the moment it is given, so a session stopped anywhere resumes where
it stopped. ``summarize_judge`` gives the figures a judge sees when a session ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from debate.roles import Judge
from debate.seeds import rng_for
from debate.types import Transcript
from evals.config import EvalConfig, ProtocolSpec
from evals.datasets import EvidenceDataset
from evals.metrics import (
    CalibrationBin,
    brier_score,
    calibration_bins,
    clustered_interval,
    expected_calibration_error,
)
from judges.specs import HumanJudgeSpec
from transcripts.judgments import Judgment, JudgmentStore, judge_view


def session_order(
    transcripts: Sequence[Transcript], judge_name: str, *, shuffle: bool = True
) -> list[Transcript]:
    """The debates a judge is asked about, in the order asked.

    Failed debates are left out (there is no finished debate to judge). The order is drawn
    per judge, so judges do not all meet the same debates first, and it is the same every
    time that judge resumes.
    """
    finished = [t for t in transcripts if t.error is None]
    if shuffle:
        rng_for(0, "session order", judge_name).shuffle(finished)
    return finished


async def rejudge(
    transcripts: Sequence[Transcript],
    judge: Judge,
    store: JudgmentStore,
    *,
    on_judged: Callable[[Transcript, Judgment], None] | None = None,
) -> int:
    """Ask ``judge`` about each debate it has not judged yet; return how many it judged.

    Each judgment is appended (whole line, synced) before the next debate is shown.
    """
    info = judge.describe()
    done = store.judged_by(info.name)
    judged = 0
    for sequence, transcript in enumerate(transcripts):
        if transcript.debate_id in done:
            continue
        started_at = time.time()
        verdict = await judge(judge_view(transcript))
        if len(verdict.probabilities) != len(transcript.setup.shown):
            raise ValueError(
                f"judge gave {len(verdict.probabilities)} probabilities for "
                f"{len(transcript.setup.shown)} answers"
            )
        judgment = Judgment(
            judge=info,
            debate_id=transcript.debate_id,
            verdict=verdict,
            sequence=sequence,
            started_at=started_at,
            finished_at=time.time(),
        )
        store.append(judgment)
        judged += 1
        if on_judged is not None:
            on_judged(transcript, judgment)
    return judged


class JudgeSummary(BaseModel):
    """How one judge did: accuracy with a Wilson interval, Brier score, calibration."""

    judge: str
    n: int
    correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    brier: float
    ece: float
    bins: list[CalibrationBin]
    failed: int
    """Debates of this judge that failed before a verdict (not in the figures above)."""
    ties: int = 0
    """Verdicts tied on the top answer, each scored 1/k in the accuracy."""
    mean_seconds: float | None


def summarize_judge(transcripts: Sequence[Transcript], judge_name: str) -> JudgeSummary:
    """Figures over the debates ``judge_name`` gave a verdict on (its transcripts, or
    stored debates with its judgments applied: ``transcripts.judgments.rejudged``)."""
    mine = [t for t in transcripts if t.judge.name == judge_name]
    judged = [t for t in mine if t.verdict is not None and t.p_correct is not None]
    hits = [t.score for t in judged]  # the one scoring rule: a tie scores 1/k
    confidences = [max(t.verdict.probabilities) for t in judged if t.verdict is not None]
    seconds = [
        float(t.verdict.request["seconds"])
        for t in judged
        if t.verdict is not None and t.verdict.request and "seconds" in t.verdict.request
    ]
    low, high = clustered_interval(hits, [t.setup.question.id for t in judged])
    return JudgeSummary(
        judge=judge_name,
        n=len(judged),
        correct=sum(1 for t in judged if t.score == 1.0),
        accuracy=sum(hits) / len(judged) if judged else math.nan,
        ci_low=low,
        ci_high=high,
        brier=brier_score([t.p_scored for t in judged]),
        ece=expected_calibration_error(confidences, hits),
        bins=calibration_bins(confidences, hits),
        failed=len(mine) - len(judged),
        ties=sum(1 for t in judged if t.tie),
        mean_seconds=sum(seconds) / len(seconds) if seconds else None,
    )


def live_config(base: EvalConfig, judge_id: str, limit: int | None = None) -> EvalConfig:
    """``base`` with one person as its only judge, one debate at a time, each question
    once in an answer order drawn for this judge (debate ids, and so seeds, include the
    judge's cell), and at most ``limit`` questions."""
    config = base.model_copy(
        update={
            "judges": [HumanJudgeSpec(id=judge_id)],
            "position_swap": "random",
            "concurrency": 1,
        }
    )
    if limit is not None:
        config = config.model_copy(update={"quick_questions": limit}).quick()
    return config


def default_live_config(judge_id: str) -> EvalConfig:
    """Live judging with no config given: simulated debaters on the evidence domain."""
    return EvalConfig(
        name="live judging: simulated debaters on the evidence domain",
        dataset=EvidenceDataset(n=10, seed=1),
        protocols=[ProtocolSpec(name="debate-sequential", settings={"rounds": 2})],
        judges=[HumanJudgeSpec(id=judge_id)],
    )
