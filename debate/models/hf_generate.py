"""One batched ``generate`` call for many chat requests, each with its own settings.

Rows are left-padded to a common length (the attention mask hides the padding, and
transformers derives positions from it), so a row's greedy output does not depend on what
it was batched with. Per-row settings are honoured inside one call:

- sampling: ``RowSampler`` draws each sampled row's token from that row's own seeded
  generator and hands greedy search a one-hot choice, so a seeded request samples the same
  text whatever its batch (greedy rows are left alone);
- length and stop strings: ``RowStops`` ends each row at its own ``max_tokens``, stop
  strings or end-of-turn token and records where it ended;
- logprobs (``extra={"logprobs": True, "top_logprobs": k}``): per generated token, its
  logprob and the top k alternatives, from the model's raw logits, in the format
  ``judges.parsing.probabilities_from_logprobs`` reads (the OpenAI shape).

With a ``PrefixCache``, prompt states kept from earlier prompts (or computed once for
prompts of this batch that share a prefix, or alone for a prompt whose long uncached part
would pad every row) are spliced in, and only the rest is computed. Decoding appends to a
preallocated key/value buffer (``kv_cache``), not a cache re-concatenated every token.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from debate.models.answer_letters import ANSWER_LETTERS, answer_letters
from debate.models.base import (
    GenerateRequest,
    GenerateResponse,
    SamplingSettings,
    message_dicts,
)
from debate.models.hf_load import LoadedModel
from debate.models.prefix_cache import (
    PrefixCache,
    assemble,
    keep,
    settle,
    supports_prefix_reuse,
    warm,
)
from debate.types import Usage

if TYPE_CHECKING:
    import torch

SUPPORTED_OPTIONS = frozenset({"logprobs", "top_logprobs", ANSWER_LETTERS})
MAX_TOP_LOGPROBS = 20


class PromptTooLong(ValueError):
    """A prompt plus its ``max_tokens`` does not fit the model's context window."""


@dataclass(frozen=True)
class Encoded:
    """A request ready for a batch: token ids and the settings its row needs."""

    ids: list[int]
    sampling: SamplingSettings
    seed: int | None
    top_logprobs: int | None
    """None: no logprobs wanted; else how many alternatives per token (0 allowed)."""
    first_tokens: tuple[int, ...] = ()
    """The only tokens the first generated one may be (``answer_letters``); () = any."""


def _logprob_option(extra: dict[str, Any]) -> int | None:
    unknown = set(extra) - SUPPORTED_OPTIONS
    if unknown:
        raise ValueError(f"the local backend does not support request options {sorted(unknown)}")
    if not extra.get("logprobs"):
        return None
    top = extra.get("top_logprobs", 0)
    if not isinstance(top, int) or not 0 <= top <= MAX_TOP_LOGPROBS:
        raise ValueError(f"top_logprobs must be an integer in 0..{MAX_TOP_LOGPROBS}, got {top!r}")
    return top


class RowSampler:
    """Logits processor: temperature/top-p sampling per row with per-row generators."""

    def __init__(self, items: Sequence[Encoded]) -> None:
        import torch

        self.rows: list[tuple[int, SamplingSettings, torch.Generator]] = []
        for row, item in enumerate(items):
            if item.sampling.temperature > 0:
                seed = item.seed if item.seed is not None else random.SystemRandom().getrandbits(63)
                generator = torch.Generator(device="cpu").manual_seed(seed)
                self.rows.append((row, item.sampling, generator))

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        import torch

        if not self.rows:
            return scores
        scores = scores.clone()
        for row, sampling, generator in self.rows:
            probs = torch.softmax(scores[row].float().cpu() / sampling.temperature, dim=-1)
            if sampling.top_p is not None and sampling.top_p < 1:
                ordered, order = torch.sort(probs, descending=True)
                outside = torch.cumsum(ordered, dim=-1) - ordered >= sampling.top_p
                probs[order[outside]] = 0.0  # the first token always stays
            choice = int(torch.multinomial(probs, 1, generator=generator))
            scores[row] = float("-inf")
            scores[row, choice] = 0.0
        return scores


