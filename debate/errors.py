"""Errors the CLI turns into one-line messages (never a traceback)."""

from pydantic import ValidationError


class DebateError(Exception):
    """Base of the framework's expected, user-facing errors."""


class ConfigError(DebateError):
    """A configuration, preset or argument is invalid."""


class DataError(DebateError):
    """A data or transcript file is missing, unreadable or malformed."""


class StopsRun(Exception):
    """Marks an error that every later debate would hit too (a rejected API key): the batch
    runner stops scheduling new debates at once and reports it in one line."""


def validation_message(exc: ValidationError) -> str:
    """The first problem of a pydantic error as one line: where, then what (and how many more)."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        message = f"unknown parameter {where!r}"
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
        message = f"{where}: {message}" if where else message
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return message + more
