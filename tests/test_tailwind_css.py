"""Tailwind's classes come prebuilt in assets/tailwind.css (tools/tailwind/build.sh) instead of being
compiled in every browser: every class the app's code names must have its rule there (or in the app's own
CSS, Quasar's or NiceGUI's), or the element would silently lose its style."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nicegui

ROOT = Path(__file__).resolve().parent.parent
NICEGUI_STATIC = Path(nicegui.__file__).parent / 'static'
# Names that are hooks for the app's own script, tests or the browser, not styles.
NOT_STYLES = {'notranslate'}
CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')


def _css() -> str:
    parts = [(ROOT / 'assets' / name).read_text() for name in ('tailwind.css', 'app.css', 'codehilite.css')]
    parts += [
        (NICEGUI_STATIC / name).read_text()
        for name in ('quasar.unimportant.prod.css', 'quasar.important.prod.css', 'nicegui.css')
    ]
    # the app's style sheets in code: ``_CSS = '...'`` (the login page is plain HTML; ui.add_css)
    for path in (ROOT / 'app').rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.endswith('CSS') for t in node.targets
            ):
                parts += _strings(node.value)
    return '\n'.join(parts)


def _strings(node: ast.AST) -> list[str]:
    """The literal text of a string or f-string (an f-string's placeholders split it into words)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [' '.join(v.value if isinstance(v, ast.Constant) else ' ' for v in node.values)]
    return []


def _class_names() -> dict[str, str]:
    """Every class named in app/: arguments of ``.classes(...)`` and ``class="..."`` in HTML strings,
    with a file that names it. Words cut by an f-string placeholder are skipped (built at run time)."""
    names: dict[str, str] = {}
    for path in sorted((ROOT / 'app').rglob('*.py')):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            texts: list[str] = []
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == 'classes'
            ):
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    texts += _strings(arg)
            for text in _strings(node):
                texts += CLASS_ATTRIBUTE.findall(text)
            for text in texts:
                for word in text.split():
                    if re.fullmatch(r'[a-z0-9!@:\[\]()/.%#_-]+', word, re.I) and not word.endswith('-'):
                        names.setdefault(word, str(path.relative_to(ROOT)))
    return names


def _selector(name: str) -> str:
    return '.' + re.sub(r'([^A-Za-z0-9_-])', r'\\\1', name)


def test_every_class_the_app_names_has_its_rule() -> None:
    css = _css()
    names = _class_names()
    assert len(names) > 150  # the scan finds the app's classes
    missing = {
        name: where
        for name, where in names.items()
        if not name.startswith('oh-') and name not in NOT_STYLES and _selector(name) not in css
    }
    assert not missing, (
        f'no CSS rule for {missing}: run tools/tailwind/build.sh (it rebuilds assets/tailwind.css from the '
        'classes in app/ and assets/)'
    )


def test_the_page_loads_the_prebuilt_css_not_the_in_browser_compiler() -> None:
    from app.pages import frame

    source = Path(frame.__file__).read_text()
    assert '/assets/tailwind.css' in source
    assert 'tailwind=False' in (ROOT / 'app' / 'server.py').read_text()
