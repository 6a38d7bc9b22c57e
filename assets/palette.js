// The search palette (components/palette.py): opened without a round trip, so the keys typed right
// after Ctrl/⌘+K land in its box; ↑/↓ move the highlighted row, Enter opens it (the rows are links),
// Esc closes. The header's search box is a field that opens it.
(function () {
  'use strict';
  const OPEN = 'oh-palette-open';
  let returnFocus = null;

  function root() { return document.querySelector('.oh-palette'); }
  function box() { const r = root(); return r && r.querySelector('.oh-palette-input input'); }
  function isOpen() { return document.documentElement.classList.contains(OPEN); }
  function headerBox(el) { return el && el.closest && el.closest('.oh-search'); }
  function items() { const r = root(); return r ? Array.from(r.querySelectorAll('.oh-palette-item')) : []; }

  function setInert(on) {
    document.querySelectorAll('.q-header, .q-drawer-container, .q-page-container, .q-footer').forEach(
      function (el) { if (on) el.setAttribute('inert', ''); else el.removeAttribute('inert'); });
  }

  function activate(list, index) {
    list.forEach(function (el, i) {
      el.classList.toggle('oh-active', i === index);
      el.setAttribute('aria-selected', i === index ? 'true' : 'false');
    });
    if (list[index]) list[index].scrollIntoView({ block: 'nearest' });
  }

  // The first row is highlighted whenever new results arrive (Enter opens the best match).
  function resetActive() {
    const list = items();
    if (list.length) activate(list, 0);
  }

  function open() {
    const r = root();
    const input = box();
    if (!r || !input) return false;
    if (!isOpen()) {
      const active = document.activeElement;
      returnFocus = headerBox(active) ? null : active; // the header box would open it again
      if (headerBox(active)) active.blur();
      document.documentElement.classList.add(OPEN);
      setInert(true);
      if (window.ohQuickCapture && window.ohQuickCapture.isOpen()) window.ohQuickCapture.close();
    }
    input.focus({ preventScroll: true });
    input.select(); // typing replaces the last query; its results stay until then
    resetActive();
    return true;
  }

  function close() {
    if (!isOpen()) return;
    document.documentElement.classList.remove(OPEN);
    setInert(false);
    const input = box();
    if (input) input.blur();
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus({ preventScroll: true });
    returnFocus = null;
  }

  window.ohPalette = { open: open, close: close, isOpen: isOpen };

  document.addEventListener('keydown', function (event) {
    const key = (event.key || '').toLowerCase();
    const mod = event.ctrlKey || event.metaKey;
    // Ctrl/⌘+K anywhere, typing in a field or not (capture phase: before a field's own handling).
    if (key === 'k' && mod && !event.altKey && !event.shiftKey) {
      if (!root()) return;
      event.preventDefault();
      event.stopPropagation();
      if (isOpen()) close(); else open();
      return;
    }
    if (!isOpen()) {
      // Typing in the header's box goes to the palette (the box only opens it).
      if (headerBox(event.target) && !mod && !event.altKey && (key.length === 1 || key === 'enter' || key === 'arrowdown')) {
        event.preventDefault();
        event.stopPropagation();
        if (open() && key.length === 1) insert(box(), event.key);
      }
      return;
    }
    if (event.isComposing) return;
    if (key === 'escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (key === 'arrowdown' || key === 'arrowup') {
      const list = items();
      if (!list.length) return;
      event.preventDefault();
      let index = list.findIndex(function (el) { return el.classList.contains('oh-active'); });
      index = key === 'arrowdown' ? Math.min(list.length - 1, index + 1) : Math.max(0, index - 1);
      activate(list, index);
    } else if (key === 'enter' && event.target === box()) {
      event.preventDefault();
      event.stopPropagation();
      const list = items();
      const chosen = list.find(function (el) { return el.classList.contains('oh-active'); }) || list[0];
      if (chosen) chosen.click();
    }
  }, true);

  function insert(input, text) {
    if (!input) return;
    input.setRangeText(text, input.selectionStart, input.selectionEnd, 'end');
    input.dispatchEvent(new Event('input', { bubbles: true })); // Vue's model, hence the server, follows
  }

  // A tap or click in the header's box, "/" (it focuses that box) or a paste into it: the palette.
  document.addEventListener('focusin', function (event) {
    if (headerBox(event.target) && event.target.tagName === 'INPUT' && !isOpen()) open();
  });
  document.addEventListener('paste', function (event) {
    if (!headerBox(event.target) || isOpen()) return;
    const text = event.clipboardData && event.clipboardData.getData('text');
    event.preventDefault();
    if (open() && text) insert(box(), text);
  }, true);

  document.addEventListener('click', function (event) {
    const r = root();
    if (!r || !isOpen()) return;
    if (event.target.classList && event.target.classList.contains('oh-palette-backdrop')) { close(); return; }
    const item = event.target.closest && event.target.closest('.oh-palette-item');
    if (item && r.contains(item)) close(); // the link itself navigates (in the shell: without a reload)
  }, true);

  document.addEventListener('mousemove', function (event) {
    const item = isOpen() && event.target.closest && event.target.closest('.oh-palette-item');
    if (!item || item.classList.contains('oh-active')) return;
    const list = items();
    activate(list, list.indexOf(item));
  });

  // New results by words: highlight their first row (rows by meaning arriving later leave it).
  function watch() {
    const r = root();
    if (!r) { setTimeout(watch, 300); return; }
    new MutationObserver(function () { if (isOpen()) resetActive(); }).observe(
      r.querySelector('.oh-palette-kw') || r, { childList: true, subtree: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch); else watch();
})();
