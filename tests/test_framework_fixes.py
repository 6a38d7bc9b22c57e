"""The NiceGUI fix in app/components/framework.py gives NiceGUI's own answers, once per function."""

from __future__ import annotations

import functools
import gc

from app.components import framework


class Thing:
    def handler(self, value) -> None: ...

    def no_args(self) -> None: ...

    def star(self, *args, **kwargs) -> None: ...

    @classmethod
    def klass(cls, event) -> None: ...

    def __call__(self, event) -> None: ...


def two(a, b=1) -> None: ...


def none() -> None: ...


CALLABLES = [
    Thing().handler,
    Thing().no_args,
    Thing().star,
    Thing.klass,
    Thing(),
    two,
    none,
    lambda: None,
    lambda e: None,
    lambda *a: None,
    functools.partial(two, 1),
    functools.partial(two),
    print,
    len,
]


def test_answers_are_nicegui_s_own() -> None:
    for func in CALLABLES:
        expected = framework._original(func)
        assert framework.expects_arguments(func) == expected, func
        assert framework.expects_arguments(func) == expected, func  # cached


def test_a_bound_method_is_asked_once_per_function(monkeypatch) -> None:
    asked: list[object] = []
    monkeypatch.setattr(framework, '_original', lambda f: asked.append(f) or True)
    framework._bound.clear()
    for _ in range(5):
        assert framework.expects_arguments(Thing().handler)
    assert len(asked) == 1


def test_a_lambda_is_forgotten_with_its_element() -> None:
    func = lambda e: None  # noqa: E731
    framework.expects_arguments(func)
    assert func in framework._plain
    size = len(framework._plain)
    del func
    gc.collect()
    assert len(framework._plain) == size - 1
