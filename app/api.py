"""The REST API under ``/api/v1``: capture, list, get, search, similar, conversations.

Routes are plain (sync) FastAPI functions, so FastAPI runs them in its thread pool and the event
loop stays free. Who is asking comes from ``app.auth`` (bearer token, paired device or the trusted
desktop); items marked with a restricted sensitivity level are invisible to principals that are
not allowed to see them (404, as if they did not exist). Errors are JSON: ``{"detail": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from . import auth, roles
from .data import conversations, entities, idempotency, lookups, outputs, relations
from .data import search as search_mod
from .data import sensitivity as restriction
from .data.listing import ListParams
from .data.models import Conversation, Output, utcnow
from .errors import DiskFull, NotFound, PermissionDenied, UserError, ValidationError
from .ids import ItemId
from .services import library_events

PREFIX = '/api/v1'
MAX_CAPTURE_BYTES = 2 * 1024 * 1024

F = TypeVar('F', bound=Callable[..., Any])


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _errors_as_json(func: F) -> F:
    """One clear sentence as JSON for anything the user can fix; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ApiError as exc:
            return JSONResponse({'detail': exc.detail}, status_code=exc.status)
        except NotFound as exc:
            return JSONResponse({'detail': str(exc)}, status_code=404)
        except DiskFull as exc:
            return JSONResponse({'detail': str(exc)}, status_code=507)
        except PermissionDenied as exc:
            return JSONResponse({'detail': str(exc)}, status_code=403)
        except UserError as exc:
            return JSONResponse({'detail': str(exc)}, status_code=400)

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- who is asking


def _principal(request: Request) -> auth.Principal:
    return auth.principal_of(request)


def _require_write(principal: auth.Principal) -> None:
    try:
        roles.require_write(principal, 'capture')
    except PermissionDenied as exc:
        raise ApiError(403, str(exc)) from None


def _hidden(principal: auth.Principal, sensitivity_id: int | None) -> bool:
    return roles.hides(principal, sensitivity_id)


# --------------------------------------------------------------------------- shapes


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec='seconds') + 'Z' if value else None


class CaptureIn(BaseModel):
    """An output to store. Only ``body`` is required (``text`` is accepted as another name for it)."""

    model_config = ConfigDict(extra='forbid', populate_by_name=True)

    body: str = Field(min_length=1, max_length=1_000_000, description='The output text (Markdown).')
    title: str = Field('', max_length=500, description='Defaults to the first line of the body.')
    prompt: str = Field(
        '', max_length=200_000, description='The prompt that produced it (becomes a prompt version).'
    )
    model: str | None = Field(None, max_length=200, description='Model name, e.g. "gpt-4o" (created if new).')
    tags: list[str] = Field(default_factory=list, max_length=50)
    collections: list[str] = Field(default_factory=list, max_length=20)
    category: str | None = Field(None, max_length=200)
    rating: int | None = Field(None, ge=1, le=5)
    favourite: bool = False
    sensitivity: str | None = Field(None, max_length=100, description='Name of a sensitivity level.')
    notes: str = Field('', max_length=100_000)
    source_url: str = Field('', max_length=4000, alias='url')


class CaptureOut(BaseModel):
    id: int
    title: str
    url: str
    created_at: str | None


def _names(rows: list[Any]) -> list[str]:
    return [r.name for r in rows]


def _output_summary(o: Output) -> dict[str, Any]:
    model = getattr(o, 'llm_model', None)
    category = getattr(o, 'category_row', None)
    sensitivity = getattr(o, 'sensitivity_row', None)
    return {
        'id': o.id,
        'title': o.title,
        'created_at': _iso(o.created_at),
        'updated_at': _iso(o.updated_at),
        'model': model.name if model else None,
        'tags': _names(getattr(o, 'tags', [])),
        'collections': _names(getattr(o, 'collections', [])),
        'category': category.name if category else None,
        'sensitivity': sensitivity.name if sensitivity else None,
        'rating': o.rating,
        'favourite': bool(o.favourite),
        'deleted_at': _iso(o.deleted_at),
        'url': f'/outputs/{o.id}',
    }


