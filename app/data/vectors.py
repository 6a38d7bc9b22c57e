"""An in-memory mirror of the sqlite-vec store for fast exact vector search (sqlite-vec stays the durable store).

Why: sqlite-vec 0.1.9's float KNN runs scalar code on Linux (~3-4x slower than numpy, FINDINGS.md)
and its ``k`` is applied before any filter. Holding the vectors in one float32 matrix makes a query
one exact matrix-vector product (~8 ms for 100k vectors here), and a filter is a boolean mask over
all rows, so a filtered query never runs short of hits. From PREFILTER_MIN_ROWS chunks that product
streams too much memory (~100 ms for 313k chunks, a 100k-output library, on a busy 2-core machine):
the mirror also holds each vector's sign bits, a Hamming pass picks ``prefilter_candidates`` rows and
only those are scored exactly (recall@10 against the exact scan 1.000 at 100k and 300k realistic
vectors, ~2 / ~9 ms: ``python -m bench.vectors``). Past a memory budget the mirror keeps sign bits
only and re-scores candidates with the float vectors from sqlite-vec.

The mirror follows the database cheaply: chunk ids only grow (AUTOINCREMENT), so new rows are
"id > last seen"; rows deleted by a re-embed are found when they surface as candidates (the caller
checks candidates against ``embed_chunk`` and reports them dead); a model switch bumps the index
generation in ``app_setting`` and triggers a full reload.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .. import config
from . import db as dbmod

log = logging.getLogger(__name__)

KIND_CODES = {'output': 1, 'message': 2}
KIND_NAMES = {v: k for k, v in KIND_CODES.items()}
INDEX_KEY = 'embedding_index'

_LOAD_BATCH = 5000
# The mirror is a float32 numpy matrix: one BLAS matrix-vector product per query, steady under load.
# OUTPUTHUB_VECTOR_FLOAT16=1 stores float16 in torch instead (from FLOAT16_MIN_ROWS rows): half the
# memory and ~1.7x faster on an idle 2-core machine, but torch's thread pool stalls badly when other
# processes keep the cores busy, so it is opt-in.
FLOAT16 = config.env_flag('OUTPUTHUB_VECTOR_FLOAT16', False)
FLOAT16_MIN_ROWS = 32768
# Beyond this much memory the mirror keeps only each vector's sign bits (48 bytes for 384 dimensions):
# Hamming distance picks candidates, their float32 vectors are read back from sqlite-vec and scored
# exactly. 1 GB holds ~680k float32 chunks of 384 dimensions (about half a million messages).
MEMORY_BUDGET_MB = int(os.environ.get('OUTPUTHUB_VECTOR_MEMORY_MB', '1024'))
RESCORE_FACTOR = 16  # binary candidates re-scored per wanted row
RESCORE_MIN = 512
# From this many rows a float mirror is searched the same way, with the floats it holds: a sign-bit
# Hamming pass over 48 bytes a row (instead of streaming 1.5 KB a row through the CPU) picks
# PREFILTER_FACTOR candidates per wanted row, re-scored exactly. Below it the exact scan is fast enough.
# Figures (recall@10 against the exact scan, real all-MiniLM-L6-v2 vectors): python -m bench.vectors.
PREFILTER_MIN_ROWS = int(os.environ.get('OUTPUTHUB_VECTOR_PREFILTER_ROWS', '20000'))
PREFILTER_FACTOR = 16
PREFILTER_MIN = 1024
PREFILTER_SHARE = 300  # and at least 1 row in this many: a bigger library needs more candidates
# Sign bits only work for dense vectors like a sentence model's (a sparse bag of words, builtin:hashing,
# has mostly zeros): each mirror measures its own recall@10 against the exact scan on CHECK_QUERIES
# queries made from its vectors when it first gets large enough and whenever it has doubled since, and
# uses the pre-filter only while that recall is at least PREFILTER_RECALL.
PREFILTER_RECALL = 0.97
CHECK_QUERIES = 16


def prefilter_candidates(rows: int, wanted: int) -> int:
    """How many sign-bit candidates are re-scored exactly for ``wanted`` rows out of ``rows``."""
    return min(rows, max(PREFILTER_MIN, PREFILTER_FACTOR * wanted, rows // PREFILTER_SHARE))


_BLOCK = 65536  # rows per Hamming block (bounds temporary memory)


def _torch():
    """torch, if importable (it is whenever the embedding model can run); None otherwise."""
    try:
        import torch
    except Exception:  # pragma: no cover - torch missing or broken: numpy float32 fallback
        return None
    return torch


@dataclass(frozen=True)
class ChunkHits:
    """Top rows of one query: parallel arrays, best first."""

    chunk_ids: np.ndarray
    kinds: np.ndarray  # KIND_CODES
    owner_ids: np.ndarray
    scores: np.ndarray  # cosine similarity


def read_index_state(database: dbmod.HubDatabase | None = None) -> dict:
    """What the vector store holds: ``{'model', 'dim', 'generation', 'uid'}``."""
    database = database or dbmod.current()
    row = database.execute_sql('SELECT value FROM app_setting WHERE key = ?', (INDEX_KEY,)).fetchone()
    state = json.loads(row[0]) if row and row[0] else {}
    state.setdefault('model', 'all-MiniLM-L6-v2')
    state.setdefault('dim', 384)
    state.setdefault('generation', 1)
    state.setdefault('uid', '')
    return state


class VectorIndex:
    """Every chunk vector of one database, in memory, searchable by cosine similarity."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._torch = None  # imported only for the float16 option (the import takes seconds)
        self._identity: tuple | None = None
        self.model = ''  # the model the stored vectors were made with (as of the last sync)
        self.dim = 0
        self.size = 0
        self._last_id = 0
        self._cap = 0
        self._ids = np.zeros(0, np.int64)
        self._kinds = np.zeros(0, np.int8)
        self._owners = np.zeros(0, np.int64)
        self._alive = np.zeros(0, bool)
        self._dead = 0
        self._mat = (
            None  # numpy float32 [cap, dim], torch float16 [cap, dim] or sign bits uint64 [cap, words]
        )
        # A float mirror's sign bits for the pre-filter, one row per 64-bit word [words, cap]: each word
        # of every vector is contiguous, so a Hamming pass is a few flat vector operations.
        self._signs = np.zeros((0, 0), np.uint64)
        self._bits = False
        self.prefilter_recall: float | None = None  # measured by _check_prefilter
        self._checked_rows = 0
        self._kernel_ms: dict[str, float | None] = {'blas': None, 'loop': None}
        self._queries = 0

    # ------------------------------------------------------------------ keeping up with the database

    def sync(self, database: dbmod.HubDatabase | None = None) -> None:
        """Load chunks committed since the last call (everything after a model switch or a rebuild)."""
        database = database or dbmod.current()
        value, max_id = database.execute_sql(
            'SELECT (SELECT value FROM app_setting WHERE key = ?), (SELECT max(id) FROM embed_chunk)',
            (INDEX_KEY,),
        ).fetchone()
        state = json.loads(value) if value else {}
        identity = (state.get('uid'), state.get('generation'), state.get('dim', 384))
        max_id = max_id or 0
        self.model = state.get('model', 'all-MiniLM-L6-v2')
        with self._lock:
            if identity != self._identity or max_id < self._last_id or self._dead > max(1000, self.size // 5):
                self._reset(identity, int(identity[2]))
            if max_id > self._last_id:
                self._load_after(database, self._last_id, max_id)
            if not self._bits and self.size >= max(PREFILTER_MIN_ROWS, 2 * self._checked_rows, 1):
                self._check_prefilter()

    def _check_prefilter(self) -> None:
        """Measure the pre-filter's recall@10 against the exact scan on this mirror's own vectors."""
        n = self.size
        alive = np.nonzero(self._alive[:n])[0]
        self._checked_rows = n
        if len(alive) < 2:
            self.prefilter_recall = None
            return
        rng = np.random.default_rng(n)
        found = 0
        for _ in range(CHECK_QUERIES):
            i, j = rng.choice(alive, 2)
            pair = self._mat[[int(i), int(j)]]
            pair = np.asarray(pair if isinstance(pair, np.ndarray) else pair.float().numpy(), np.float32)
            q = pair[0] + 0.5 * pair[1]  # near a stored vector, equal to none
            q /= max(float(np.linalg.norm(q)), 1e-12)
            s = self.scores(q)
            k = min(10, len(alive))
            want = np.argpartition(s, n - k)[n - k :]
            got = self._top_prefiltered(q, 30, None)
            found += len(set(self._ids[want].tolist()) & set(got.chunk_ids[:k].tolist())) / k
        self.prefilter_recall = found / CHECK_QUERIES
        log.info(
            'Vector mirror: sign-bit pre-filter recall@10 %.3f over %d chunks (%s)',
            self.prefilter_recall,
            n,
            'used' if self.prefilter_recall >= PREFILTER_RECALL else 'not used: exact scan',
        )

    def _reset(self, identity: tuple, dim: int) -> None:
        self._identity = identity
        self.dim = dim
        self.size = 0
        self._last_id = 0
        self._cap = 0
        self._dead = 0
        self._ids = np.zeros(0, np.int64)
        self._kinds = np.zeros(0, np.int8)
        self._owners = np.zeros(0, np.int64)
        self._alive = np.zeros(0, bool)
        self._mat = None
        self._signs = np.zeros((0, 0), np.uint64)
        self._bits = False
        self.prefilter_recall = None
        self._checked_rows = 0

    def _load_all(self, database: dbmod.HubDatabase, upto: int) -> None:
        """The first load: one pass over vec0 (twice as fast as id lookups), appended in blocks."""
        rows = database.execute_sql(
            'SELECT id, owner_kind, owner_id FROM embed_chunk WHERE id <= ? ORDER BY id', (upto,)
        ).fetchall()
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        kinds = np.fromiter((KIND_CODES.get(r[1], 0) for r in rows), np.int8, len(rows))
        owners = np.fromiter((r[2] for r in rows), np.int64, len(rows))
        del rows
        self._reserve(len(ids), len(ids) + 1024)  # exactly what is there: no 1.5x growth slack
        width = self.dim * 4
        block_ids: list[int] = []
        blobs: list[bytes] = []

        def flush() -> None:
            cids = np.asarray(block_ids, np.int64)
            pos = np.minimum(np.searchsorted(ids, cids), max(0, len(ids) - 1))
            known = (ids[pos] == cids) if len(ids) else np.zeros(len(cids), bool)
            mat = np.frombuffer(b''.join(blobs), np.float32).reshape(len(blobs), self.dim)[known]
            pos = pos[known]
            if len(pos):
                self._append(ids[pos], kinds[pos], owners[pos], mat)
            block_ids.clear()
            blobs.clear()

        for cid, blob in database.execute_sql('SELECT chunk_id, embedding FROM embed_vec'):
            if len(blob) != width:
                continue  # a vector of another model (a switch in progress): the next sync reloads
            block_ids.append(cid)
            blobs.append(blob)
            if len(blobs) >= _LOAD_BATCH:
                flush()
        if blobs:
            flush()
        self._last_id = upto

    def _load_after(self, database: dbmod.HubDatabase, after: int, upto: int) -> None:
        if after == 0:
            self._load_all(database, upto)
            return
        # Chunk rows and vectors are read in two statements; a chunk deleted in between simply has
        # no vector and is skipped (it is dead anyway).
        cursor = after
        while cursor < upto:
            rows = database.execute_sql(
                'SELECT id, owner_kind, owner_id FROM embed_chunk WHERE id > ? AND id <= ? ORDER BY id LIMIT ?',
                (cursor, upto, _LOAD_BATCH),
            ).fetchall()
            if not rows:
                break
            cursor = rows[-1][0]
            ids = [r[0] for r in rows]
            marks = ','.join('?' * len(ids))
            vecs = dict(
                database.execute_sql(
                    f'SELECT chunk_id, embedding FROM embed_vec WHERE chunk_id IN ({marks})', ids
                ).fetchall()
            )
            keep = [r for r in rows if r[0] in vecs]
            if keep:
                mat = np.frombuffer(b''.join(vecs[r[0]] for r in keep), dtype=np.float32).reshape(
                    len(keep), -1
                )
                if mat.shape[1] != self.dim:
                    log.warning('Vector store rows have %d dimensions, expected %d', mat.shape[1], self.dim)
                    break
                self._append(
                    np.array([r[0] for r in keep], np.int64),
                    np.array([KIND_CODES.get(r[1], 0) for r in keep], np.int8),
                    np.array([r[2] for r in keep], np.int64),
                    mat,
                )
        self._last_id = upto

    def _append(self, ids: np.ndarray, kinds: np.ndarray, owners: np.ndarray, mat: np.ndarray) -> None:
        n = len(ids)
        need = self.size + n
        self._reserve(need, max(need, int(self._cap * 1.5), 1024))
        s, e = self.size, need
        self._ids[s:e] = ids
        self._kinds[s:e] = kinds
        self._owners[s:e] = owners
        self._alive[s:e] = True
        if self._bits:
            self._mat[s:e] = self._pack(mat)
        else:
            self._signs[:, s:e] = self._pack(mat).T
            if isinstance(self._mat, np.ndarray):
                self._mat[s:e] = mat
            else:
                self._mat[s:e] = self._torch.from_numpy(np.array(mat, np.float32)).to(self._torch.float16)
        self.size = need

    def _reserve(self, need: int, cap: int) -> None:
        """Room for ``need`` rows (growing to ``cap`` when there is not)."""
        if need <= self._cap:
            return
        self._ids = np.resize(self._ids, cap)
        self._kinds = np.resize(self._kinds, cap)
        self._owners = np.resize(self._owners, cap)
        alive = np.zeros(cap, bool)
        alive[: self.size] = self._alive[: self.size]
        self._alive = alive
        new = self._grow(cap)
        self._mat = new
        if self._bits:
            self._signs = np.zeros((0, 0), np.uint64)  # the matrix itself is sign bits now
        else:
            signs = np.zeros((self._words, cap), np.uint64)
            if self.size and self._signs.size:
                signs[:, : self.size] = self._signs[:, : self.size]
            self._signs = signs
        self._cap = cap

    def _grow(self, cap: int):
        """A matrix for ``cap`` rows in the storage that size calls for, holding the current rows."""
        old, n = self._mat, self.size
        width = 2 if FLOAT16 else 4
        if self._bits or cap * self.dim * width > MEMORY_BUDGET_MB * 2**20:
            new = np.zeros((cap, self._words), np.uint64)
            if old is not None and n:
                for start in range(0, n, _BLOCK):
                    block = old[start : start + _BLOCK]
                    if not self._bits:
                        block = self._pack(block if isinstance(block, np.ndarray) else block.float().numpy())
                    new[start : start + len(block)] = block
            if not self._bits:
                log.info('Vector mirror switched to sign bits + exact re-scoring (%d rows)', cap)
            self._bits = True
            return new
        half = FLOAT16 and cap > FLOAT16_MIN_ROWS
        if half and self._torch is None:
            self._torch = _torch()
        if half and self._torch is not None:
            new = self._torch.empty((cap, self.dim), dtype=self._torch.float16)
            if old is not None and n:
                new[:n] = old[:n] if not isinstance(old, np.ndarray) else self._torch.from_numpy(old[:n])
            return new
        new = np.empty((cap, self.dim), np.float32)
        if old is not None and n:
            new[:n] = old[:n]
        return new

    @property
    def _words(self) -> int:
        return (self.dim + 63) // 64

    def _pack(self, mat: np.ndarray) -> np.ndarray:
        """Sign bits of each row, as uint64 words (zero-padded to a multiple of 64 bits)."""
        bits = np.packbits(np.asarray(mat) > 0, axis=1)
        pad = self._words * 8 - bits.shape[1]
        if pad:
            bits = np.pad(bits, ((0, 0), (0, pad)))
        return np.ascontiguousarray(bits).view(np.uint64)

    def mark_dead(self, chunk_ids: list[int]) -> None:
        """Chunks the database no longer has (a re-embed replaced them): never return them again."""
        if not chunk_ids:
            return
        with self._lock:
            rows = np.nonzero(np.isin(self._ids[: self.size], np.asarray(chunk_ids, np.int64)))[0]
            fresh = rows[self._alive[rows]]
            self._alive[fresh] = False
            self._dead += len(fresh)

    # ------------------------------------------------------------------ querying

    @property
    def memory_bytes(self) -> int:
        """What the mirror holds in memory (matrix and row arrays)."""
        mat = self._mat
        if mat is None:
            return 0
        size = mat.nbytes if isinstance(mat, np.ndarray) else mat.element_size() * mat.nelement()
        return int(
            size
            + self._signs.nbytes
            + self._ids.nbytes
            + self._kinds.nbytes
            + self._owners.nbytes
            + self._alive.nbytes
        )

    @property
    def alive_count(self) -> int:
        return self.size - self._dead

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of ``query`` with every row (float32, dead rows at -inf)."""
        q = np.asarray(query, np.float32).reshape(-1)
        if q.shape[0] != self.dim:
            raise ValueError(f'query has {q.shape[0]} dimensions, the index {self.dim}')
        if isinstance(self._mat, np.ndarray):
            out = self._product(self._mat[: self.size], q)
        else:
            t = self._torch
            out = (self._mat[: self.size] @ t.from_numpy(q.copy()).to(t.float16)).float().numpy()
        if self._dead:
            out[~self._alive[: self.size]] = -np.inf
        return out

    def _product(self, mat: np.ndarray, q: np.ndarray) -> np.ndarray:
        """``mat @ q`` by whichever of two exact kernels has been faster lately.

        BLAS (multi-threaded) wins on an idle machine; numpy's single-threaded einsum loop wins when
        other processes hold the cores, because a BLAS call then waits for its worker thread to be
        scheduled (tens of ms on a busy 2-core laptop). Each kernel's latency is tracked as a moving
        average; the slower one is retried every few queries, so the choice follows the load.
        """
        self._queries += 1
        times = self._kernel_ms
        if None in times.values():
            kernel = next(k for k, v in times.items() if v is None)
        else:
            kernel = min(times, key=times.get)
            if self._queries % 16 == 0:
                kernel = max(times, key=times.get)
        started = time.perf_counter()
        out = mat @ q if kernel == 'blas' else np.einsum('ij,j->i', mat, q)
        took = time.perf_counter() - started
        old = times[kernel]
        times[kernel] = took if old is None else 0.7 * old + 0.3 * took
        return out

    def owner_mask(
        self, allowed: dict[str, np.ndarray | None], exclude: Iterable[tuple[str, int]] = ()
    ) -> np.ndarray:
        """Rows whose owner is allowed: ``{kind: None (any id) | id array}``; kinds absent and the
        ``exclude`` owners are left out."""
        with self._lock:
            n = self.size
            kinds, owners = self._kinds[:n], self._owners[:n]
            mask = np.zeros(n, bool)
            for kind, ids in allowed.items():
                rows = kinds == KIND_CODES[kind]
                if ids is not None:
                    rows &= np.isin(owners, ids)
                mask |= rows
            for kind, oid in exclude:
                mask &= ~((kinds == KIND_CODES[kind]) & (owners == oid))
            return mask

    def top(
        self,
        query: np.ndarray,
        m: int,
        mask: np.ndarray | None = None,
        database: dbmod.HubDatabase | None = None,
    ) -> ChunkHits:
        """The ``m`` best rows (restricted to ``mask`` when given), best first."""
        with self._lock:
            if self.size == 0:
                empty = np.zeros(0, np.int64)
                return ChunkHits(empty, np.zeros(0, np.int8), empty, np.zeros(0, np.float32))
            n = self.size
            fit = None
            if mask is not None:
                # Another thread may have synced rows in since the mask was made: new rows are left out.
                fit = np.zeros(n, bool)
                fit[: min(n, len(mask))] = mask[:n]
            if self._bits:
                return self._top_bits(np.asarray(query, np.float32).reshape(-1), m, fit, database)
            if n >= PREFILTER_MIN_ROWS and (self.prefilter_recall or 0) >= PREFILTER_RECALL:
                return self._top_prefiltered(np.asarray(query, np.float32).reshape(-1), m, fit)
            s = self.scores(query)
            if fit is not None:
                s = np.where(fit, s, -np.inf)
            return self._best(None, s, m)

    def _best(self, rows: np.ndarray | None, s: np.ndarray, m: int) -> ChunkHits:
        """The ``m`` highest of ``s`` (scores of ``rows``, or of every row when None), best first."""
        n = len(s)
        m = min(m, n)
        # argpartition on s itself (not -s): no extra 100k-float copy per query.
        part = np.argpartition(s, n - m)[n - m :] if m < n else np.arange(n)
        part = part[np.argsort(-s[part], kind='stable')]
        part = part[np.isfinite(s[part])]
        rows = part if rows is None else rows[part]
        return ChunkHits(self._ids[rows].copy(), self._kinds[rows].copy(), self._owners[rows].copy(), s[part])

    def _candidates(self, words: np.ndarray, q: np.ndarray, r: int, fit: np.ndarray | None) -> np.ndarray:
        """The ``r`` live (and fitting) rows nearest ``q`` by Hamming distance of their sign bits
        (``words``: [words, rows], word by word)."""
        n = self.size
        qbits = self._pack(q[None, :])[0]
        dist = np.zeros(n, np.uint16)
        for start in range(0, n, _BLOCK):  # blocks bound the temporaries
            end = min(n, start + _BLOCK)
            part = dist[start:end]
            for w, qw in enumerate(qbits):
                part += np.bitwise_count(words[w, start:end] ^ qw)
        far = np.uint16(65535)  # more than any distance (at most 64 per word)
        if self._dead:
            dist[~self._alive[:n]] = far
        if fit is not None:
            dist[~fit] = far
        cand = np.argpartition(dist, r - 1)[:r] if r < n else np.arange(n)
        return cand[dist[cand] != far]

    def _top_prefiltered(self, q: np.ndarray, m: int, fit: np.ndarray | None) -> ChunkHits:
        """A large float mirror: sign-bit candidates re-scored with the float rows held here. A filter
        that leaves no more rows than the candidates would be is scored exactly on those rows."""
        n = self.size
        r = prefilter_candidates(n, m)
        if fit is not None and int(np.count_nonzero(fit)) <= r:
            cand = np.nonzero(fit & self._alive[:n])[0]
        else:
            cand = self._candidates(self._signs, q, r, fit)
        if isinstance(self._mat, np.ndarray):
            s = self._mat[cand] @ q
        else:
            t = self._torch
            s = (self._mat[t.from_numpy(cand)].float() @ t.from_numpy(q.copy())).numpy()
        return self._best(cand, np.asarray(s, np.float32), m)

    def _top_bits(
        self, q: np.ndarray, m: int, fit: np.ndarray | None, database: dbmod.HubDatabase | None
    ) -> ChunkHits:
        n = self.size
        r = min(n, max(RESCORE_MIN, RESCORE_FACTOR * m))
        cand = self._candidates(self._mat[:n].T, q, r, fit)
        vecs = fetch_vectors(database or dbmod.current(), self._ids[cand])
        keep = np.array([i in vecs for i in self._ids[cand].tolist()], bool)
        cand = cand[keep]
        if not len(cand):
            return self._best(cand, np.zeros(0, np.float32), m)
        mat = np.stack([vecs[i] for i in self._ids[cand].tolist()])
        return self._best(cand, mat @ q, m)


def fetch_vectors(database: dbmod.HubDatabase, chunk_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """Float32 vectors of some chunks, read from sqlite-vec (missing ids are simply absent)."""
    ids = [int(i) for i in chunk_ids]
    out: dict[int, np.ndarray] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        marks = ','.join('?' * len(part))
        for cid, blob in database.execute_sql(
            f'SELECT chunk_id, embedding FROM embed_vec WHERE chunk_id IN ({marks})', part
        ):
            out[cid] = np.frombuffer(blob, np.float32)
    return out


_INDEXES: OrderedDict[str, VectorIndex] = OrderedDict()
_INDEXES_LOCK = threading.Lock()


def index_for(database: dbmod.HubDatabase | None = None) -> VectorIndex:
    """The process-wide mirror for this database file (synced before it is returned)."""
    database = database or dbmod.current()
    key = str(database.database)
    with _INDEXES_LOCK:
        index = _INDEXES.get(key)
        if index is None:
            index = _INDEXES[key] = VectorIndex()
            while len(_INDEXES) > 4:  # tests open many databases; keep memory bounded
                _INDEXES.popitem(last=False)
        _INDEXES.move_to_end(key)
    index.sync(database)
    return index


def forget(database: dbmod.HubDatabase | None = None) -> None:
    """Drop the mirror of a database (after its file was replaced, e.g. by a restore)."""
    database = database or dbmod.current()
    with _INDEXES_LOCK:
        _INDEXES.pop(str(database.database), None)
