"""Errors a user can act on: shown as one sentence in the UI, CLI and API, never as a traceback."""


class UserError(Exception):
    """Something the user asked for cannot be done; the message says what and what to do."""


class NotFound(UserError):
    """The item does not exist (or is in the trash when that matters)."""


class ValidationError(UserError):
    """Input is malformed or out of range."""
