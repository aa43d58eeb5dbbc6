"""Errors the CLI turns into one-line messages (never a traceback)."""


class DebateError(Exception):
    """Base of the framework's expected, user-facing errors."""


class ConfigError(DebateError):
    """A configuration, preset or argument is invalid."""


class DataError(DebateError):
    """A data or transcript file is missing, unreadable or malformed."""