def _output_full(d: outputs.OutputDetail) -> dict[str, Any]:
    o = d.output
    return {
        'id': o.id,
        'title': o.title,
        'body': o.body,
        'prompt': d.prompt_version.body if d.prompt_version else None,
        'prompt_id': d.prompt.id if d.prompt else None,
        'prompt_version_id': d.prompt_version.id if d.prompt_version else None,
        'agent': d.agent.name if d.agent else None,
        'agent_version_id': d.agent_version.id if d.agent_version else None,
        'model': d.model.name if d.model else None,
        'provider': d.provider.name if d.provider else None,
        'conversation_id': o.conversation_id,
        'message_id': o.message_id,
        'tags': _names(d.tags),
        'collections': _names(d.collections),
        'category': d.category.name if d.category else None,
        'accuracy': d.accuracy.name if d.accuracy else None,
        'sensitivity': d.sensitivity.name if d.sensitivity else None,
        'retention': d.retention.name if d.retention else None,
        'source': d.source.name if d.source and hasattr(d.source, 'name') else None,
        'rating': o.rating,
        'favourite': bool(o.favourite),
        'notes': o.notes,
        'source_url': o.source_url,
        'input_tokens': o.input_tokens,
        'output_tokens': o.output_tokens,
        'cost': o.cost,
        'related_ids': [r.id for r in d.related],
        'created_at': _iso(o.created_at),
        'updated_at': _iso(o.updated_at),
        'deleted_at': _iso(o.deleted_at),
        'url': f'/outputs/{o.id}',
    }


def _filters_params(request: Request, principal: auth.Principal) -> ListParams:
    params = ListParams.from_query(request.query_params)
    params.exclude_restricted = not principal.allow_restricted
    return params


# --------------------------------------------------------------------------- routes


router = APIRouter(
    prefix=PREFIX,
    tags=['Output Hub'],
    # Declared so the OpenAPI docs offer "Authorize" with a bearer token; checking is the middleware's job.
    dependencies=[
        Depends(HTTPBearer(auto_error=False, description='An API token from Settings → API tokens'))
    ],
)


def _capture_from_request(request: Request, raw: bytes) -> CaptureIn:
    content_type = request.headers.get('content-type', '').split(';')[0].strip().lower()
    if content_type in ('text/plain', ''):
        # A share-sheet shortcut can post the shared text as is; metadata comes from the query string.
        text = raw.decode('utf-8', errors='replace')
        q = request.query_params
        data: dict[str, Any] = {'body': text}
        for name in ('title', 'model', 'category', 'sensitivity', 'notes', 'url', 'prompt'):
            if q.get(name):
                data[name] = q[name]
        if q.getlist('tag'):
            data['tags'] = q.getlist('tag')
        if q.getlist('collection'):
            data['collections'] = q.getlist('collection')
        if q.get('favourite') in ('1', 'true'):
            data['favourite'] = True
    elif content_type == 'application/json':
        try:
            data = json.loads(raw or b'null')
        except ValueError:
            raise ApiError(400, 'The request body is not valid JSON.') from None
        if not isinstance(data, dict):
            raise ApiError(400, 'Send a JSON object, e.g. {"body": "the output text"}.')
        if 'text' in data and 'body' not in data:
            data['body'] = data.pop('text')
    else:
        raise ApiError(415, 'Send JSON (Content-Type: application/json) or plain text (text/plain).')
    try:
        return CaptureIn.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = '.'.join(str(p) for p in first.get('loc', ())) or 'body'
        raise ApiError(422, f'{where}: {first.get("msg", "invalid value")}') from None


@router.post(
    '/captures',
    status_code=201,
    response_model=CaptureOut,
    openapi_extra={
        'requestBody': {
            'required': True,
            'content': {
                'application/json': {'schema': CaptureIn.model_json_schema()},
                'text/plain': {'schema': {'type': 'string'}},
            },
        }
    },
    summary='Capture an output',
    description='JSON as below, or the bare text as text/plain (then title, model, tag, collection, url, '
    'favourite may be given as query parameters).',
)
async def create_capture(request: Request) -> Any:
    try:
        # permission first, then at most the limit of the body: a 300 MB chunked post cost 585 MB
        _require_write(_principal(request))
        raw = await _read_capped(request, MAX_CAPTURE_BYTES)
    except ApiError as exc:
        return JSONResponse({'detail': exc.detail}, status_code=exc.status)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_create_capture, request, raw)


