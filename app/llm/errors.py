"""What can go wrong when talking to a model provider, each as one sentence a user can act on.

Messages never contain an API key: the provider's own text is passed through ``redact`` first,
and the SDK exception (which holds the request, headers included) is not chained.
"""

from __future__ import annotations

import re

from ..errors import UserError

# Things that look like API keys, in case a provider echoes one back in an error message.
_KEYLIKE = re.compile(r'\bsk-[A-Za-z0-9_\-]{8,}|(?<=Bearer )\S+')


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with the given secrets and anything key-shaped replaced by a mask."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, '[redacted]')
    return _KEYLIKE.sub('[redacted]', text)


class LlmError(UserError):
    """A call to a model provider failed; ``str(exc)`` is the sentence to show."""

    retryable: bool = False

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class MissingKey(LlmError):
    """No API key is configured for a provider that needs one."""


class AuthenticationFailed(LlmError):
    """The provider rejected the key (401) or the key may not do this (403)."""


class RateLimited(LlmError):
    """Too many requests (429); ``retry_after`` is in seconds when the provider said."""

    retryable = True

    def __init__(
        self, message: str, *, retry_after: float | None = None, status_code: int | None = 429
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class QuotaExceeded(LlmError):
    """The account is out of credit (OpenAI reports this as a 429 too, but waiting will not help)."""


class ProviderTimeout(LlmError):
    """The provider did not answer in time."""

    retryable = True


class ProviderUnreachable(LlmError):
    """The provider could not be reached at all (network down, wrong URL, local server not running)."""

    retryable = True


class ConnectionLost(LlmError):
    """The reply stream broke off before the provider said it was finished."""

    retryable = True


class ContextTooLong(LlmError):
    """The conversation does not fit the model's context window."""


class UnknownModel(LlmError):
    """The provider does not know the model (404)."""


class ProviderUnavailable(LlmError):
    """The provider had a server error or is overloaded (5xx, 529)."""

    retryable = True


class InvalidRequest(LlmError):
    """The provider refused the request for another reason (400, 422, …)."""


class SpendingCapReached(LlmError):
    """This month's recorded spend for the provider has reached its cap."""