class FirstTokenChoices:
    """Logits processor: each row with ``first_tokens`` picks its first token among them.

    Runs before ``RowSampler`` on the processed scores only: logprobs are read from the raw
    logits, so they stay the model's own belief at the answer position.
    """

    def __init__(self, items: Sequence[Encoded], prompt_len: int) -> None:
        self.rows = [
            (row, item.first_tokens) for row, item in enumerate(items) if item.first_tokens
        ]
        self.prompt_len = prompt_len

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if not self.rows or input_ids.shape[1] != self.prompt_len:
            return scores
        scores = scores.clone()
        for row, allowed in self.rows:
            keep = scores[row, list(allowed)].clone()
            scores[row] = float("-inf")
            scores[row, list(allowed)] = keep
        return scores


class RowStops:
    """Stopping criterion: each row ends at its own limit, stop string or end-of-turn token."""

    def __init__(
        self,
        items: Sequence[Encoded],
        prompt_len: int,
        eos_ids: Sequence[int],
        decode: Callable[[list[int]], str],
    ) -> None:
        self.items = items
        self.prompt_len = prompt_len
        self.eos = set(eos_ids)
        self.decode = decode
        self.ended: list[int | None] = [None] * len(items)
        """Tokens each row had generated when it ended (its last one included)."""

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **_: Any) -> torch.Tensor:
        import torch

        generated = input_ids.shape[1] - self.prompt_len
        for row, item in enumerate(self.items):
            if self.ended[row] is not None:
                continue
            last = int(input_ids[row, -1])
            done = last in self.eos or generated >= item.sampling.max_tokens
            done = done or bool(item.first_tokens)  # the answer letter is the whole reply
            if not done and item.sampling.stop:
                text = self.decode(input_ids[row, self.prompt_len :].tolist())
                done = any(stop in text for stop in item.sampling.stop)
            if done:
                self.ended[row] = generated
        flags = [ended is not None for ended in self.ended]
        return torch.tensor(flags, dtype=torch.bool, device=input_ids.device)


