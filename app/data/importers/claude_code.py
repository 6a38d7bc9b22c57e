"""Claude Code sessions (``~/.claude/projects/<project>/<session>.jsonl``, 1.0.x and 2.x shapes).

One session file is one conversation, read line by line:

- the records form a tree through ``parentUuid``; ``progress``, file snapshots, queue and hook records
  are not messages: links through them are followed, so they make no branches of their own;
- one API message written over several lines (one content block each, the same ``message.id``)
  becomes one message; thinking, tool calls and tool results are hidden steps (kept, searchable);
  the results of parallel tool calls follow one another instead of forking the thread;
- sub-agent runs (``<session>/subagents/agent-*.jsonl`` files, or lines with ``isSidechain`` in 1.0.x)
  are kept inside their parent conversation, folded, right before the result of the Task that started
  them;
- a compaction boundary and its summary are kept, marked (content types ``compaction`` and
  ``compaction_summary``);
- a ``summary`` record whose leaf is in the session gives the title; every reply keeps its model and
  exact token usage (the cost follows from the models table); the working directory is the project,
  a collection of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from .base import (
    Block,
    ImportReport,
    ParsedConversation,
    ParsedMessage,
    from_iso,
    json_text,
    split_blocks,
    text_of,
)
from .inputs import JsonDoc, iter_lines

# record types that are bookkeeping, not messages (unknown ones are counted in the report)
NOT_MESSAGES = {
    'progress',
    'file-history-snapshot',
    'queue-operation',
    'summary',
    'attachment',
    'permission-mode',
    'mode',
    'custom-title',
    'last-prompt',
    'agent-name',
}
SYNTHETIC_MODEL = '<synthetic>'  # Claude Code's own stand-in replies (errors, interruptions)
COMMAND_PREFIXES = ('<command-name>', '<command-message>', '<local-command-', '<bash-input>', '<bash-stdout>')


@dataclass
class _Node:
    key: str
    kind: str  # user | assistant | compaction | command
    records: list[dict[str, Any]]
    parent_ref: str | None
    order: int
    sidechain: bool = False
    agent: str | None = None  # the sub-agent run it belongs to (set for sub-agent files and sidechains)
    parent: str | None = None  # the resolved parent node key
    tool_results: list[str] = field(default_factory=list)  # tool_use ids answered (a tool-result-only user)
    only_results: bool = False


class _Reader:
    """One file's records as nodes, with the links through non-message records resolved."""

    def __init__(self, report: ImportReport, prefix: str = '', agent: str | None = None) -> None:
        self.report = report
        self.prefix = prefix
        self.agent = agent
        self.nodes: dict[str, _Node] = {}
        self.line_node: dict[str, str] = {}  # record uuid -> node key
        self.through: dict[str, str | None] = {}  # uuid of a non-message record -> its parentUuid
        self.summaries: list[dict[str, Any]] = []
        self.custom_title = ''
        self.agent_tools: dict[str, str] = {}  # agent id -> the Task tool_use id (from agent_progress)
        self.relayed: dict[str, list[dict[str, Any]]] = {}  # agent id -> its messages from agent_progress
        self.cwd: str | None = None
        self.session: str | None = None
        self.order = 0

    def bad_line(self) -> None:
        self.report.lines_skipped += 1

    def read(self, doc: JsonDoc) -> _Reader:
        for rec in iter_lines(doc, self.bad_line):
            self.add(rec)
        return self

    def add(self, rec: dict[str, Any]) -> None:
        self.order += 1
        rtype = rec.get('type')
        uuid = rec.get('uuid') if isinstance(rec.get('uuid'), str) else None
        if self.session is None and isinstance(rec.get('sessionId'), str):
            self.session = rec['sessionId']
        if self.cwd is None and isinstance(rec.get('cwd'), str) and not rec.get('isSidechain'):
            self.cwd = rec['cwd']
        parent = rec.get('parentUuid') if isinstance(rec.get('parentUuid'), str) else None
        message = rec.get('message')
        if rtype == 'summary':
            if isinstance(rec.get('summary'), str):
                self.summaries.append(rec)
            return
        if rtype == 'custom-title':  # ``/rename`` in Claude Code: the latest one names the session
            if isinstance(rec.get('customTitle'), str) and rec['customTitle'].strip():
                self.custom_title = rec['customTitle'].strip()
            return
        if rtype == 'progress':
            data = rec.get('data') if isinstance(rec.get('data'), dict) else {}
            if data.get('type') == 'agent_progress' and data.get('agentId') and rec.get('parentToolUseID'):
                agent = str(data['agentId'])
                self.agent_tools.setdefault(agent, str(rec['parentToolUseID']))
                inner = data.get('message')
                if isinstance(inner, dict) and inner.get('type') in ('user', 'assistant'):
                    # the sub-agent's own messages, relayed while it ran (its file may be gone)
                    self.relayed.setdefault(agent, []).append(
                        {**inner, 'isSidechain': True, 'agentId': agent}
                    )
        kind = None
        key = None
        if rtype == 'assistant' and isinstance(message, dict):
            kind = 'assistant'
            key = self.prefix + str(message.get('id') or uuid or f'line-{self.order}')
        elif rtype == 'user' and isinstance(message, dict):
            kind = 'user'
            key = self.prefix + (uuid or f'line-{self.order}')
        elif rtype == 'system' and rec.get('subtype') == 'compact_boundary':
            kind = 'compaction'
            key = self.prefix + (uuid or f'line-{self.order}')
            logical = rec.get('logicalParentUuid')
            parent = logical if isinstance(logical, str) else parent
        elif rtype == 'system' and rec.get('subtype') == 'local_command':
            kind = 'command'
            key = self.prefix + (uuid or f'line-{self.order}')
        if kind is None:
            if rtype not in NOT_MESSAGES and rtype != 'system':
                self.report.unknown(f'claude_code {rtype or "?"}')
            if uuid:
                self.through.setdefault(uuid, parent)
            return
        node = self.nodes.get(key)
        if node is not None and kind == 'assistant' and node.kind == 'assistant':
            node.records.append(rec)  # the next content block of the same API message
        else:
            if node is not None:  # the same uuid twice (a resumed session copies its history): keep the first
                if uuid:
                    self.line_node.setdefault(uuid, key)
                return
            node = _Node(key, kind, [rec], parent, self.order, bool(rec.get('isSidechain')), self.agent)
            if kind == 'user':
                content = message.get('content')
                if isinstance(content, list):
                    ids = [
                        str(b.get('tool_use_id'))
                        for b in content
                        if isinstance(b, dict) and b.get('type') == 'tool_result'
                    ]
                    others = [
                        b for b in content if not (isinstance(b, dict) and b.get('type') == 'tool_result')
                    ]
                    node.tool_results = ids
                    node.only_results = bool(ids) and not others
            self.nodes[key] = node
        if uuid:
            self.line_node.setdefault(uuid, key)

    def resolve(self, ref: str | None) -> str | None:
        seen: set[str] = set()
        while ref is not None and ref not in seen:
            if ref in self.line_node:
                return self.line_node[ref]
            seen.add(ref)
            ref = self.through.get(ref)
        return None

    def link(self) -> None:
        for node in self.nodes.values():
            parent = self.resolve(node.parent_ref)
            node.parent = parent if parent != node.key else None


