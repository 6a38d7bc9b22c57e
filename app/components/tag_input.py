"""Tag entry for a form that is not saved yet (the capture form): chips plus a plain text box.

Enter adds exactly what was typed (an existing tag of that name, any case, or a new one) and never
removes a chip; Backspace in the empty box removes the last chip; a tag typed but not confirmed
(a phone has no Enter: the box loses focus, or the form is saved) is added too. Quasar's q-select
with use-chips toggled the highlighted option on Enter, so `post` + Enter with `postgres` chosen
removed `postgres`.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

MAX_SUGGESTIONS = 6


def split_tags(text: str) -> list[str]:
    """``'a, b'`` -> ``['a', 'b']``: commas separate tags, surrounding spaces go."""
    return [part.strip() for part in (text or '').split(',') if part.strip()]


class TagInput:
    """``value``: the chosen tag names; ``known``: existing tags, offered as suggestions and used for
    their spelling (typing ``Postgres`` picks an existing ``postgres``)."""

    def __init__(
        self,
        label: str,
        *,
        value: list[str] | None = None,
        known: list[str] | None = None,
        on_change: Callable[[list[str]], object] | None = None,
    ) -> None:
        self.label = label
        self.value: list[str] = []
        self.known: list[str] = list(known or [])
        self.on_change = on_change
        with ui.column().classes('w-full gap-1 oh-tag-input') as self.container:
            with ui.row().classes(
                'w-full items-center gap-1 flex-wrap rounded border border-slate-300 dark:border-slate-600 '
                'px-2 py-1 min-h-[2.5rem]'
            ):
                ui.label(label).classes('text-sm oh-muted mr-1')
                self.chips = ui.row().classes('items-center gap-1 flex-wrap')
                self.box = (
                    ui.input(placeholder='Add a tag', autocomplete=self.known)
                    .props('dense borderless')
                    .classes('grow min-w-[8rem]')
                    .mark('tag-input')
                )
                self.box.props['aria-label'] = label
            self.suggestions = ui.row().classes('items-center gap-1 flex-wrap')
        # Enter: the box is cleared in the browser at that moment, so letters typed right after Enter
        # (before the server answers) stay in the box instead of being wiped by a late clear.
        self.box.on(
            'keydown.enter',
            self._on_enter,
            js_handler="""(e) => {
              if (e.ctrlKey || e.metaKey || e.isComposing) return;
              e.preventDefault();
              const text = e.target.value;
              e.target.value = '';
              e.target.dispatchEvent(new Event('input', { bubbles: true }));
              emit(text);
            }""",
        )
        self.box.on(
            'keydown.backspace',
            self._on_backspace,
            js_handler='(e) => { if (!e.target.value && !e.repeat) emit(); }',
        )
        self.box.on('blur', lambda: self.commit())
        self.box.on_value_change(lambda e: self._suggest(e.value))
        self.set_value(value or [])

    # ------------------------------------------------------------------ value
    def set_value(self, names: list[str]) -> None:
        self.value = []
        for name in names:
            self._add(name, notify=False)
        self._render()

    def set_known(self, names: list[str]) -> None:
        self.known = list(names)
        self.box.set_autocomplete(self.known)

    def commit(self) -> list[str]:
        """Add what is typed in the box but not confirmed yet; return the tags."""
        typed = self.box.value or ''
        if typed.strip():
            self.box.set_value('')
            self.add(typed)
        return list(self.value)

    def add(self, text: str) -> None:
        changed = False
        for name in split_tags(text):
            changed = self._add(name) or changed
        if changed:
            self._render()
            self._changed()

    def remove(self, name: str) -> None:
        if name in self.value:
            self.value.remove(name)
            self._render()
            self._changed()

    def _add(self, name: str, notify: bool = True) -> bool:
        name = name.strip()[:100]
        if not name:
            return False
        lower = name.lower()
        if any(v.lower() == lower for v in self.value):
            return False  # already chosen: Enter never toggles a chip off
        name = next((k for k in self.known if k.lower() == lower), name)
        self.value.append(name)
        return True

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(list(self.value))

    # ------------------------------------------------------------------ events
    def _on_enter(self, e) -> None:
        if isinstance(e.args, str):  # the browser sent what was typed and has already emptied the box
            self.add(e.args)
        else:
            self.commit()

    def _on_backspace(self) -> None:
        if self.value and not (self.box.value or ''):
            self.remove(self.value[-1])

    # ------------------------------------------------------------------ drawing
    def _render(self) -> None:
        self.chips.clear()
        with self.chips:
            for name in self.value:
                chip = ui.chip(name, removable=True).props('dense outline color=primary')
                chip.props['aria-label'] = f'tag {name}'
                chip.on('remove', lambda _=None, n=name: self.remove(n))
        self._suggest(self.box.value or '')

    def _suggest(self, text: str | None) -> None:
        text = (text or '').strip().lower()
        self.suggestions.clear()
        if not text:
            return
        chosen = {v.lower() for v in self.value}
        candidates = [k for k in self.known if k.lower() not in chosen]
        found = [k for k in candidates if k.lower().startswith(text)]
        found += [k for k in candidates if text in k.lower() and k not in found]
        with self.suggestions:
            for name in found[:MAX_SUGGESTIONS]:
                button = (
                    ui.button(name, icon='add', on_click=lambda _=None, n=name: self._pick(n))
                    .props('flat dense no-caps size=sm')
                    .classes('oh-tag-suggestion')
                )
                # picked without taking the focus from the box (no blur, so no half-typed tag added)
                button.on('mousedown', js_handler='(e) => e.preventDefault()')

    def _pick(self, name: str) -> None:
        self.box.set_value('')
        self.add(name)
        self.box.run_method('focus')
