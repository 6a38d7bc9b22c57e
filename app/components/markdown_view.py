"""The one Markdown renderer for outputs and messages. LLM output is untrusted HTML: raw HTML is escaped
on the server, remote images become links (a prompt-injected image URL could leak data), links open in
a new tab without a referrer, and the browser-side sanitizer stays on as a second wall."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urlparse

import markdown2
from nicegui import ui

EXTRAS = [
    'fenced-code-blocks',
    'tables',
    'strike',
    'task_list',
    'cuddled-lists',
    'code-friendly',
    'footnotes',
]

_IMG = re.compile(r'<img\s+src="([^"]*)"\s+alt="([^"]*)"(?:\s+title="[^"]*")?\s*/?>')
_LINK = re.compile(r'<a href="([^"]*)"')
_SAFE_DATA_IMAGE = re.compile(r'^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$')
MAX_RENDER_CHARS = 400_000


def _image_to_link(match: re.Match) -> str:
    src, alt = html.unescape(match.group(1)), html.unescape(match.group(2))
    if _SAFE_DATA_IMAGE.match(src):  # inline data: nothing is fetched from anywhere
        return match.group(0)
    host = urlparse(src).netloc or 'link'
    label = html.escape(f'🖼 {alt or "image"} ({host})')
    if urlparse(src).scheme not in ('http', 'https'):
        return f'<span class="oh-remote-image">{label}</span>'
    return (
        f'<a class="oh-remote-image" href="{html.escape(src)}" target="_blank" rel="noopener noreferrer nofollow" '
        f'title="Remote image, not loaded automatically. Open it in a new tab.">{label}</a>'
    )


def _link_attrs(match: re.Match) -> str:
    href = html.unescape(match.group(1))
    scheme = urlparse(href).scheme
    if scheme in ('http', 'https', 'mailto'):
        return f'<a href="{html.escape(href)}" target="_blank" rel="noopener noreferrer nofollow"'
    if href.startswith(('#', '/')) and not href.startswith('//'):
        return f'<a href="{html.escape(href)}"'
    return '<a href="#"'


@lru_cache(maxsize=512)
def render_markdown(text: str) -> str:
    """Markdown -> HTML that is safe to show: no raw HTML, no remote fetches, no script URLs."""
    if len(text) > MAX_RENDER_CHARS:
        # Beyond this, show it as plain preformatted text: rendering would stall the page.
        return f'<pre class="whitespace-pre-wrap">{html.escape(text)}</pre>'
    rendered = markdown2.markdown(text or '', extras=EXTRAS, safe_mode='escape')
    rendered = _IMG.sub(_image_to_link, rendered)
    return _LINK.sub(_link_attrs, rendered)


def markdown_view(text: str, *, classes: str = '') -> ui.html:
    """Show Markdown with comfortable reading width, highlighted code (with copy buttons) and scrolling tables."""
    return ui.html(render_markdown(text or ''), sanitize=True).classes(f'oh-md {classes}'.strip())