# --------------------------------------------------------------------------- rendering


def _result_text(content: Any) -> str:
    parts = content if isinstance(content, list) else [content]
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, dict):
            if part.get('type') == 'image':
                out.append('[Image]')
            else:
                out.append(
                    text_of(part.get('text')) or json_text({k: v for k, v in part.items() if k != 'type'})
                )
    return '\n\n'.join(t for t in out if t)


def _is_command(text: str) -> bool:
    return text.lstrip().startswith(COMMAND_PREFIXES)


_TAG = re.compile(r'<(command-name|command-args)>(.*?)</\1>', re.DOTALL)


def slash_command(text: str) -> str | None:
    """What the person typed for a slash command (``/init args``), from the tags Claude Code writes."""
    if '<command-name>' not in text:
        return None
    tags = dict(_TAG.findall(text))
    return ' '.join(
        t for t in (tags.get('command-name', '').strip(), tags.get('command-args', '').strip()) if t
    )


def _blocks(node: _Node, tool_names: dict[str, str], report: ImportReport) -> list[Block]:
    sub = node.agent is not None or node.sidechain
    author = f'sub-agent {node.agent}' if node.agent else ('sub-agent' if node.sidechain else None)
    rec = node.records[0]
    when = from_iso(rec.get('timestamp'))
    if node.kind == 'compaction':
        meta = rec.get('compactMetadata') if isinstance(rec.get('compactMetadata'), dict) else {}
        bits = [str(meta['trigger'])] if meta.get('trigger') else []
        if isinstance(meta.get('preTokens'), int):
            bits.append(f'{meta["preTokens"]:,} tokens before')
        detail = f' ({", ".join(bits)})' if bits else ''
        return [
            Block(f'{text_of(rec.get("content")) or "Conversation compacted"}{detail}', True, 'compaction')
        ]
    if node.kind == 'command':
        return [Block(text_of(rec.get('content')), True, 'command', role='system', created_at=when)]
    blocks: list[Block] = []
    for r in node.records:
        message = r.get('message') if isinstance(r.get('message'), dict) else {}
        content = message.get('content')
        at = from_iso(r.get('timestamp')) or when
        if isinstance(content, str):
            content = [{'type': 'text', 'text': content}]
        for b in content if isinstance(content, list) else []:
            if not isinstance(b, dict):
                continue
            btype = b.get('type')
            if btype == 'text':
                text = text_of(b.get('text')).strip()
                if not text:
                    continue
                if node.kind == 'user' and rec.get('isCompactSummary'):
                    blocks.append(Block(text, True, 'compaction_summary', created_at=at))
                elif node.kind == 'user' and not rec.get('isMeta') and slash_command(text):
                    blocks.append(Block(slash_command(text) or text, sub, 'text', author, created_at=at))
                elif node.kind == 'user' and (rec.get('isMeta') or _is_command(text)):
                    blocks.append(Block(text, True, 'command', author, created_at=at))
                elif sub:
                    blocks.append(Block(text, True, 'subagent', author, created_at=at))
                else:
                    blocks.append(Block(text, created_at=at))
            elif btype in ('thinking', 'redacted_thinking'):
                text = text_of(b.get('thinking')) or '[redacted thinking]'
                blocks.append(Block(text, True, 'thinking', author, created_at=at))
            elif btype == 'tool_use':
                name = text_of(b.get('name')) or 'tool'
                if b.get('id'):
                    tool_names[str(b['id'])] = name
                blocks.append(
                    Block(
                        f'{name}\n{json_text(b.get("input"))}'.strip(), True, 'tool_use', name, created_at=at
                    )
                )
            elif btype == 'tool_result':
                name = tool_names.get(str(b.get('tool_use_id')))
                text = _result_text(b.get('content'))
                if b.get('is_error'):
                    text = f'[error] {text}'
                blocks.append(Block(text, True, 'tool_result', name, 'tool', at))
            elif btype == 'image':
                blocks.append(Block('[Image]', sub, 'text', author, created_at=at))
            else:
                report.unknown(f'claude_code {btype or "?"}')
                blocks.append(
                    Block(
                        text_of(b.get('text')) or json_text(b),
                        True,
                        str(btype or 'unknown'),
                        author,
                        created_at=at,
                    )
                )
    if not blocks:
        blocks.append(Block('', True, 'empty', author, created_at=when))
    return blocks


