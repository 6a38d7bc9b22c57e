"""The capture form: paste a prompt and an output (or a whole conversation), pick model, agent and tags,
Ctrl+Enter (from any field: app.js clicks the form's save button). Sticky fields remember the last
model/agent/tags/collection for this browser; a draft survives a reload. Used on /capture, on Home and
in the quick-capture dialog (quick_capture.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import app, run, ui

from ..data import conversations, entities, lookups, outputs, paste, relations
from ..data.listing import ListParams
from ..data.text import first_line_title
from ..errors import UserError
from ..services import library_events
from . import dialogs, toast
from .design import FILTER_SELECT, kind_url
from .secret import viewer_sees_restricted
from .tag_input import TagInput

STICKY_KEY = 'capture.sticky'  # in this browser's storage (app.storage.user), never the shared settings
DRAFT_KEY = 'capture_draft'
TEXT_FIELDS = ('prompt', 'body', 'title', 'notes', 'source_url')


def _names(key: str) -> list[str]:
    return [r.name for r in lookups.search(key, '', limit=2000)]


def _options(hide_restricted: bool = False) -> dict[str, Any]:
    """The choices the form offers; ``hide_restricted``: no Secret agents (a LAN device without permission)."""
    agents = ListParams(per_page=200, sort='name', desc=False, exclude_restricted=hide_restricted)
    return {
        'models': sorted({m.name for m in lookups.search('model', '', limit=2000)}),
        'agents': {a.id: a.name for a in entities.list_items('agent', agents).items},
        'tags': _names('tag'),
        'collections': _names('collection'),
        'categories': _names('category'),
        'accuracy': {r.id: r.name for r in lookups.search('accuracy', '', limit=50)},
        'sensitivity': {r.id: r.name for r in lookups.search('sensitivity', '', limit=50)},
    }


def _user_storage() -> dict | None:
    """Per-browser storage for the draft and the sticky fields (None where no storage secret is configured)."""
    try:
        return app.storage.user
    except (RuntimeError, AssertionError):
        return None


def _chips_select(select: ui.select) -> ui.select:
    """A single-choice combo box whose value shows as a chip with ×, so a remembered model, agent or
    collection can be dropped before saving."""
    select.props(remove='hide-selected fill-input').props('use-chips')
    return select


class CaptureForm:
    """The capture form; ``compact`` shows fewer fields at first (home page, dialog); ``on_saved(output)``
    runs after a capture (the dialog closes); ``focus_here``: the page's own form, which the ``c`` key
    focuses instead of opening the dialog over it (/capture)."""

    def __init__(
        self,
        *,
        compact: bool = False,
        prefill: dict | None = None,
        on_saved: Callable[[Any], object] | None = None,
        focus_here: bool = False,
        draft_key: str = DRAFT_KEY,
        header: Callable[[], None] | None = None,
    ) -> None:
        self.compact = compact
        self.prefill = prefill or {}
        self.on_saved = on_saved
        self.focus_here = focus_here
        self.draft_key = draft_key
        self.header = header  # extra buttons at the end of the title row (the dialog's ×)
        self.hide_restricted = not viewer_sees_restricted()
        self.opts = _options(self.hide_restricted)
        self.storage = _user_storage()
        self.sticky: dict[str, Any] = dict((self.storage or {}).get(STICKY_KEY) or {})
        self._typed: dict[str, str] = {}  # text typed in a combo box but not chosen yet
        self._build()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        draft = (self.storage or {}).get(self.draft_key) or {} if not self.prefill else {}
        with ui.card().classes('w-full gap-3 oh-capture-form').props('flat bordered') as self.card:
            if self.focus_here:
                self.card.classes('oh-capture-here')
            with ui.row().classes('w-full items-center gap-2'):
                ui.label('Capture').classes('text-lg font-semibold')
                ui.space()
                self.mode = ui.toggle(
                    {'output': 'Output', 'conversation': 'Paste a conversation'}, value='output'
                ).props('dense no-caps')
                if self.header is not None:
                    self.header()
            with ui.column().classes('w-full gap-3').bind_visibility_from(self.mode, 'value', value='output'):
                self._output_fields(draft)
            with (
                ui.column()
                .classes('w-full gap-3')
                .bind_visibility_from(self.mode, 'value', value='conversation')
            ):
                self._conversation_fields()

    def _output_fields(self, draft: dict) -> None:
        p = self.prefill
        if p.get('conversation_id'):
            with ui.row().classes('items-center gap-2 text-sm oh-muted'):
                ui.icon('forum')
                ui.label('From conversation:')
                ui.link(
                    p.get('conversation_title') or f'#{p["conversation_id"]}',
                    kind_url('conversation', p['conversation_id']),
                )
        self.prompt = (
            ui.textarea('Prompt (optional)', value=p.get('prompt', draft.get('prompt', '')))
            .props('outlined autogrow input-style="max-height: 30vh"')
            .classes('w-full')
        )
        self.body = (
            ui.textarea('Output (Markdown)', value=p.get('body', draft.get('body', '')))
            .props('outlined autogrow input-style="min-height: 8rem; max-height: 50vh" aria-required=true')
            .classes('w-full oh-capture-body')
            .mark('capture-body')
        )
        self.title = (
            ui.input('Title', value=p.get('title', draft.get('title', '')))
            .props('outlined dense')
            .classes('w-full')
        )
        self.body.on_value_change(self._suggest_title)
        self._suggest_title()
        s = self.sticky
        with ui.row().classes('w-full gap-3 items-start flex-wrap'):
            self.model = _chips_select(
                ui.select(
                    self.opts['models'],
                    label='Model',
                    value=p.get('model')
                    or (s.get('model') if s.get('model') in self.opts['models'] else None),
                    with_input=True,
                    new_value_mode='add-unique',
                    clearable=True,
                )
                .props('outlined dense')
                .classes(FILTER_SELECT)
            )
            self.agent = _chips_select(
                ui.select(
                    self.opts['agents'],
                    label='Agent',
                    value=s.get('agent_id') if s.get('agent_id') in self.opts['agents'] else None,
                    with_input=True,
                    clearable=True,
                )
                .props('outlined dense')
                .classes(FILTER_SELECT)
            )
            self.collection = _chips_select(
                ui.select(
                    self.opts['collections'],
                    label='Collection',
                    value=s.get('collection') if s.get('collection') in self.opts['collections'] else None,
                    with_input=True,
                    new_value_mode='add-unique',
                    clearable=True,
                )
                .props('outlined dense')
                .classes(FILTER_SELECT)
            )
        for name in ('model', 'agent', 'collection'):
            select = getattr(self, name)
            select.on('input-value', lambda e, n=name: self._typed.__setitem__(n, e.args or ''))
            select.on_value_change(lambda _e, n=name: self._typed.pop(n, None))
        known_tags = {t.lower() for t in self.opts['tags']}  # a remembered tag deleted since is not revived
        self.tags = TagInput(
            'Tags', value=[t for t in s.get('tags') or [] if t.lower() in known_tags], known=self.opts['tags']
        )
        more = (
            ui.expansion('More: rating, favourite, category, accuracy, sensitivity, notes, source URL')
            .classes('w-full')
            .props('dense')
        )
        if not self.compact:
            more.props('default-opened')
        with more:
            with ui.row().classes('w-full gap-4 items-center flex-wrap'):
                with ui.row().classes('items-center gap-1'):
                    ui.label('Rating').classes('text-sm oh-muted')
                    self.rating = ui.rating(value=0, max=5).props('size=1.6em')
                self.favourite = ui.checkbox('Favourite')
            with ui.row().classes('w-full gap-3 flex-wrap'):
                self.category = (
                    ui.select(
                        self.opts['categories'],
                        label='Category',
                        with_input=True,
                        new_value_mode='add-unique',
                        clearable=True,
                    )
                    .props('outlined dense')
                    .classes(FILTER_SELECT)
                )
                self.accuracy = (
                    ui.select(self.opts['accuracy'], label='Accuracy', clearable=True)
                    .props('outlined dense')
                    .classes(FILTER_SELECT)
                )
                self.sensitivity = (
                    ui.select(self.opts['sensitivity'], label='Sensitivity', clearable=True)
                    .props('outlined dense')
                    .classes(FILTER_SELECT)
                )
            self.notes = (
                ui.textarea('Notes', value=draft.get('notes', ''))
                .props('outlined autogrow dense')
                .classes('w-full')
            )
            self.source_url = (
                ui.input('Source URL', value=p.get('source_url', draft.get('source_url', '')))
                .props('outlined dense type=url')
                .classes('w-full')
            )
        with ui.row().classes('w-full items-center gap-3'):
            self.save_button = (
                ui.button('Save', icon='bookmark_add', on_click=self.save)
                .props('unelevated')
                .classes('oh-capture-save')
                .mark('save-capture')
            )
            ui.label('Ctrl+Enter').classes('text-xs oh-muted oh-hide-phone oh-kbd-hint')
            ui.space()
            ui.button('Clear', on_click=self.clear_texts).props('flat dense no-caps')
        for field in (self.prompt, self.body, self.title, self.notes, self.source_url):
            field.on('update:model-value', self._save_draft, throttle=1.0, leading_events=False)

    def _conversation_fields(self) -> None:
        self.paste_text = (
            ui.textarea(
                'Paste a conversation copied from ChatGPT or Claude',
                placeholder='You said:\n…\nChatGPT said:\n…',
            )
            .props('outlined autogrow input-style="min-height: 10rem; max-height: 50vh"')
            .classes('w-full')
        )
        self.paste_title = ui.input('Title (optional)').props('outlined dense').classes('w-full')
        self.turns_box = ui.column().classes('w-full gap-2')
        self.turns: list[dict] = []
        with ui.row().classes('w-full gap-2'):
            ui.button('Split into messages', icon='call_split', on_click=self._split).props('outline')
            self.save_conv_button = ui.button(
                'Save conversation', icon='forum', on_click=self.save_conversation
            ).classes('oh-capture-save')
            self.save_conv_button.disable()

    # ------------------------------------------------------------------ behaviour
    def _suggest_title(self, _=None) -> None:
        suggestion = first_line_title(self.body.value or '') if (self.body.value or '').strip() else 'Title'
        self.title.props['placeholder'] = suggestion

    def _save_draft(self, _=None) -> None:
        if self.storage is None or self.prefill:
            return
        self.storage[self.draft_key] = {name: getattr(self, name).value or '' for name in TEXT_FIELDS}

    def clear_texts(self) -> None:
        for name in TEXT_FIELDS:
            getattr(self, name).set_value('')
        self.rating.set_value(0)
        self.favourite.set_value(False)
        if self.storage is not None:
            self.storage.pop(self.draft_key, None)

    def _typed_choice(self, name: str, options: list[str]) -> str | None:
        """A combo box's typed text at save time (Ctrl+Enter before choosing): the option of that name,
        or (for a box that creates) the new name when nothing is chosen yet."""
        typed = (self._typed.get(name) or '').strip()
        if not typed:
            return None
        match = next((o for o in options if o.lower() == typed.lower()), None)
        if match is not None:
            return match
        return typed if name != 'agent' and not getattr(self, name).value else None

    def _commit_typed(self) -> None:
        """Take what is typed but not confirmed: a tag, a model or collection name, an agent's name."""
        self.tags.commit()
        for name, options in (('model', self.opts['models']), ('collection', self.opts['collections'])):
            choice = self._typed_choice(name, options)
            if choice is not None:
                select = getattr(self, name)
                if choice not in select.options:
                    select.set_options([*select.options, choice])
                select.set_value(choice)
        agents = self.opts['agents']
        agent = self._typed_choice('agent', list(agents.values()))
        if agent is not None:
            self.agent.set_value(next(k for k, v in agents.items() if v == agent))
        self._typed.clear()

    def _data(self) -> outputs.CaptureData:
        p = self.prefill
        return outputs.CaptureData(
            body=self.body.value or '',
            title=self.title.value or '',
            prompt='' if p.get('prompt_version_id') else (self.prompt.value or ''),
            prompt_version_id=p.get('prompt_version_id'),
            model=self.model.value or None,
            agent_id=self.agent.value if not p.get('agent_version_id') else None,
            agent_version_id=p.get('agent_version_id'),
            tags=list(self.tags.value),
            collections=[self.collection.value] if self.collection.value else [],
            category=self.category.value or None,
            rating=int(self.rating.value) if self.rating.value else None,
            accuracy_id=self.accuracy.value,
            sensitivity_id=self.sensitivity.value,
            favourite=bool(self.favourite.value),
            notes=self.notes.value or '',
            source_url=self.source_url.value or '',
            source_kind='chat' if p.get('message_id') else 'manual',
            conversation_id=p.get('conversation_id'),
            message_id=p.get('message_id'),
            input_tokens=p.get('input_tokens'),
            output_tokens=p.get('output_tokens'),
            cost=p.get('cost'),
        )

    async def save(self) -> None:
        self._commit_typed()
        data = self._data()
        if not data.body.strip():
            toast.error('There is nothing to capture yet: paste or type the output first.')
            return
        duplicates = await run.io_bound(outputs.find_duplicates, data.body)
        if duplicates:
            choice = await self._ask_duplicate(duplicates[0])
            if choice == 'open':
                ui.navigate.to(kind_url('output', duplicates[0].id))
                return
            if choice == 'link':
                await self._add_to_existing(duplicates[0], data)
                return
            if choice != 'copy':
                return
        self.save_button.props('loading')
        try:
            out = await run.io_bound(outputs.capture_output, data)
        except UserError as exc:
            toast.error(str(exc))
            return
        finally:
            self.save_button.props(remove='loading')
        self._remember_sticky()
        self.clear_texts()
        library_events.emit('output', [out.id])
        if self.on_saved is not None:
            self.on_saved(out)

        async def undo() -> None:
            await run.io_bound(outputs.discard_capture, out.id)
            library_events.emit('output', [out.id], 'deleted')
            ui.notify('Capture undone', type='info')

        toast.toast(f'Captured “{out.title}”', [('Open', kind_url('output', out.id)), ('Undo', undo)])
        if self.on_saved is None:
            self.body.run_method('focus')
        self.opts = await run.io_bound(_options, self.hide_restricted)
        self.tags.set_known(self.opts['tags'])
        self.model.set_options(self.opts['models'], value=self.model.value)
        self.collection.set_options(self.opts['collections'], value=self.collection.value)

    def _remember_sticky(self) -> None:
        if self.storage is None:
            return
        self.storage[STICKY_KEY] = {
            'model': self.model.value or None,
            'agent_id': self.agent.value,
            'tags': list(self.tags.value),
            'collection': self.collection.value or None,
        }

    async def _ask_duplicate(self, existing) -> str | None:
        with ui.dialog() as dialog, ui.card().classes('max-w-md'):
            ui.label('Already in your library').classes('text-lg font-semibold')
            ui.label(f'The same output text is stored as “{existing.title}”.')
            with ui.column().classes('w-full gap-1'):
                ui.button('Open it', icon='open_in_new', on_click=lambda: dialog.submit('open')).props(
                    'flat no-caps'
                )
                ui.button(
                    'Add these tags and collection to it', icon='link', on_click=lambda: dialog.submit('link')
                ).props('flat no-caps')
                ui.button(
                    'Save a second copy anyway', icon='content_copy', on_click=lambda: dialog.submit('copy')
                ).props('flat no-caps')
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
        result = await dialogs.answer(dialog)
        return result

    async def _add_to_existing(self, existing, data: outputs.CaptureData) -> None:
        def apply() -> None:
            tag_ids = [lookups.get_or_create('tag', t).id for t in data.tags]
            if tag_ids:
                relations.add_tags('output', [existing.id], tag_ids)
            for name in data.collections:
                relations.add_to_collection(
                    'output', [existing.id], lookups.get_or_create('collection', name).id
                )

        try:
            await run.io_bound(apply)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.clear_texts()
        toast.toast(f'Updated “{existing.title}”', [('Open', kind_url('output', existing.id))])

    # ------------------------------------------------------------------ paste a conversation
    def _split(self) -> None:
        turns = paste.split_conversation(self.paste_text.value or '')
        self.turns = [{'role': t.role, 'content': t.content} for t in turns]
        self._render_turns()

    def _render_turns(self) -> None:
        self.turns_box.clear()
        with self.turns_box:
            if not self.turns:
                ui.label('No messages found in that text.').classes('oh-muted text-sm')
            for i, turn in enumerate(self.turns):
                with ui.card().classes('w-full gap-1').props('flat bordered'):
                    with ui.row().classes('w-full items-center gap-2'):
                        ui.toggle({'user': 'User', 'assistant': 'Assistant'}, value=turn['role']).props(
                            'dense no-caps size=sm'
                        ).on_value_change(lambda e, t=turn: t.__setitem__('role', e.value))
                        ui.space()
                        ui.button(icon='delete', on_click=lambda _=None, idx=i: self._drop_turn(idx)).props(
                            'flat round dense size=sm aria-label="Remove message"'
                        )
                    ui.textarea(value=turn['content']).props('outlined autogrow dense').classes(
                        'w-full'
                    ).on_value_change(lambda e, t=turn: t.__setitem__('content', e.value))
        if self.turns:
            self.save_conv_button.enable()
        else:
            self.save_conv_button.disable()

    def _drop_turn(self, index: int) -> None:
        del self.turns[index]
        self._render_turns()

    async def save_conversation(self) -> None:
        self._commit_typed()
        turns = [(t['role'], t['content']) for t in self.turns]
        try:
            conv = await run.io_bound(
                conversations.create_from_turns,
                self.paste_title.value or '',
                turns,
                model=self.model.value or None,
                tags=list(self.tags.value),
                collections=[self.collection.value] if self.collection.value else [],
            )
        except UserError as exc:
            toast.error(str(exc))
            return
        library_events.emit('conversation', [conv.id])
        self.turns = []
        self._render_turns()
        self.paste_text.set_value('')
        self.paste_title.set_value('')
        toast.toast(f'Saved conversation “{conv.title}”', [('Open', kind_url('conversation', conv.id))])
