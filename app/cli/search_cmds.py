"""Search subcommands: ``search``, ``similar`` and ``reindex`` (the semantic index, with a progress bar)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from ..data.kinds import EMBEDDED
from ..data.kinds import SEARCHABLE as KINDS
from ..errors import UserError
from .common import ProgressBar, emit, open_db

MODES = ('keyword', 'semantic', 'hybrid')


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a date like 2025-01-31') from None


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'search',
        parents=[common],
        help='search outputs, messages, prompts and conversations',
        description='Search by words (keyword), by meaning (semantic) or both (hybrid, the default). '
        'Keyword syntax: "a phrase", prefix*, -exclude, a OR b.',
    )
    p.add_argument('query', help='what to look for')
    p.add_argument('--mode', choices=MODES, default='hybrid')
    p.add_argument('--limit', type=int, default=20, metavar='K', help='at most K hits (default 20)')
    p.add_argument('--kind', action='append', choices=KINDS, default=[], help='only this kind (repeatable)')
    p.add_argument(
        '--tag', action='append', default=[], metavar='NAME', help='has this tag (repeatable: all)'
    )
    p.add_argument('--collection', action='append', default=[], metavar='NAME', help='in this collection')
    p.add_argument('--category', action='append', default=[], metavar='NAME')
    p.add_argument('--model', action='append', default=[], metavar='NAME', help='made with this model')
    p.add_argument('--agent', action='append', default=[], metavar='NAME', help='made with this agent')
    p.add_argument('--sensitivity', action='append', default=[], metavar='NAME')
    p.add_argument('--min-rating', type=int, choices=range(1, 6), metavar='1-5')
    p.add_argument('--favourite', action='store_true', default=None, help='favourites only')
    p.add_argument('--since', type=_iso_date, metavar='YYYY-MM-DD', help='created on or after')
    p.add_argument('--until', type=_iso_date, metavar='YYYY-MM-DD', help='created on or before')
    p.add_argument(
        '--no-wait',
        action='store_true',
        help='semantic/hybrid: do not embed what is still queued first (results may miss it)',
    )
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        'similar', parents=[common], help='outputs and messages similar in meaning to one item'
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument('--output', type=int, metavar='ID')
    which.add_argument('--message', type=int, metavar='ID')
    p.add_argument('--limit', type=int, default=10, metavar='K')
    p.add_argument('--kind', action='append', choices=EMBEDDED, default=[])
    p.add_argument('--no-wait', action='store_true', help='do not embed what is still queued first')
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser(
        'reindex',
        parents=[common],
        help='bring the semantic index up to date (or rebuild it)',
        description='Embed every output and message still queued. --all re-embeds everything; '
        '--embedding-model switches model (any sentence-transformers name in the local cache, or a path) '
        'and re-embeds everything with it.',
    )
    p.add_argument('--all', action='store_true', help='re-embed everything')
    p.add_argument('--embedding-model', metavar='NAME_OR_PATH', help='switch to this model first')
    p.set_defaults(func=cmd_reindex)


# --------------------------------------------------------------------------- helpers


def _ids(key: str, names: list[str]) -> list[int]:
    """Lookup rows by name (case-insensitive) or id; an unknown name is a clear error."""
    from ..data import lookups

    return lookups.ids_for_names(key, names)


def _filters(args: argparse.Namespace):
    from ..data.search import SearchFilters

    return SearchFilters(
        kinds=list(args.kind),
        tags=_ids('tag', args.tag),
        collections=_ids('collection', args.collection),
        categories=_ids('category', args.category),
        models=_ids('model', args.model),
        agents=_ids('agent', args.agent),
        sensitivities=_ids('sensitivity', args.sensitivity),
        rating_min=args.min_rating,
        favourite=args.favourite,
        date_from=args.since,
        date_to=args.until,
    )


def _catch_up(args: argparse.Namespace, kinds: list[str]) -> None:
    """Semantic results are only as complete as the index: embed what is queued first (with a bar)."""
    from ..data import embeddings, search

    status = search.index_status(kinds)
    if status['complete']:
        return
    if args.no_wait:
        behind = status['pending'] if not embeddings.needs_rebuild() else 'all'
        print(
            f'outputhub: note: the semantic index is not complete ({behind} items still to embed); '
            'results may miss them. Run "outputhub reindex" to finish it.',
            file=sys.stderr,
        )
        return
    with ProgressBar('Embedding') as bar:
        embeddings.index_pending(kinds=kinds, progress=bar.update)


def _print_hits(args: argparse.Namespace, hits: list) -> None:
    if getattr(args, 'json', False):
        emit(args, [h.to_dict() for h in hits])
        return
    if not hits:
        print('No results.')
        return
    for h in hits:
        print(f'{h.score:10.4f}  {h.kind:<12} {h.id:<7} {h.title}')
        if h.snippet:
            print(f'{"":24}{h.snippet}')
        print(f'{"":24}{h.url}')


# --------------------------------------------------------------------------- commands


def cmd_search(args: argparse.Namespace) -> int:
    from ..data import search

    if args.limit < 1:
        raise UserError('--limit must be at least 1.')
    open_db(args)
    filters = _filters(args)
    if args.mode != 'keyword':
        _catch_up(args, filters.kind_list())
    _print_hits(args, search.search(args.query, mode=args.mode, filters=filters, limit=args.limit))
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    from ..data import search

    open_db(args)
    filters = search.SearchFilters(kinds=list(args.kind))
    _catch_up(args, filters.kind_list())
    kind, item_id = ('output', args.output) if args.output is not None else ('message', args.message)
    _print_hits(args, search.similar(kind, item_id, limit=max(1, args.limit), filters=filters))
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from ..data import embeddings

    open_db(args)
    if args.embedding_model:
        embeddings.set_model(args.embedding_model)
    with ProgressBar('Embedding') as bar:
        report = embeddings.index_pending(progress=bar.update, rebuild=args.all)
    data = {
        'model': report.model,
        'processed': report.processed,
        'embedded': report.embedded,
        'chunks': report.chunks,
        'removed': report.removed,
        'unchanged': report.skipped,
        'rebuilt': report.rebuilt,
        'seconds': report.seconds,
        'pending': embeddings.pending_count(),
    }
    emit(
        args,
        data,
        text=f'Embedded {report.embedded} items ({report.chunks} chunks) with {report.model} '
        f'in {report.seconds:.1f} s; {data["pending"]} still queued.',
    )
    return 0
