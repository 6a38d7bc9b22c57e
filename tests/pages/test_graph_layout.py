"""Server-side placement of big graphs: finite, pinned nodes stay, linked nodes end up near each other."""

from __future__ import annotations

import numpy as np

from app.components.graph_layout import layout


def two_clusters() -> tuple[int, list[tuple[int, int]]]:
    # two hubs with 30 leaves each, and one bridge between the hubs
    edges = [(0, i) for i in range(2, 32)] + [(1, i) for i in range(32, 62)] + [(0, 1)]
    return 62, edges


def test_positions_are_finite_and_deterministic() -> None:
    n, edges = two_clusters()
    first, second = layout(n, edges), layout(n, edges)
    assert first.shape == (n, 2) and np.isfinite(first).all()
    assert np.array_equal(first, second)


def test_two_linked_stars_come_out_as_two_groups() -> None:
    n, edges = two_clusters()
    for seed in range(3):
        pos = layout(n, edges, seed=seed)
        first, second = pos[2:32], pos[32:62]
        radius = max(np.linalg.norm(g - g.mean(axis=0), axis=1).mean() for g in (first, second))
        apart = np.linalg.norm(first.mean(axis=0) - second.mean(axis=0))
        assert apart > 2 * radius, (seed, apart, radius)


def test_pinned_nodes_keep_their_place() -> None:
    n, edges = two_clusters()
    pos = layout(n, edges, pinned={0: (100.0, -50.0), 5: (1.5, 2.5)})
    assert tuple(pos[0]) == (100.0, -50.0) and tuple(pos[5]) == (1.5, 2.5)


def test_tiny_and_empty_graphs() -> None:
    assert layout(0, []).shape == (0, 2)
    assert np.isfinite(layout(1, [])).all()
    assert np.isfinite(layout(2, [(0, 1)])).all()
