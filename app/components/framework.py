"""Measured fixes to NiceGUI internals, applied once when the pages are registered.

``expects_arguments``: NiceGUI asks ``inspect.signature`` whether a change handler takes arguments each
time it makes an observable collection, and every element makes three (props, classes, style) with a bound
method of its own as the handler. On an output's page that was 14% of the server's time to build it
(py-spy, 60 deep links). A bound method's signature is its function's less the first parameter, so the
answer is kept per function (weakly: a lambda made for one element is forgotten with it) and is the same
answer NiceGUI's own check gives (``tests/test_framework_fixes.py`` compares the two).
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable

from nicegui import helpers
from nicegui.helpers import functions

_original: Callable[[Callable], bool] = functions.expects_arguments
_plain: weakref.WeakKeyDictionary[Callable, bool] = weakref.WeakKeyDictionary()
_bound: weakref.WeakKeyDictionary[Callable, bool] = weakref.WeakKeyDictionary()


def expects_arguments(func: Callable) -> bool:
    """NiceGUI's ``expects_arguments``, answered once per function."""
    cache, key = (_bound, func.__func__) if inspect.ismethod(func) else (_plain, func)
    try:
        return cache[key]
    except KeyError:
        pass
    except TypeError:  # not weakly referable (some callables): ask every time, as NiceGUI does
        return _original(func)
    answer = cache[key] = _original(func)
    return answer


def apply() -> None:
    """Install the fixes (idempotent). NiceGUI's modules call ``helpers.expects_arguments`` by attribute."""
    helpers.expects_arguments = expects_arguments  # type: ignore[assignment]
    functions.expects_arguments = expects_arguments  # type: ignore[assignment]
