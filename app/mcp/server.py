"""The MCP server itself, on the SDK's low-level ``Server``: tools/list and tools/call over ``tools.TOOLS``,
prompts/list and prompts/get over ``prompts``, resources/list, resources/templates/list and
resources/read over ``resources``. The same server serves stdio and streamable HTTP.

Each call runs its data work in a worker thread (``anyio.to_thread``), so the app's event loop never waits
on a query or a write. Whatever goes wrong comes back as a tool error with one sentence — a user error's
own sentence, the first bad argument, or "an unexpected error" with the details in the log (stderr) —
never as a traceback on stdout, which would break stdio framing. A prompt or resource that cannot be
read is a protocol error (invalid params) with the same sentence.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from .. import auth
from ..errors import UserError
from . import prompts, resources, tools

log = logging.getLogger(__name__)

SERVER_NAME = 'outputhub'
INSTRUCTIONS = (
    "Output Hub is the user's own library of saved LLM outputs, chat conversations and prompts. "
    'Look things up with search (then get_output or get_conversation for the whole text); save what the '
    'user asks to keep with save_output (or save_conversation for a whole chat). Link the user to items '
    'with the url each result carries. A client can attach an item as context through its resource: '
    'outputhub://output/{id}, outputhub://conversation/{id}, outputhub://prompt/{id}.'
)
READ_ONLY_LOCAL = auth.Principal('local', scope='read')
UNEXPECTED = 'Output Hub could not do that because of an unexpected error (the details are in its log).'


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version('outputhub')
    except PackageNotFoundError:
        return ''


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop('title', None)
    return schema


def _tool(spec: tools.ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=_schema(spec.args),
        annotations=types.ToolAnnotations(
            title=spec.title,
            read_only_hint=not spec.writes,
            destructive_hint=False,  # nothing deletes
            idempotent_hint=spec.idempotent,
            open_world_hint=False,
        ),
    )


def _bad_arguments(exc: PydanticValidationError) -> str:
    first = exc.errors()[0]
    where = '.'.join(str(p) for p in first.get('loc', ())) or 'arguments'
    msg = first.get('msg', 'invalid value')
    if first.get('type') == 'extra_forbidden':
        msg = 'not an argument of this tool'
    return f'Bad argument {where}: {msg}.'


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type='text', text=message)], is_error=True)


def caller_of(ctx: Any, base_url: str | None, local: auth.Principal = auth.LOCAL) -> tools.Caller:
    """Who sent this request: over HTTP the principal the app's gate attached to it (a token, a device or
    this computer), over stdio this computer; and the client's name from its initialize clientInfo."""
    request = getattr(ctx, 'request', None)
    principal = auth.principal_of(request) if request is not None else local
    client = ''
    params = getattr(getattr(ctx, 'session', None), 'client_params', None)
    if params is not None and params.client_info is not None:
        client = params.client_info.name or ''
    url = base_url
    if url is None and request is not None:
        host = request.headers.get('host', '')
        url = f'{request.url.scheme}://{host}' if host else tools.DEFAULT_APP_URL
    return tools.Caller(principal=principal, client=client, base_url=url or tools.DEFAULT_APP_URL)


def _run(spec: tools.ToolSpec, caller: tools.Caller, args: BaseModel) -> dict[str, Any]:
    return spec.run(caller, args)


def build_server(*, base_url: str | None = None, read_only: bool = False) -> Server:
    """The MCP server. ``base_url`` starts every item link (stdio: where the app usually runs); without it
    links use the address the HTTP request came to. Over stdio the caller is this computer, read-only
    with ``read_only`` (``outputhub mcp --read-only``); over HTTP, whoever the app's gate let in."""
    local = READ_ONLY_LOCAL if read_only else auth.LOCAL

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_tool(t) for t in tools.TOOLS])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = tools.BY_NAME.get(params.name)
        if spec is None:
            return _error(
                f'There is no tool called {params.name!r}; the tools are {", ".join(tools.BY_NAME)}.'
            )
        try:
            args = spec.args.model_validate(params.arguments or {})
        except PydanticValidationError as exc:
            return _error(_bad_arguments(exc))
        caller = caller_of(ctx, base_url, local)
        try:
            result = await anyio.to_thread.run_sync(_run, spec, caller, args)
        except UserError as exc:
            return _error(str(exc))
        except Exception:
            log.exception('MCP tool %s failed', spec.name)
            return _error(UNEXPECTED)
        text = json.dumps(result, ensure_ascii=False, separators=(',', ':'), default=str)
        return types.CallToolResult(
            content=[types.TextContent(type='text', text=text)], structured_content=result
        )

    async def list_prompts(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        caller = caller_of(ctx, base_url, local)
        try:
            entries = await anyio.to_thread.run_sync(prompts.list_prompts, caller)
        except UserError as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=e.name,
                    title=e.title,
                    description=e.description,
                    arguments=[
                        types.PromptArgument(name=a.name, description=a.description, required=a.required)
                        for a in e.arguments
                    ],
                )
                for e in entries
            ]
        )

    async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        caller = caller_of(ctx, base_url, local)
        try:
            filled = await anyio.to_thread.run_sync(prompts.get_prompt, caller, params.name, params.arguments)
        except UserError as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        except Exception:
            log.exception('MCP prompt %s failed', params.name)
            raise MCPError(types.INTERNAL_ERROR, UNEXPECTED) from None
        return types.GetPromptResult(
            description=filled.description,
            messages=[
                types.PromptMessage(role='user', content=types.TextContent(type='text', text=filled.text))
            ],
        )

    async def list_resources(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        caller = caller_of(ctx, base_url, local)
        try:
            listed = await anyio.to_thread.run_sync(resources.list_resources, caller)
        except UserError as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        except Exception:
            log.exception('MCP resources/list failed')
            raise MCPError(types.INTERNAL_ERROR, UNEXPECTED) from None
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=r.uri, name=r.name, title=r.title, description=r.description, mime_type=r.mime_type
                )
                for r in listed
            ]
        )

    async def list_resource_templates(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template=t.uri_template,
                    name=t.kind,
                    title=t.title,
                    description=t.description,
                    mime_type=t.mime_type,
                )
                for t in resources.TEMPLATES
            ]
        )

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        caller = caller_of(ctx, base_url, local)
        uri = str(params.uri)
        try:
            got = await anyio.to_thread.run_sync(resources.read, caller, uri)
        except UserError as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc), {'uri': uri}) from None
        except Exception:
            log.exception('MCP resource %s failed', uri)
            raise MCPError(types.INTERNAL_ERROR, UNEXPECTED) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=got.uri, mime_type=got.mime_type, text=got.text)]
        )

    return Server(
        SERVER_NAME,
        version=_version(),
        title='Output Hub',
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
        on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates,
        on_read_resource=read_resource,
    )