def _usage(node: _Node) -> tuple[int | None, int | None, float | None]:
    """(input tokens incl. cache, output tokens, input tokens weighted by price) of an API message: each
    of its lines repeats the usage, the last one being final."""
    best = None
    for r in node.records:
        usage = r.get('message', {}).get('usage') if isinstance(r.get('message'), dict) else None
        if isinstance(usage, dict) and (
            best is None or (usage.get('output_tokens') or 0) >= (best.get('output_tokens') or 0)
        ):
            best = usage
    if best is None:
        return None, None, None

    def n(key: str) -> int:
        v = best.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) else 0

    fresh, write, read = n('input_tokens'), n('cache_creation_input_tokens'), n('cache_read_input_tokens')
    # Anthropic's prices: a cache write kept 5 minutes costs 1.25x an input token, one kept an hour 2x
    # (2.x sessions say which in ``cache_creation``; without it, the 5-minute default), a cache read 0.1x
    split = best.get('cache_creation') if isinstance(best.get('cache_creation'), dict) else {}
    hour = split.get('ephemeral_1h_input_tokens')
    hour = min(hour, write) if isinstance(hour, int) and not isinstance(hour, bool) and hour > 0 else 0
    billed = fresh + 1.25 * (write - hour) + 2.0 * hour + 0.1 * read
    return fresh + write + read, n('output_tokens'), billed


