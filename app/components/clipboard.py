"""Copy text to the clipboard, the one way the app does it. ``window.ohCopy`` (assets/app.js) uses the
Clipboard API and falls back to a hidden textarea on plain http (a phone on the LAN).

The text reaches the browser as one JSON string literal — the encoding NiceGUI's own ``run_method`` uses
for its arguments — so it is data, never code: no quote, backslash, ``</script>`` or line separator in it
can end the literal."""

from __future__ import annotations

import json

from nicegui import ui


def copy(text: str, message: str = 'Copied') -> None:
    """Put ``text`` on the clipboard and say ``message``."""
    ui.run_javascript(f'window.ohCopy({json.dumps(text, ensure_ascii=True)})')
    ui.notify(message, type='positive', timeout=1500)
