"""Node positions for big graphs, computed once on the server (numpy), so the browser only draws.

ECharts' own force layout compares every pair of nodes on every animation frame, ~500 frames: fine
for a few hundred nodes, seconds of frozen page for 2,000. Here the best-connected nodes are placed
first and every other node starts next to the neighbours already placed, then a short
Fruchterman-Reingold pass untangles it; repulsion is estimated from a random sample of nodes per
step (O(n) instead of O(n^2)), which is plenty for a picture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

SAMPLES = 8  # nodes each node is pushed away from per step
ITERATIONS = 40


def layout(
    n: int,
    edges: Sequence[tuple[int, int]],
    *,
    pinned: Mapping[int, tuple[float, float]] | None = None,
    iterations: int = ITERATIONS,
    seed: int = 7,
) -> np.ndarray:
    """Positions (n x 2) for nodes 0..n-1 joined by ``edges``; ``pinned`` nodes keep their place."""
    if n == 0:
        return np.zeros((0, 2))
    rng = np.random.default_rng(seed)
    pinned = dict(pinned or {})
    k = 10.0  # ideal edge length
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    degree = np.bincount(np.concatenate([a, b]), minlength=n) if len(edges) else np.zeros(n, dtype=np.int64)
    pos = _initial(n, a, b, degree, pinned, k, rng)
    fixed = np.zeros(n, dtype=bool)
    for i in pinned:
        if 0 <= i < n:
            fixed[i] = True
    if fixed.all():
        return pos

    spread = k * math.sqrt(n)
    temperature = spread / 8
    samples = min(SAMPLES, max(1, n - 1))
    for _ in range(iterations):
        disp = np.zeros_like(pos)
        # repulsion k^2 / d from a random sample, scaled up to stand for all the other nodes
        others = rng.integers(0, n, size=(n, samples))
        delta = pos[:, None, :] - pos[others]
        dist2 = np.maximum((delta**2).sum(axis=2), 0.01)
        disp += (delta * (k * k / dist2)[..., None]).sum(axis=1) * ((n - 1) / samples)
        if len(edges):
            # attraction d^2 / k along every edge
            delta = pos[a] - pos[b]
            dist = np.sqrt(np.maximum((delta**2).sum(axis=1), 0.01))
            pull = delta * (dist / k)[:, None]
            for axis in (0, 1):  # bincount sums per node far faster than np.add.at
                disp[:, axis] += np.bincount(b, pull[:, axis], minlength=n) - np.bincount(
                    a, pull[:, axis], minlength=n
                )
        disp -= pos * 0.02 * (1 + degree[:, None] / 10)  # gravity: loose pieces stay near the middle
        length = np.sqrt(np.maximum((disp**2).sum(axis=1), 1e-9))
        move = disp * (np.minimum(length, temperature) / length)[:, None]
        move[fixed] = 0
        pos += move
        temperature = max(spread / 200, temperature * 0.9)
    return pos


def _initial(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    degree: np.ndarray,
    pinned: Mapping[int, tuple[float, float]],
    k: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Hubs on a spiral, then each node next to its already-placed neighbours (best-connected first)."""
    # plain Python lists: thousands of tiny numpy operations would cost more than the maths
    xs: list[float | None] = [None] * n
    ys: list[float | None] = [None] * n
    for i, (x, y) in pinned.items():
        if 0 <= i < n:
            xs[i], ys[i] = float(x), float(y)
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        neighbours[x].append(y)
        neighbours[y].append(x)
    order = np.argsort(-degree, kind='stable').tolist()
    jitter = rng.normal(0, k, (n, 2)).tolist()
    hubs = max(1, n // 40)
    golden = math.pi * (3 - math.sqrt(5))
    placed_hubs = 0
    for i in order:
        if xs[i] is not None:
            continue
        near = [j for j in neighbours[i] if xs[j] is not None]
        if near and placed_hubs >= hubs:
            xs[i] = sum(xs[j] for j in near) / len(near) + jitter[i][0]
            ys[i] = sum(ys[j] for j in near) / len(near) + jitter[i][1]
        else:
            r = k * 6 * math.sqrt(placed_hubs + 1)  # hubs far enough apart for their leaves
            xs[i], ys[i] = r * math.cos(placed_hubs * golden), r * math.sin(placed_hubs * golden)
            placed_hubs += 1
    pos = np.array([xs, ys], dtype=float).T
    return pos