def _message(node: _Node, tool_names: dict[str, str], report: ImportReport) -> list[ParsedMessage]:
    first, last = node.records[0], node.records[-1]
    message = last.get('message') if isinstance(last.get('message'), dict) else {}
    role = {'assistant': 'assistant', 'user': 'user'}.get(node.kind, 'system')
    model = text_of(message.get('model')) if node.kind == 'assistant' else ''
    if model == SYNTHETIC_MODEL:
        model = ''
    base = ParsedMessage(
        external_id=node.key,
        parent_id=node.parent,
        role=role,
        model=model or None,
        created_at=from_iso(first.get('timestamp')),
        updated_at=from_iso(last.get('timestamp')),
        finish_reason=text_of(message.get('stop_reason')) or None,
        status='error' if any(r.get('isApiErrorMessage') for r in node.records) else 'complete',
        raw={'records': node.records},
    )
    if node.kind == 'assistant':
        tokens_in, tokens_out, billed = _usage(node)
        if tokens_in is not None:
            base.input_tokens, base.output_tokens, base.billed_input_tokens = tokens_in, tokens_out, billed
            base.raw['tokens'] = 'exact'  # as the API reported them, not estimated
    return split_blocks(base, _blocks(node, tool_names, report))


# --------------------------------------------------------------------------- the session


def _runs(main: _Reader, subs: list[_Reader]) -> list[tuple[str | None, list[_Node]]]:
    """Sub-agent runs as (agent id, nodes in file order): each sub-agent file is one; inline sidechains
    are grouped by their root."""
    runs: list[tuple[str | None, list[_Node]]] = []
    # group inline sidechains by their top ancestor
    for run in _components([n for n in main.nodes.values() if n.sidechain], main.nodes):
        runs.append((None, run))
    for sub in subs:
        nodes = list(sub.nodes.values())
        if nodes:
            runs.append((sub.agent, nodes))
    return runs


def _components(nodes: list[_Node], all_nodes: dict[str, _Node]) -> list[list[_Node]]:
    top: dict[str, str] = {}

    def root_of(n: _Node) -> str:
        path = []
        cur = n
        while True:
            if cur.key in top:
                r = top[cur.key]
                break
            parent = all_nodes.get(cur.parent) if cur.parent else None
            if parent is None or not parent.sidechain or parent.key in (p.key for p in path):
                r = cur.key
                break
            path.append(cur)
            cur = parent
        for p in path:
            top[p.key] = r
        top[n.key] = r
        return r

    groups: dict[str, list[_Node]] = {}
    for n in nodes:
        groups.setdefault(root_of(n), []).append(n)
    return [sorted(g, key=lambda n: n.order) for g in groups.values()]


