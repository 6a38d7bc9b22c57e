"""Quick capture from anywhere: the capture form as a dialog over the current page (``c``, the header
``+``, Ctrl/⌘+Shift+V to open it and paste), built once per tab by ``install(ctx)``.

The dialog is a plain overlay element, not a q-dialog: Quasar mounts a q-dialog's content only while it
is shown, so the Output field would not exist at the moment Ctrl+Shift+V is pressed and the browser's
own paste would land nowhere. The overlay stays in the page (hidden), app.js shows it and puts the
cursor in Output in the same keystroke. It is built when the browser is idle after the page loads (or
at the first open), so it never slows a page's first paint, and it comes after the page in the document.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import Client, ui

from ..context import AppContext
from . import toast
from .capture_form import CaptureForm
from .per_tab import PerTab

DRAFT_KEY = 'quick_capture_draft'

_CSS = """
.oh-qc { position: fixed; inset: 0; z-index: 5000; display: none; align-items: flex-start;
  justify-content: center; padding: 6vh 2vw 2vh; }
html.oh-qc-is-open .oh-qc { display: flex; }
html.oh-qc-is-open { overflow: hidden; }
.oh-qc-backdrop { position: absolute; inset: 0; background: rgba(15, 23, 42, 0.45); }
.oh-qc-card { position: relative; width: min(96vw, 46rem); max-height: 90vh; overflow-y: auto; }
.oh-qc .oh-capture-form { border: none; box-shadow: none; padding: 0; }
@media (max-width: 599px) {
  .oh-qc { padding: 0; }
  .oh-qc-card { width: 100vw; max-height: none; height: 100dvh; border-radius: 0; }
}
"""

# weak: a closed tab's dialog goes with its client
_installed: PerTab[QuickCapture] = PerTab(lambda quick: not quick.stub.is_deleted)


class QuickCapture:
    """The overlay of one tab. ``open()`` shows it (from Python: the header ``+``)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.form: CaptureForm | None = None
        self.root: ui.element | None = None
        ui.add_css(_CSS)
        # app.js: this tab has the dialog (before its overlay is built, `c` opens it as soon as it is)
        self.stub = ui.element('span').classes('oh-qc-stub hidden')
        ui.on('oh-qc-build', self.build)
        toast.host()  # made now, so the first "Captured" does not redraw the whole page

    def build(self) -> None:
        """Build the overlay and its form (once): when the browser is idle after load, or at the first open.
        It goes at the end of the page, after the page's own fields (a page's capture form comes first)."""
        if self.form is not None or self.stub.is_deleted:
            return
        with self.stub.client.layout:
            with ui.element('div').classes('oh-qc').mark('quick-capture') as self.root:
                self.root.props['role'] = 'dialog'
                self.root.props['aria-modal'] = 'true'
                self.root.props['aria-label'] = 'Quick capture'
                ui.element('div').classes('oh-qc-backdrop')
                with ui.card().classes('oh-qc-card gap-2'):
                    self.form = CaptureForm(
                        compact=True,
                        on_saved=lambda _out: self.close(),
                        draft_key=DRAFT_KEY,
                        header=self._header,
                    )

    def _header(self) -> None:
        ui.label('Esc').classes('text-xs oh-muted font-mono oh-kbd-hint')
        close = ui.button(icon='close').props('flat round dense').classes('oh-qc-close')
        close.props['aria-label'] = 'Close'
        close.on('click', js_handler='() => window.ohQuickCapture && window.ohQuickCapture.close()')

    def open(self) -> None:
        self.build()
        ui.run_javascript('window.ohQuickCapture && window.ohQuickCapture.open()')

    def close(self) -> None:
        ui.run_javascript('window.ohQuickCapture && window.ohQuickCapture.close()')


def install(ctx: AppContext) -> Callable[[], None]:
    """Add the quick-capture dialog to this tab (once; a second call returns the same) and return the
    function that opens it."""
    return _installed.install(lambda: QuickCapture(ctx)).open


def get(client: Client | None = None) -> QuickCapture | None:
    """This tab's quick-capture dialog, if installed."""
    return _installed.get(client)