async def _read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    too_large = ApiError(413, f'That capture is too large (the limit is {limit // 1024 // 1024} MB).')
    declared = request.headers.get('content-length', '').strip()
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b''.join(chunks)


def _store_capture(data: CaptureIn) -> tuple[int, dict[str, Any]]:
    sensitivity_id = None
    if data.sensitivity:
        row = lookups.find_by_name('sensitivity', data.sensitivity)
        if row is None:
            raise ValidationError(f'There is no sensitivity level called {data.sensitivity!r}.')
        sensitivity_id = row.id
    out = outputs.capture_output(
        outputs.CaptureData(
            body=data.body,
            title=data.title,
            prompt=data.prompt,
            model=data.model,
            tags=list(data.tags),
            collections=list(data.collections),
            category=data.category,
            rating=data.rating,
            favourite=data.favourite,
            sensitivity_id=sensitivity_id,
            notes=data.notes,
            source_url=data.source_url,
            source_kind='api',
        )
    )
    return out.id, {
        'id': out.id,
        'title': out.title,
        'url': f'/outputs/{out.id}',
        'created_at': _iso(out.created_at),
    }


@_errors_as_json
def _create_capture(request: Request, raw: bytes) -> Any:
    principal = _principal(request)
    _require_write(principal)
    data = _capture_from_request(request, raw)
    key = request.headers.get('idempotency-key')
    if key is None:
        _, body = _store_capture(data)
        replayed = False
    else:
        # The same key (per principal) stores once: a phone resending its queue, a shortcut's retry.
        who = idempotency.principal_key(principal.kind, principal.device_id, principal.token_id)
        fingerprint = idempotency.request_hash(
            request.headers.get('content-type', '').split(';')[0].strip().lower(),
            request.url.query,
            raw,
        )
        try:
            outcome = idempotency.run_once(who, key, fingerprint, lambda: _store_capture(data))
        except idempotency.KeyReused as exc:
            raise ApiError(422, str(exc)) from None
        body, replayed = outcome.response, outcome.replayed
    headers = {'Location': f'{PREFIX}/outputs/{body["id"]}'}
    if replayed:
        headers['Idempotent-Replayed'] = 'true'
    else:  # open pages (Home, the lists) show it without a reload, as for a capture made in the app
        library_events.emit('output', [body['id']])
    return JSONResponse(body, status_code=200 if replayed else 201, headers=headers)


@router.get('/outputs', summary='List outputs (paginated; the same filters as the Outputs page)')
@_errors_as_json
def list_outputs(
    request: Request,
    text: str = Query('', description='Words in the title'),
    tags: str = Query('', description='Tag ids, comma separated (all of them)'),
    collections: str = Query('', description='Collection ids, comma separated (any of them)'),
    categories: str = Query(''),
    models: str = Query(''),
    agents: str = Query(''),
    sensitivities: str = Query(''),
    rating_min: int | None = Query(None, ge=1, le=5),
    favourite: bool | None = Query(None),
    date_from: str = Query('', description='YYYY-MM-DD'),
    date_to: str = Query('', description='YYYY-MM-DD'),
    trashed: bool = Query(False),
    sort: str = Query('', description='created_at, updated_at, title, rating, last_viewed_at, cost'),
    desc: bool = Query(True),
    page: int = Query(1, ge=1),
    per_page: int = Query(25, ge=1, le=200),
) -> Any:
    principal = _principal(request)
    params = _filters_params(request, principal)
    result = entities.list_items('output', params)
    return {
        'items': [_output_summary(o) for o in result.items],
        'total': result.total,
        'page': result.page,
        'per_page': result.per_page,
        'pages': result.pages,
    }


POCKET_DEFAULT = 200
POCKET_MAX = 1000
POCKET_BODY_CHARS = 20_000  # a phone keeps this much of each body; the whole text opens online


def _pocket_rows(params: ListParams, limit: int) -> list[Output]:
    rows: list[Output] = []
    page = 1
    while len(rows) < limit:
        result = entities.list_items('output', params.with_(page=page, per_page=200))
        rows.extend(result.items)
        if page >= result.pages:
            break
        page += 1
    return rows[:limit]