def _first_text(nodes: list[_Node]) -> str:
    for n in nodes:
        if n.kind == 'user':
            content = n.records[0].get('message', {}).get('content')
            if isinstance(content, str):
                return content.strip()
            if isinstance(content, list):
                for b in content:
                    if isinstance(b, dict) and b.get('type') == 'text':
                        return text_of(b.get('text')).strip()
    return ''


def convert(doc: JsonDoc, report: ImportReport, titles: dict[str, str] | None = None) -> ParsedConversation:
    """A session file (and its sub-agent files, ``doc.related``) → one parsed conversation. ``titles``:
    the summaries other session files of the same import hold, by leaf uuid (a resumed session writes
    its predecessor's summary at its own top)."""
    main = _Reader(report).read(doc)
    subs = []
    for sub_doc in doc.related:
        agent = sub_doc.agent or PurePath(sub_doc.name).stem
        subs.append(_Reader(report, prefix=f'agent-{agent}:', agent=agent).read(sub_doc))
    have = {s.agent for s in subs}
    for agent, records in main.relayed.items():
        if agent not in have:  # no file of its own: the run as its progress records relayed it
            relayed = _Reader(report, prefix=f'agent-{agent}:', agent=agent)
            for r in records:
                relayed.add(r)
            subs.append(relayed)
    if not main.nodes and not any(s.nodes for s in subs):
        raise ValueError('it holds no messages')
    if not any(not n.sidechain for n in main.nodes.values()):
        for n in main.nodes.values():  # a sub-agent file on its own: its run is the thread
            n.sidechain = False
    main.link()
    for s in subs:
        s.link()
    session = main.session or doc.session or PurePath(doc.name).stem
    if doc.agent:  # a sub-agent file imported on its own is a conversation of its own
        session = f'{session}/agent-{doc.agent}'

    nodes = main.nodes
    # the results of parallel tool calls follow one another (each written as a child of its call)
    children: dict[str | None, list[_Node]] = {}
    for n in nodes.values():
        children.setdefault(n.parent, []).append(n)
    for kids in children.values():
        results = [k for k in kids if k.only_results and not k.sidechain]
        for prev, nxt in zip(results, results[1:], strict=False):
            nxt.parent = prev.key

    # sub-agent runs go in right before the result of the Task that started them
    tasks: dict[str, tuple[str, str]] = {}  # tool_use id -> (assistant node key, prompt)
    result_of: dict[str, _Node] = {}  # tool_use id -> the user node holding its result
    result_by_agent: dict[str, _Node] = {}
    for n in nodes.values():
        if n.sidechain:
            continue
        for r in n.records:
            msg = r.get('message') if isinstance(r.get('message'), dict) else {}
            for b in msg.get('content') if isinstance(msg.get('content'), list) else []:
                if isinstance(b, dict) and b.get('type') == 'tool_use' and b.get('name') in ('Task', 'Agent'):
                    inp = b.get('input') if isinstance(b.get('input'), dict) else {}
                    tasks[str(b.get('id'))] = (n.key, text_of(inp.get('prompt')).strip())
        for tid in n.tool_results:
            result_of.setdefault(tid, n)
        side = n.records[0].get('toolUseResult')
        if isinstance(side, dict) and side.get('agentId'):
            result_by_agent[str(side['agentId'])] = n
    by_prompt = {prompt: tid for tid, (_, prompt) in tasks.items() if prompt}
    all_nodes = dict(nodes)
    main_list = [n for n in nodes.values() if not n.sidechain]
    for agent, run in _runs(main, subs):
        for n in run:
            all_nodes[n.key] = n
        for prev, nxt in zip(run, run[1:], strict=False):  # a run reads as one folded chain
            nxt.parent = prev.key
        target = result_by_agent.get(agent) if agent else None
        if target is None and agent and agent in main.agent_tools:
            target = result_of.get(main.agent_tools[agent])
        if target is None:
            tid = by_prompt.get(_first_text(run))
            target = result_of.get(tid) if tid else None
        if target is not None and target.parent != run[-1].key:
            run[0].parent, target.parent = target.parent, run[-1].key
            continue
        # no Task found (a cut file, a compaction run): in after the last main message before it began
        start = from_iso(run[0].records[0].get('timestamp'))
        before = [
            n for n in main_list if start and (from_iso(n.records[0].get('timestamp')) or start) <= start
        ]
        anchor = before[-1] if before else None
        if anchor is None:
            first_roots = [n for n in main_list if n.parent is None]
            run[0].parent = None
            for r in first_roots[:1]:
                r.parent = run[-1].key
            continue
        followers = [n for n in all_nodes.values() if n.parent == anchor.key and n not in run]
        run[0].parent = anchor.key
        for f in followers:
            f.parent = run[-1].key

    # the shown branch: the last message of the main thread, then down through what was put after it
    leaf = main_list[-1].key if main_list else None
    for n in reversed(main_list):
        if n.kind in ('user', 'assistant'):
            leaf = n.key
            break
    kids: dict[str, list[str]] = {}
    for n in all_nodes.values():
        if n.parent:
            kids.setdefault(n.parent, []).append(n.key)
    seen = set()
    while leaf in kids and leaf not in seen:
        seen.add(leaf)
        leaf = max(kids[leaf], key=lambda k: all_nodes[k].order + (10**9 if all_nodes[k].agent else 0))

    tool_names: dict[str, str] = {}
    messages: list[ParsedMessage] = []
    for n in sorted(all_nodes.values(), key=lambda n: (n.agent is not None, n.order)):
        messages.extend(_message(n, tool_names, report))

    title = main.custom_title  # the person's own name for it wins over Claude's summary
    for s in [] if title else main.summaries:
        if s.get('leafUuid') in main.line_node:
            title = text_of(s.get('summary'))
    if not title and titles:
        for uuid in main.line_node:
            if uuid in titles:
                title = titles[uuid]
    model = None
    for n in reversed(main_list):
        if n.kind == 'assistant':
            m = text_of(n.records[-1].get('message', {}).get('model'))
            if m and m != SYNTHETIC_MODEL:
                model = m
                break
    cwd = main.cwd or next((s.cwd for s in subs if s.cwd), None)
    first = next(iter(nodes.values()), None)
    version = first.records[0].get('version') if first else None
    raw = {
        'sessionId': session,
        'cwd': cwd,
        'version': version,
        'gitBranch': first.records[0].get('gitBranch') if first else None,
        'summaries': main.summaries or None,
        'files': [doc.name, *(d.name for d in doc.related)],
    }
    return ParsedConversation(
        external_id=session,
        title=title,
        messages=messages,
        active_leaf=leaf,
        model=model,
        raw=raw,
        collection_external_id=project_key(cwd),
    )


def project_key(cwd: str | None) -> str | None:
    return f'project:{cwd}' if cwd else None


def label(doc: JsonDoc) -> str:
    return f'session {doc.name}'


def leading_summaries(doc: JsonDoc) -> dict[str, str]:
    """The ``summary`` records at the top of a session file (where Claude Code writes them), by leaf."""
    out: dict[str, str] = {}
    for rec in iter_lines(doc, lambda: None):
        if rec.get('type') != 'summary':
            break
        if isinstance(rec.get('leafUuid'), str) and isinstance(rec.get('summary'), str):
            out[rec['leafUuid']] = rec['summary']
    return out


def prepare(docs: list[JsonDoc]) -> dict[str, str]:
    """What every session of an import needs from the others: the summaries that name them."""
    titles: dict[str, str] = {}
    if len(docs) > 1:
        for d in docs:
            titles.update(leading_summaries(d))
    return titles


def items(doc: JsonDoc, report: ImportReport, titles: dict[str, str] | None = None):
    """What ``save_each`` saves: one conversation per session file."""
    yield label(doc), lambda: convert(doc, report, titles)
