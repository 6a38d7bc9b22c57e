"""The fill-in form of a prompt template: one field per ``{{variable}}``, a live preview, copy to the
clipboard (the everyday use: paste into ChatGPT) and, when a chat page exists, send to the chat."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from ..data import versioning
from ..errors import UserError
from . import clipboard, toast


def copy_text(text: str, message: str = 'Copied') -> None:
    """Put ``text`` on the clipboard (see ``clipboard.copy``)."""
    clipboard.copy(text, message)


class TemplateForm:
    """Fields for the variables of ``body``; ``on_used`` is told when the filled text is copied or sent
    (a use of the prompt); ``on_send(text)`` is offered as "Send to chat" when given."""

    def __init__(
        self,
        body: str,
        *,
        on_used: Callable[[], object] | None = None,
        on_send: Callable[[str], object] | None = None,
    ) -> None:
        self.body = body
        self.on_used = on_used
        self.on_send = on_send
        self.inputs: dict[str, ui.input] = {}
        problem = versioning.template_problem(body)
        with ui.column().classes('w-full gap-2') as self.container:
            if problem:
                with ui.row().classes('items-start gap-2 no-wrap text-sm'):
                    ui.icon('warning', color='warning').classes('text-lg')
                    ui.label(f'The variables form is unavailable. {problem}').mark('template-problem')
                self.variables: list[versioning.TemplateVariable] = []
                return
            self.variables = versioning.template_variables(body)
            if not self.variables:
                ui.label('This prompt has no {{variables}}: copy it as it is.').classes('text-sm oh-muted')
            with ui.grid().classes('w-full gap-2 grid-cols-1 sm:grid-cols-2'):
                for var in self.variables:
                    field = (
                        ui.input(var.name, placeholder=var.default or '')
                        .props('dense outlined clearable')
                        .classes('w-full')
                        .mark(f'var-{var.name}')
                    )
                    # set as a value, not in a props string: a default is user text (quotes, spaces)
                    field.props['hint'] = (
                        'required'
                        if var.required
                        else f'default: {var.default}'
                        if var.default
                        else 'may stay empty'
                    )
                    field.on_value_change(self._update_preview)
                    self.inputs[var.name] = field
            if self.variables:
                ui.label('Preview').classes('text-xs font-medium oh-muted')
                self.preview = (
                    ui.label('')
                    .classes(
                        'w-full text-sm font-mono p-3 rounded border border-slate-200 dark:border-slate-700 '
                        'max-h-80 overflow-auto'
                    )
                    .style('white-space: pre-wrap; overflow-wrap: anywhere')
                    .mark('filled-preview')
                )
                self._update_preview()
            with ui.row().classes('gap-2'):
                ui.button('Copy filled text', icon='content_copy', on_click=self.copy).props(
                    'unelevated no-caps'
                ).mark('copy-filled')
                if on_send is not None:
                    ui.button('Send to chat', icon='send', on_click=self.send).props('outline no-caps').mark(
                        'send-to-chat'
                    )

    def values(self) -> dict[str, str]:
        return {name: (field.value or '') for name, field in self.inputs.items()}

    def _update_preview(self, *_: object) -> None:
        try:
            self.preview.set_text(versioning.fill_template(self.body, self.values(), strict=False))
        except UserError as exc:  # cannot happen after the check above; never show a traceback anyway
            self.preview.set_text(str(exc))

    def filled(self) -> str | None:
        """The filled text, or None (with a message) when a required field is empty."""
        try:
            return versioning.fill_template(self.body, self.values())
        except UserError as exc:
            toast.error(str(exc))
            return None

    def _used(self) -> None:
        if self.on_used is not None:
            try:
                self.on_used()
            except UserError as exc:
                toast.error(str(exc))

    def copy(self) -> None:
        text = self.filled()
        if text is not None:
            copy_text(text, 'Filled prompt copied')
            self._used()

    def send(self) -> None:
        text = self.filled()
        if text is not None and self.on_send is not None:
            self._used()
            self.on_send(text)