@router.get('/pocket', summary="The phone's offline copy: favourites and the most recent outputs")
@_errors_as_json
def pocket(
    request: Request, limit: int = Query(POCKET_DEFAULT, ge=1, le=POCKET_MAX, description='How many outputs')
) -> Any:
    principal = _principal(request)
    # The list rules of GET /outputs: a principal without restricted permission never receives a Secret item.
    params = ListParams(exclude_restricted=not principal.allow_restricted, sort='created_at', desc=True)
    chosen: dict[int, Output] = {}
    for o in _pocket_rows(params.with_(favourite=True), limit) + _pocket_rows(params, limit):
        chosen.setdefault(o.id, o)
    items = []
    for o in list(chosen.values())[:limit]:
        body = o.body or ''
        items.append(
            {
                **_output_summary(o),
                'body': body[:POCKET_BODY_CHARS],
                'truncated': len(body) > POCKET_BODY_CHARS,
            }
        )
    return {'updated_at': _iso(utcnow()), 'limit': limit, 'items': items}


def _visible_output(principal: auth.Principal, output_id: int) -> outputs.OutputDetail:
    detail = outputs.output_detail(output_id)
    if _hidden(principal, detail.output.sensitivity_id):
        raise NotFound(f'Output {output_id} does not exist.')
    return detail


@router.get('/outputs/{output_id}', summary='One output with its relations')
@_errors_as_json
def get_output(request: Request, output_id: ItemId) -> Any:
    detail = _visible_output(_principal(request), output_id)
    data = _output_full(detail)
    if not _principal(request).allow_restricted:
        restricted = set(restriction.restricted_level_ids())
        visible = {o.id for o in detail.related if o.sensitivity_id not in restricted}
        data['related_ids'] = [i for i in data['related_ids'] if i in visible]
    return data


def _hits(hits: list[search_mod.SearchHit]) -> list[dict[str, Any]]:
    out = []
    for h in hits:
        d = h.to_dict()
        d.pop('snippet_html', None)
        out.append(d)
    return out


@router.get('/search', summary='Search by words (keyword), by meaning (semantic) or both (hybrid)')
@_errors_as_json
def search(
    request: Request,
    q: str = Query(..., min_length=1, max_length=1000, description='What to look for'),
    mode: str = Query('hybrid', description='keyword, semantic or hybrid'),
    kinds: str = Query(
        '', description='output, message, prompt, conversation (comma separated; default all)'
    ),
    limit: int = Query(20, ge=1, le=100),
) -> Any:
    principal = _principal(request)
    if mode not in search_mod.MODES:
        raise ValidationError(f'Unknown search mode {mode!r}; choose keyword, semantic or hybrid.')
    params = _filters_params(request, principal)
    filters = search_mod.SearchFilters.from_list_params(
        params, [k.strip() for k in kinds.split(',') if k.strip()]
    )
    filters.exclude_restricted = not principal.allow_restricted
    hits = search_mod.search(q, mode=mode, filters=filters, limit=limit)
    return {'query': q, 'mode': mode, 'results': _hits(hits)}


@router.get('/outputs/{output_id}/similar', summary='Outputs closest in meaning to this one')
@_errors_as_json
def similar(request: Request, output_id: ItemId, limit: int = Query(10, ge=1, le=50)) -> Any:
    principal = _principal(request)
    _visible_output(principal, output_id)
    filters = search_mod.SearchFilters(kinds=['output'], exclude_restricted=not principal.allow_restricted)
    hits = search_mod.similar('output', output_id, limit=limit, filters=filters)
    return {'output_id': output_id, 'results': _hits(hits)}


