"""No data in a props string or in JavaScript (issue 14, item 1).

NiceGUI parses a ``.props('…')`` string into keys and values; a ``"`` in data interpolated there closes
the value and can add a ``:key="js"`` prop that the browser evaluates. So every ``.props(...)`` call in
``app/`` takes plain string literals only, and data is set by key (``el.props['aria-label'] = name``).
JavaScript handed to the browser (``run_javascript``, ``add_head_html``, ``add_body_html``, ``js_handler``)
is a literal too; the one way data may enter it is as a ``json.dumps(...)`` value in an f-string (a JSON
value is a valid, inert JavaScript expression).
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / 'app'
JS_CALLS = {'run_javascript', 'add_head_html', 'add_body_html'}


def _is_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_json_dumps(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == 'dumps'
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == 'json'
    )


def _is_safe_js(node: ast.expr) -> bool:
    """A literal, or an f-string whose every interpolation is a bare ``json.dumps(...)``."""
    if _is_literal(node):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(
            _is_literal(part)
            or (
                isinstance(part, ast.FormattedValue)
                and part.conversion == -1
                and part.format_spec is None
                and _is_json_dumps(part.value)
            )
            for part in node.values
        )
    return False


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def offenders(source: str, filename: str) -> list[str]:
    """``file:line: what`` for every props call or JavaScript call in ``source`` that may carry data."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if name == 'props':
            args = list(node.args) + [k.value for k in node.keywords]
            if any(k.arg is None for k in node.keywords) or any(
                isinstance(a, ast.Starred) for a in node.args
            ):
                found.append(f'{filename}:{node.lineno}: .props(*/**) with unpacked arguments')
            elif not all(_is_literal(a) for a in args):
                shown = ', '.join(ast.unparse(a) for a in args)
                found.append(f'{filename}:{node.lineno}: .props({shown[:80]}) is not a literal')
        elif name in JS_CALLS and not (node.args and all(_is_safe_js(a) for a in node.args)):
            found.append(f'{filename}:{node.lineno}: {name}(...) carries data that is not json.dumps')
        for kw in node.keywords:
            if kw.arg == 'js_handler' and not _is_safe_js(kw.value):
                found.append(f'{filename}:{node.lineno}: js_handler= carries data that is not json.dumps')
    return found


def test_no_data_in_props_strings_or_javascript() -> None:
    found = []
    for path in sorted(APP.rglob('*.py')):
        found += offenders(path.read_text(), str(path.relative_to(APP.parent)))
    found.sort(key=lambda f: (f.split(':')[0], int(f.split(':')[1])))
    assert not found, 'data in a props string or JavaScript (set el.props[key] = value):\n' + '\n'.join(found)


def test_the_checker_catches_each_form() -> None:
    bad = [
        'el.props(f\'aria-label="{name}"\')',
        "el.props('dense' + (' outline' if x else ''))",
        "el.props('placeholder=%s' % name)",
        "el.props('placeholder={}'.format(name))",
        'el.props(extra)',
        "el.props('dense' if x else extra)",
        "el.props('dense' if x else 'dense outline')",
        'el.props(remove=name)',
        "ui.run_javascript(f'go({element.id})')",
        'ui.run_javascript(js)',
        "ui.add_body_html(f'<script>{code}</script>')",
        "ui.on('click', handler, js_handler=f'() => {x}')",
    ]
    good = [
        'el.props(\'flat dense aria-label="Menu"\')',
        "el.props('flat ' 'dense')",
        "el.props(remove='loading')",
        "el.props['aria-label'] = name",
        "ui.run_javascript(f'window.ohCopy({json.dumps(text)})')",
        'ui.add_head_html(\'<link rel="manifest" href="/m">\')',
    ]
    for src in bad:
        assert offenders(src, 'x.py'), src
    for src in good:
        assert not offenders(src, 'x.py'), src
