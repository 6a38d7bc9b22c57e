"""Asking through a dialog: wait for the answer, then remove the dialog — once."""

from __future__ import annotations

from typing import Any

from nicegui import ui


async def answer(dialog: ui.dialog) -> Any:
    """The value the dialog was submitted with (None when dismissed). A tab closed meanwhile has already
    deleted the dialog with its page and resolved it to None; deleting it again raised
    ``list.remove(x): x not in list`` in the log."""
    result = await dialog
    if not dialog.is_deleted:
        dialog.delete()
    return result