@router.get(
    '/conversations/{conversation_id}', summary='A conversation and the messages on its active branch'
)
@_errors_as_json
def get_conversation(
    request: Request,
    conversation_id: ItemId,
    include_hidden: bool = Query(False, description='Also tool traffic and hidden system messages'),
) -> Any:
    principal = _principal(request)
    conv: Conversation = conversations.get_conversation(conversation_id)
    if _hidden(principal, conv.sensitivity_id):
        raise NotFound(f'Conversation {conversation_id} does not exist.')
    # A message a Secret output was captured from comes with a "withheld" notice instead of its text.
    thread = conversations.thread(conversation_id, hide_restricted=not principal.allow_restricted)
    tags = relations.tags_for('conversation', [conv.id]).get(conv.id, [])
    cols = relations.collections_for('conversation', [conv.id]).get(conv.id, [])
    messages = []
    for tm in thread:
        m = tm.message
        if m.hidden and not include_hidden:
            continue
        model = getattr(m, 'model', None) if m.model_id else None
        messages.append(
            {
                'id': m.id,
                'parent_id': m.parent_id,
                'role': m.role,
                'content': m.content,
                'hidden': bool(m.hidden),
                'withheld': bool(getattr(m, 'withheld', False)),
                'status': m.status,
                'model': model.name if model is not None else None,
                'input_tokens': m.input_tokens,
                'output_tokens': m.output_tokens,
                'cost': m.cost,
                'created_at': _iso(m.created_at),
                'branch': {'index': tm.sibling_index + 1, 'count': tm.sibling_count},
            }
        )
    return {
        'id': conv.id,
        'title': conv.title,
        'summary': conv.summary,
        'tags': _names(tags),
        'collections': _names(cols),
        'rating': conv.rating,
        'favourite': bool(conv.favourite),
        'message_count': conv.message_count,
        'created_at': _iso(conv.created_at),
        'updated_at': _iso(conv.updated_at),
        'deleted_at': _iso(conv.deleted_at),
        'url': f'/conversations/{conv.id}',
        'messages': messages,
    }


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    """API input errors as one sentence (``{"detail": "page: must be at least 1"}``). A page address with
    a malformed part (``/outputs/abc``) gets the app's "not found" page, not FastAPI's JSON."""
    if not request.url.path.startswith(PREFIX + '/'):
        if request.method != 'GET':
            return await request_validation_exception_handler(request, exc)
        from nicegui.client import Client
        from nicegui.error import error_content
        from nicegui.page import page

        with Client(page(''), request=request) as client:
            error_content(404, 'That address is not a page of Output Hub.')
        return client.build_response(request, 404)
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = '.'.join(str(p) for p in first.get('loc', ()) if p not in ('query', 'path', 'body')) or 'request'
    return JSONResponse({'detail': f'{where}: {first.get("msg", "invalid value")}'}, status_code=422)


def _offline_docs(app: FastAPI) -> None:
    """/docs and /redoc from files shipped with the app: FastAPI's defaults load Swagger UI and ReDoc
    from a CDN, which leaves the docs blank offline and tells a third party when you read them."""
    try:
        import fastapi_offline
    except ImportError:  # FastAPI's CDN-based pages remain
        return
    from pathlib import Path

    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    static = Path(fastapi_offline.__file__).parent / 'static'
    if not (static / 'swagger-ui-bundle.js').exists():
        return
    if not any(getattr(r, 'path', None) == DOCS_ASSETS for r in app.routes):
        app.mount(DOCS_ASSETS, StaticFiles(directory=static), name='api-docs-assets')

    # Registered before ui.run() adds FastAPI's own /docs and /redoc, so these match first.
    @app.get('/docs', include_in_schema=False)
    def swagger_ui() -> Response:
        return get_swagger_ui_html(
            openapi_url='/openapi.json',
            title='Output Hub API',
            swagger_js_url=f'{DOCS_ASSETS}/swagger-ui-bundle.js',
            swagger_css_url=f'{DOCS_ASSETS}/swagger-ui.css',
            swagger_favicon_url='/assets/icon.svg',
        )

    @app.get('/redoc', include_in_schema=False)
    def redoc() -> Response:
        return get_redoc_html(
            openapi_url='/openapi.json',
            title='Output Hub API',
            redoc_js_url=f'{DOCS_ASSETS}/redoc.standalone.js',
            redoc_favicon_url='/assets/icon.svg',
            with_google_fonts=False,
        )


DOCS_ASSETS = '/api-docs-assets'


def register(app: FastAPI) -> None:
    app.title = 'Output Hub API'
    app.description = (
        'Capture, list, get, search and find similar. Send a token from Settings → API tokens as '
        '`Authorization: Bearer <token>`.'
    )
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, _validation_error)
    _offline_docs(app)
