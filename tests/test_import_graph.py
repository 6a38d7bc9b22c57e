"""The import graph of app/ has no circles (function-local imports included; imports under
``if TYPE_CHECKING:`` never run and are left out), and the data and LLM layers never import NiceGUI."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / 'app'


def _modules() -> dict[str, Path]:
    """{dotted module name: file} for every module of app/ (a package is its ``__init__.py``)."""
    out = {}
    for path in sorted(APP.rglob('*.py')):
        parts = list(path.relative_to(ROOT).with_suffix('').parts)
        if parts[-1] == '__init__':
            parts.pop()
        out['.'.join(parts)] = path
    return out


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == 'TYPE_CHECKING') or (
        isinstance(test, ast.Attribute) and test.attr == 'TYPE_CHECKING'
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: at module level, in functions and classes, in ``try`` and
    ``if`` blocks — but not under ``if TYPE_CHECKING:`` (annotations only, never executed)."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        if _is_type_checking(node):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return found


def _imports(name: str, is_package: bool, source: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` imports anywhere in its source (top level or inside a
    function), relative imports resolved; ``from pkg import mod`` counts as importing ``pkg.mod``, and
    ``from .models import Output`` as importing ``models``. Importing a submodule is not counted as
    importing its package (the package's ``__init__`` runs first, but depends on nothing it did not import)."""
    package = name if is_package else name.rpartition('.')[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            origin = node.module or ''
            if node.level:
                base = package.split('.')
                base = base[: len(base) - (node.level - 1)]
                origin = '.'.join(base + ([node.module] if node.module else []))
            targets = [f'{origin}.{alias.name}' for alias in node.names]
            if not any(t in known for t in targets):
                targets.append(origin)
        for target in targets:
            while target and target not in known:  # `import app.data.models.x` → the longest known prefix
                target = target.rpartition('.')[0]
            if target:
                found.add(target)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {
        name: _imports(name, path.name == '__init__.py', path.read_text(encoding='utf-8'), known)
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """A shortest cycle in each group of modules that reach each other (Tarjan's strongly connected
    components), e.g. ``['a', 'b', 'a']``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_shortest_cycle(graph, comp) for comp in components]


def _shortest_cycle(graph: dict[str, set[str]], comp: set[str]) -> list[str]:
    start = min(comp)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(graph[v] & comp):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    following.append(w)
        frontier = following
    return sorted(comp)  # pragma: no cover - a component always has a cycle through each member


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for w in graph[todo.pop()] - seen:
            seen.add(w)
            todo.append(w)
    return seen


def test_the_import_graph_has_no_cycles() -> None:
    graph = _graph()
    cycles = _cycles(graph)
    lines = []
    for cycle in cycles:
        group = {m for m in graph if cycle[0] in _reach(graph, m) and m in _reach(graph, cycle[0])}
        rest = sorted(group - set(cycle))
        lines.append('  ' + ' -> '.join(cycle) + (f'  (same circle: {", ".join(rest)})' if rest else ''))
    assert not cycles, 'import cycles in app/ (module-level and function-local imports):\n' + '\n'.join(lines)


def test_the_data_and_llm_layers_never_import_nicegui() -> None:
    offenders = []
    for name, path in _modules().items():
        if not name.startswith(('app.data', 'app.llm')):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or '']
            if any(n.split('.')[0] == 'nicegui' for n in names):
                offenders.append(name)
    assert not offenders, f'these modules import NiceGUI: {sorted(set(offenders))}'


def test_the_checker_sees_function_local_and_relative_imports() -> None:
    known = {'app', 'app.data', 'app.data.x', 'app.data.y', 'app.data.z', 'app.errors'}
    source = 'from ..errors import NotFound\nfrom . import z\n\n\ndef f():\n    from .y import thing\n'
    assert _imports('app.data.x', False, source, known) == {'app.errors', 'app.data.y', 'app.data.z'}
    typing_only = 'from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .y import Thing\n'
    assert _imports('app.data.x', False, typing_only, known) == set()
    assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c', 'a']]
    assert _cycles({'a': {'b'}, 'b': set()}) == []
