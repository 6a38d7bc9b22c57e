"""What the app's log says when a browser goes away mid-request: no traceback that reads like a bug."""

from __future__ import annotations

import logging

from app import server


def _record(exc: BaseException) -> logging.LogRecord:
    return logging.LogRecord(
        'uvicorn.error',
        logging.ERROR,
        __file__,
        1,
        'Exception in ASGI application',
        None,
        (type(exc), exc, None),
    )


def test_a_client_gone_mid_request_is_not_logged_as_a_traceback() -> None:
    gone = server.ClientGoneLogFilter()
    assert gone.filter(_record(RuntimeError('No response returned.'))) is False


def test_other_errors_still_reach_the_log() -> None:
    gone = server.ClientGoneLogFilter()
    assert gone.filter(_record(RuntimeError('something else'))) is True
    assert gone.filter(_record(ValueError('No response returned.'))) is True
    plain = logging.LogRecord('uvicorn.error', logging.INFO, __file__, 1, 'Started', None, None)
    assert gone.filter(plain) is True
