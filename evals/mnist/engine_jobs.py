"""The same debates through the engine: full transcripts, and a check on the fast path.

For a few images, every debate cell is also run as engine debates (``PixelDebate`` protocol,
``PixelSearchDebater`` seats, ``SparsePixelJudge``), stored in ``transcripts.jsonl`` so that
``debate show`` renders them. Each engine debate must reveal the same pixels and reach the
same verdict as the fast path's game with the same seed; disagreements are counted and
reported (they would mean the fast path does not play the protocol it claims to).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from debate.batch import LiveJob, run_many
from debate.domains.mnist import MnistSplit
from debate.domains.pixel_play import PixelSearchDebater
from debate.domains.pixels import Claim, digit_questions
from debate.moves import PixelReveal
from evals.mnist.cells import GAMES, Cell, GameLine
from evals.mnist.config import MnistDebateConfig
from evals.mnist.plan import debate_cells, game_seed, make_player
from evals.rundir import TRANSCRIPTS
from judges.pixels.evaluator import PixelEvaluator
from judges.pixels.judge import SparsePixelJudge
from protocols.pixels import PixelDebate
from transcripts.store import JsonlRecords, JsonlStore


def engine_jobs(
    config: MnistDebateConfig,
    evaluators: dict[int, PixelEvaluator],
    test: MnistSplit,
    images: list[int],
) -> list[LiveJob]:
    """Engine debates of every cell on ``images``, seeded as the fast path seeds its games.
    Sharing the fast path's evaluators (and so their caches) makes them cheap to rerun."""
    jobs = []
    for cell, spec, _ in debate_cells(config):
        evaluator = evaluators[cell.pixels]
        debater = PixelSearchDebater(
            make_player(spec),
            evaluator.logits,
            pool=config.pool_for(cell.search),
            nonzero_only=config.nonzero_only,
        )
        assert cell.first is not None and cell.precommit is not None
        protocol = PixelDebate(
            pixels=cell.pixels,
            first=cell.first,
            precommit=cell.precommit,
            nonzero_only=config.nonzero_only,
        )
        for question in digit_questions(test, images, precommit=cell.precommit):
            image = int(question.metadata["index"])
            liar = Claim.parse(question.options[1])
            jobs.append(
                LiveJob(
                    debate_id=f"{question.id}:{cell.pixels}px:{cell.first}:{cell.debater}"
                    + (f":{cell.search}" if cell.search else ""),
                    question=question,
                    protocol=protocol,
                    debaters=debater,
                    judge=SparsePixelJudge(evaluator),
                    seed=game_seed(config, cell, image, liar),
                    swap=False,
                    cell=cell.model_dump(mode="json"),
                )
            )
    return jobs


async def run_transcripts(
    config: MnistDebateConfig,
    evaluators: dict[int, PixelEvaluator],
    test: MnistSplit,
    images: list[int],
    run_dir: Path,
) -> dict[str, Any]:
    """Run the engine debates not yet stored; compare every stored one with its fast game."""
    store = JsonlStore(run_dir / TRANSCRIPTS)
    jobs = engine_jobs(config, evaluators, test, images)
    await run_many(jobs, store=store, concurrency=1)
    games = JsonlRecords(run_dir / GAMES, GameLine, GameLine.key).read().records
    fast = {(g.cell.key(), g.image, g.record.liar): g.record for g in games}

    compared = disagree = errors = 0
    for transcript in store.load().transcripts:
        if transcript.error:
            errors += 1
            continue
        cell = Cell.model_validate(transcript.cell)
        question = transcript.setup.question
        record = fast.get((cell.key(), int(question.metadata["index"]), question.options[1]))
        if record is None:
            continue
        compared += 1
        reveals = [t.expect_move(PixelReveal) for t in transcript.turns]
        moves = [(m.pixel, m.value) for m in reveals]
        if moves != [tuple(m) for m in record.moves] or transcript.correct != record.honest_won:
            disagree += 1
    return {"debates": len(jobs), "compared": compared, "disagree": disagree, "errors": errors}