class HFEngine:
    """Encodes requests (on the caller's thread) and runs batches (on the worker's)."""

    def __init__(self, loaded: LoadedModel, prefix_cache_mb: int = 0) -> None:
        self.loaded = loaded
        self.plain_cache = supports_prefix_reuse(loaded.model.config)
        """Whether the model's cache is plain per-layer states (spliceable, growable in place)."""
        reusable = prefix_cache_mb > 0 and self.plain_cache
        self.prefix = PrefixCache(max_bytes=prefix_cache_mb * 2**20) if reusable else None
        # Fast tokenizers are not safe to share across threads mid-call.
        self._tokenizer_lock = threading.Lock()
        self._letter_ids: dict[tuple[str, ...], tuple[int, ...]] = {}

    def encode(self, request: GenerateRequest) -> Encoded:
        top = _logprob_option(request.extra)
        messages = message_dicts(request.messages)
        tokenizer = self.loaded.tokenizer
        with self._tokenizer_lock:
            text = tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            ids: list[int] = tokenizer(str(text), add_special_tokens=False)["input_ids"]
        context = self.loaded.context
        if context is not None and len(ids) + request.sampling.max_tokens > context:
            raise PromptTooLong(
                f"prompt of {len(ids)} tokens plus max_tokens {request.sampling.max_tokens} "
                f"exceeds the model's context of {context} tokens"
            )
        letters = answer_letters(request.extra)
        return Encoded(
            ids=ids,
            sampling=request.sampling,
            seed=request.seed,
            top_logprobs=top,
            first_tokens=self._letter_tokens(letters) if letters else (),
        )

    def _letter_tokens(self, letters: list[str]) -> tuple[int, ...]:
        """Each letter's token, where it is one token (a letter that is not stays out);
        tokenized once per set of letters, not on every judge call."""
        key = tuple(letters)
        known = self._letter_ids.get(key)
        if known is not None:
            return known
        tokens = []
        with self._tokenizer_lock:
            for letter in letters:
                ids = self.loaded.tokenizer(letter, add_special_tokens=False)["input_ids"]
                if len(ids) == 1:
                    tokens.append(int(ids[0]))
        self._letter_ids[key] = tuple(tokens)
        return self._letter_ids[key]

    def _decode(self, ids: list[int]) -> str:
        with self._tokenizer_lock:
            return str(self.loaded.tokenizer.decode(ids, skip_special_tokens=True))

    def run_batch(self, items: list[Encoded]) -> list[GenerateResponse]:
        """Generate for every item in one left-padded batch."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

        loaded = self.loaded
        width = max(len(item.ids) for item in items)
        input_ids = torch.full((len(items), width), loaded.pad_id, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, item in enumerate(items):
            input_ids[row, width - len(item.ids) :] = torch.tensor(item.ids)
            mask[row, width - len(item.ids) :] = 1
        stops = RowStops(items, width, loaded.eos_ids, self._decode)
        want_logits = any(item.top_logprobs is not None for item in items)
        config = GenerationConfig(  # type: ignore[no-untyped-call]
            do_sample=False,
            max_new_tokens=max(item.sampling.max_tokens for item in items),
            eos_token_id=loaded.eos_ids,
            pad_token_id=loaded.pad_id,
            return_dict_in_generate=True,
            output_logits=want_logits,
        )
        prompts = [item.ids for item in items]
        past: object | None = None
        if self.prefix is not None:
            warm(self.prefix, prompts, loaded.model, loaded.device)
            settle(self.prefix, prompts, loaded.model, loaded.device)
            past, _ = assemble(self.prefix, prompts, width, loaded.model.config)
        if past is None and self.plain_cache:
            from debate.models.kv_cache import growing_cache

            past = growing_cache(loaded.model.config)  # appends in place while decoding
        reuse: dict[str, Any] = {} if past is None else {"cache": past}
        with torch.inference_mode():
            out = loaded.model.generate(  # type: ignore[operator]
                input_ids=input_ids.to(loaded.device),
                attention_mask=mask.to(loaded.device),
                generation_config=config,
                logits_processor=LogitsProcessorList(
                    [FirstTokenChoices(items, width), RowSampler(items)]
                ),
                stopping_criteria=StoppingCriteriaList([stops]),
                **reuse,
            )
        if self.prefix is not None:
            keep(self.prefix, prompts, width, out.cache)
        sequences = out.sequences[:, width:].tolist()
        return [
            self._response(item, sequences[row], stops.ended[row], out.logits, row)
            for row, item in enumerate(items)
        ]

    def _response(
        self,
        item: Encoded,
        generated: list[int],
        ended: int | None,
        logits: Sequence[torch.Tensor] | None,
        row: int,
    ) -> GenerateResponse:
        count = ended if ended is not None else len(generated)
        tokens = generated[:count]
        finish = "length"
        if tokens and tokens[-1] in self.loaded.eos_ids:
            tokens, finish = tokens[:-1], "stop"
        text = self._decode(tokens)
        for stop in item.sampling.stop or []:
            if stop in text:
                text, finish = text[: text.index(stop)], "stop"
        extra: dict[str, Any] = {}
        if item.top_logprobs is not None and logits is not None:
            extra["logprobs"] = self._logprobs(
                tokens, logits, row, item.top_logprobs, item.first_tokens
            )
        usage = Usage(input_tokens=len(item.ids), output_tokens=count, calls=1)
        return GenerateResponse(text=text, usage=usage, finish_reason=finish, extra=extra)

    def _logprobs(
        self,
        tokens: list[int],
        logits: Sequence[torch.Tensor],
        row: int,
        top: int,
        choices: tuple[int, ...] = (),
    ) -> list[dict[str, Any]]:
        """Per token, the model's own logprobs; at a constrained first token, every allowed
        answer letter is among the alternatives even outside the top ``top`` (else a rival
        letter the model finds unlikely would read as probability 0)."""
        import torch

        entries: list[dict[str, Any]] = []
        for step, token in enumerate(tokens):
            logprobs = torch.log_softmax(logits[step][row].float(), dim=-1)
            best = torch.topk(logprobs, top) if top else None
            ids = [int(i) for i in best.indices] if best is not None else []
            if step == 0:
                ids += [c for c in choices if c not in ids]
            alternatives = [
                {"token": self._decode([i]), "logprob": float(logprobs[i])} for i in ids
            ]
            entries.append(
                {
                    "token": self._decode([token]),
                    "logprob": float(logprobs[token]),
                    "top_logprobs": alternatives,
                }
            )
        return entries
