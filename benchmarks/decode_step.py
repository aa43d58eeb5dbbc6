"""One decoding step of the local model, by number format and code path, side by side.

Loads the prepared model twice (``quantize="auto"``: 4-bit where the weights are 4-bit,
int8 elsewhere; ``quantize="int8"``: int8 everywhere), reads the same prompts into a cache,
then times one-token steps for 1 and 8 rows through the straight-line step
(``debate.models.lean_decode``) and through transformers' layers on the same copies,
interleaved round by round so machine noise falls on all alike. Prints the median step.

    .venv/bin/python benchmarks/decode_step.py [--rounds 9] [--cached 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import torch

from debate.models.hf_load import load
from debate.models.kv_cache import growing_cache
from debate.models.lean_decode import LeanDecoder
from debate.models.local import LocalModelSettings


def stepper(model: Any, rows: int, cached: int, lean: bool) -> Any:
    """A function making one step for ``rows`` rows after ``cached`` prompt tokens."""
    decoder = model.model.forward.__self__
    assert isinstance(decoder, LeanDecoder)
    forward = decoder.forward if lean else decoder.transformers_forward
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(100, 4000, (rows, cached), generator=generator)
    cache = growing_cache(model.config)
    with torch.inference_mode():  # a prompt: transformers' layers either way
        model(input_ids=ids, cache=cache, position_ids=torch.arange(cached)[None].expand(rows, -1))
    state = {"position": cached, "mask": torch.ones(rows, cached, dtype=torch.long)}
    token = torch.full((rows, 1), 42)

    def step() -> None:
        state["mask"] = torch.cat([state["mask"], torch.ones(rows, 1, dtype=torch.long)], 1)
        position = torch.full((rows, 1), state["position"])
        with torch.inference_mode():
            hidden = forward(
                input_ids=token, attention_mask=state["mask"], position_ids=position, cache=cache
            ).last_hidden_state
            model.lm_head(hidden)
        state["position"] += 1

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--cached", type=int, default=300)
    parser.add_argument("--steps", type=int, default=10, help="steps per timing")
    args = parser.parse_args()
    models = {q: load(LocalModelSettings(quantize=q)) for q in ("auto", "int8")}
    for name, loaded in models.items():
        print(f"quantize={name}: {loaded.dtype}, decoding weights {loaded.decode_weights}")
    cases = {
        f"{name:4s} {'lean' if lean else 'transformers':12s} rows {rows}": stepper(
            loaded.model, rows, args.cached, lean
        )
        for name, loaded in models.items()
        for rows in (1, 8)
        for lean in (True, False)
    }
    times: dict[str, list[float]] = {case: [] for case in cases}
    for _ in range(args.rounds):
        for case, step in cases.items():
            step()  # warm
            started = time.perf_counter()
            for _ in range(args.steps):
                step()
            times[case].append((time.perf_counter() - started) / args.steps)
    average = os.getloadavg()[0]
    print(f"{args.cached} cached tokens, {torch.get_num_threads()} threads, load {average:.2f}")
    for case, seconds in times.items():
        print(f"{case}: {statistics.median(seconds) * 1e3:6.2f} ms per step")


if __name__ == "__main__":
    main()
