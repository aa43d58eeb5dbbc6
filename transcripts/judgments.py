"""Judgments: verdicts given later on stored debates (by a human, or by any other judge).

A judgment is appended to ``judgments.jsonl`` (one whole line, synced) the moment it is
given, so a session can be killed at any point and resumed. The stored debate is never
rewritten: ``rejudged`` combines it with a judgment into the transcript that judge *would*
have produced, so every metric counts the verdict exactly like a model judge's.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from debate.errors import DataError
from debate.types import AgentInfo, Frozen, JudgeView, Transcript, Usage, Verdict
from transcripts.store import JsonlRecords, Records

JUDGMENTS = "judgments.jsonl"
JUDGMENT_VERSION = 1


class Judgment(Frozen):
    """One judge's verdict on one stored debate."""

    version: int = JUDGMENT_VERSION
    judge: AgentInfo = Field(description="who judged; ``judge.name`` labels results cells")
    debate_id: str
    verdict: Verdict = Field(description="probabilities in the transcript's answer order")
    sequence: int = Field(default=0, ge=0, description="place of the debate in the session")
    started_at: float
    finished_at: float


def _judgment_key(judgment: Judgment) -> str:
    return f"{judgment.judge.name}\x00{judgment.debate_id}"


class JudgmentStore(JsonlRecords[Judgment]):
    """Judgments in one JSONL file; one per (judge, debate), the first one given wins."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, Judgment, _judgment_key, "judgment")

    def load(self) -> Records[Judgment]:
        """Every readable judgment, first per (judge, debate).

        An unreadable line is skipped and listed in ``bad_lines`` (a write torn by a kill
        stays in the file, and later judgments follow it): it must never block a judge from
        resuming. A file with lines but not one judgment is not a judgments file: refused.
        """
        result = self.read()
        if result.bad_lines and not result.records:
            raise DataError(f"{self.path}: no valid judgment in the file")
        return result

    def judged_by(self, judge_name: str) -> set[str]:
        """Ids of the debates ``judge_name`` has already judged (what a resume skips)."""
        prefix = f"{judge_name}\x00"
        return {key[len(prefix) :] for key in self.keys() if key.startswith(prefix)}


def judge_view(transcript: Transcript) -> JudgeView:
    """What the debate's judge saw: question, shown answers and turns, never the hidden
    context, the correct answer, the debate id (it can encode the answer order) or the
    original verdict."""
    setup = transcript.setup
    return JudgeView(
        debate_id=transcript.debate_id,
        protocol=transcript.protocol,
        question=setup.question.text,
        answers=[setup.question.options[i] for i in setup.shown],
        turns=transcript.turns,
        seed=setup.seed,
        question_id=setup.question.id,
        public_data=setup.question.public_data,
        protocol_settings=transcript.protocol_settings,
    )


def rejudged(transcript: Transcript, judgment: Judgment) -> Transcript:
    """The transcript with this judgment as its verdict, in a cell of its own.

    The cell is the debate's cell with ``judge`` replaced by the judgment's judge (for a
    debate run outside an eval: its protocol and settings), so results put human and model
    verdicts on the same debates side by side.
    """
    if judgment.debate_id != transcript.debate_id:
        raise ValueError(f"judgment for {judgment.debate_id!r} applied to {transcript.debate_id!r}")
    verdict = judgment.verdict
    if len(verdict.probabilities) != len(transcript.setup.shown):
        raise DataError(
            f"judgment by {judgment.judge.name!r} on {judgment.debate_id!r} gives "
            f"{len(verdict.probabilities)} probabilities for {len(transcript.setup.shown)} answers"
        )
    correct_pos = transcript.setup.correct_position
    base = transcript.cell or {"protocol": transcript.protocol, **transcript.protocol_settings}
    return transcript.model_copy(
        update={
            "cell": {**base, "judge": judgment.judge.name},
            "judge": judgment.judge,
            "verdict": verdict,
            "correct": verdict.score(correct_pos) == 1.0,
            "p_correct": verdict.probabilities[correct_pos],
            "error": None,
            "usage": sum((t.usage for t in transcript.turns), Usage()) + verdict.usage,
            "started_at": judgment.started_at,
            "finished_at": judgment.finished_at,
        }
    )


def rejudged_all(
    transcripts: list[Transcript], judgments: list[Judgment]
) -> tuple[list[Transcript], int]:
    """Every judgment applied to its debate, in judgment order; also the number of
    judgments whose debate is not among ``transcripts`` (reported, never guessed at)."""
    by_id = {t.debate_id: t for t in transcripts}
    out = [rejudged(by_id[j.debate_id], j) for j in judgments if j.debate_id in by_id]
    return out, len(judgments) - len(out)
