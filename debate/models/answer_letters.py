"""The ``answer_letters`` request option: "the reply is one of these letters".

A logprob judge reads a probability for each answer at the token that holds its answer
letter. A small model served without constraint often starts with something else ("The
debater...", "Based on"), and then there is no answer position to read (against llama.cpp's
server, 7 of 20 SmolLM2-135M verdicts parsed). So the judge says which letters are answers,
in one backend-neutral option, and each backend honours it as it can:

``GenerateRequest.extra["answer_letters"] = ["A", "B"]`` (sent with ``logprobs``)
    The reply should be exactly one of these letters. A backend that can constrain its
    generation makes the first generated token one of them, **while still reporting the
    model's own (unconstrained) logprobs at that position**, so the probabilities read are
    the model's belief, not the constraint's. A backend that cannot constrain drops the
    option: the judge's strict parsing and re-asks then work as before. A backend that
    refuses ``logprobs`` may refuse this option the same way (a judge sends it only with
    ``logprobs``, so only on a backend that offers them).

How the OpenAI-compatible backend constrains is a setting of the backend, because it is a
property of the server, not of the request (``AnswerConstraint`` below). Letters are checked
here (single capital letters, no repeats), since they are written into a grammar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, get_args

from debate.errors import ConfigError

ANSWER_LETTERS = "answer_letters"
"""The request option's key in ``GenerateRequest.extra``."""

AnswerConstraint = Literal["none", "grammar", "logit_bias"]
"""How an OpenAI-compatible server is made to answer with a letter.

- ``none``: not at all (api.openai.com has no such option): the option is dropped.
- ``grammar``: llama.cpp's GBNF ``grammar`` body field, ``root ::= "("? ("A" | "B")``;
  llama.cpp still reports the raw, pre-sampling top logprobs at each position. The optional
  bracket is the model's own choice: SmolLM2-135M's likeliest first token is ``(``, and
  forced straight to a letter its other letter fell outside the top 10 alternatives in
  about half of 20 naive verdicts (8 to 10 across runs: read as probability 0), against 0
  of 20 after its bracket.
- ``logit_bias``: ``{"A": 100, "B": 100}`` keyed by the letters themselves (llama.cpp
  tokenizes string keys; servers wanting token ids refuse it), and one token generated,
  since the bias would also make every later token a letter.
"""
ANSWER_CONSTRAINTS: tuple[str, ...] = get_args(AnswerConstraint)

BIAS = 100
"""The ``logit_bias`` given each answer letter: the most the OpenAI API allows."""

_LETTER = re.compile(r"^[A-Z]$")


def answer_letters(extra: Mapping[str, Any]) -> list[str] | None:
    """The letters a request asks the reply to be one of, checked; None when not asked.

    Raises ValueError for anything but a non-empty list of distinct capital letters: a
    caller's bug, which must not reach a server's grammar parser.
    """
    letters = extra.get(ANSWER_LETTERS)
    if letters is None:
        return None
    if (
        not isinstance(letters, list)
        or not letters
        or not all(isinstance(x, str) and _LETTER.match(x) for x in letters)
        or len(set(letters)) != len(letters)
    ):
        raise ValueError(f"{ANSWER_LETTERS} must be distinct capital letters, got {letters!r}")
    return list(letters)


def checked_constraint(value: str) -> AnswerConstraint:
    """``value`` as an ``AnswerConstraint``, or a one-line ConfigError naming the choices."""
    if value not in ANSWER_CONSTRAINTS:
        raise ConfigError(
            f"answer_constraint must be one of {', '.join(ANSWER_CONSTRAINTS)}, not {value!r}"
        )
    return value  # type: ignore[return-value]  # checked just above


def grammar(letters: list[str]) -> str:
    """A GBNF grammar whose sentences are a letter, after an optional opening bracket (an
    answer position ``judges.parsing`` reads): ``root ::= "("? ("A" | "B")``."""
    return 'root ::= "("? (' + " | ".join(f'"{x}"' for x in letters) + ")"


def logit_bias(letters: list[str]) -> dict[str, int]:
    """A bias that makes the next token one of the letters (keys are the letters' text)."""
    return dict.fromkeys(letters, BIAS)


def constraint_fields(constraint: AnswerConstraint, letters: list[str]) -> dict[str, Any]:
    """The request fields that make an OpenAI-compatible server answer with a letter."""
    if constraint == "grammar":
        return {"grammar": grammar(letters)}
    if constraint == "logit_bias":
        return {"logit_bias": logit_bias(letters)}
    return {}


CONSTRAINT_FIELDS = frozenset({"grammar", "logit_bias"})
"""Request fields a constraint may set: ``extra_body`` may not set them as well."""
