// Output Hub client helpers: keyboard shortcuts, copy buttons on code blocks, clipboard fallback.
(function () {
  'use strict';

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on the LAN has no async clipboard: fall back to a hidden textarea.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    try { document.execCommand('copy'); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }
  window.ohCopy = copyText;

  function addCopyButtons(root) {
    (root.querySelectorAll ? root : document).querySelectorAll('.oh-md pre').forEach(function (pre) {
      if (pre.querySelector(':scope > .oh-copy')) return;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'oh-copy';
      button.textContent = 'Copy';
      button.setAttribute('aria-label', 'Copy code');
      pre.appendChild(button);
    });
  }

  document.addEventListener('click', function (event) {
    const button = event.target.closest && event.target.closest('.oh-copy');
    if (!button) return;
    const pre = button.parentElement;
    const code = pre.querySelector('code') || pre;
    copyText(code.innerText.replace(/\nCopy$/, '')).then(function () {
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = 'Copy'; }, 1200);
    });
  });

  // The drawer marks the page on screen: the entry whose path is the longest start of the address
  // (/outputs/12 marks Outputs, /tags/3 Tags; Home only on / itself). Set on load, on every switch inside
  // the shell (pushState/replaceState below), on Back/Forward, and when the drawer is (re)built.
  function markCurrentNav() {
    const path = window.location.pathname;
    const links = document.querySelectorAll('.oh-drawer a.oh-nav-item');
    let best = null;
    links.forEach(function (link) {
      const href = link.getAttribute('href') || '';
      const hit = href === '/' ? path === '/' : (path === href || path.startsWith(href + '/'));
      if (hit && (!best || href.length > best.getAttribute('href').length)) best = link;
    });
    links.forEach(function (link) {
      const current = link === best;
      link.classList.toggle('oh-nav-current', current);
      if (current) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    });
  }
  window.addEventListener('popstate', function () { setTimeout(markCurrentNav, 0); });

  new MutationObserver(function (mutations) {
    let copy = false, nav = false;
    for (const m of mutations) {
      for (const node of m.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (!copy && (node.matches('.oh-md, .oh-md *') || node.querySelector('.oh-md'))) copy = true;
        if (!nav && (node.matches('.oh-nav-item, .oh-drawer, .oh-drawer *') || node.querySelector('.oh-nav-item'))) nav = true;
      }
    }
    if (copy) addCopyButtons(document);
    if (nav) markCurrentNav();
  }).observe(document.documentElement, { childList: true, subtree: true });

  // List rows are plain HTML: a row's button names its page-wide event and its item (components/row_actions.py).
  document.addEventListener('click', function (event) {
    const button = event.target.closest && event.target.closest('[data-oh-row-event]');
    if (!button || button.disabled || typeof emitEvent !== 'function') return;
    event.preventDefault();
    const done = button.dataset.ohRowDone;
    if (done) {
      button.disabled = true;
      const label = button.querySelector('.oh-row-label');
      if (label) label.textContent = done;
    }
    emitEvent(button.dataset.ohRowEvent, Number(button.dataset.ohRowId));
  });

  // Keyboard: "/" search, "c" capture, "g o|c|p|a|h|t" go to, "?" help. Ignored while typing.
  let pendingG = 0;
  function typing(target) {
    const tag = (target.tagName || '').toLowerCase();
    return tag === 'input' || tag === 'textarea' || tag === 'select' || target.isContentEditable;
  }
  // Inside the shell a page switches without reloading the tab (what a click on an in-app link does).
  function ohGo(path) {
    if (typeof emitEvent === 'function' && document.querySelector('.nicegui-sub-pages')) {
      emitEvent('sub_pages_navigate', path);
    } else {
      window.location.href = path;
    }
  }
  window.ohGo = ohGo;
  // A page that changes the address in place (another version of a prompt, a filter box) tells the shell,
  // so that Back, or a link to the address it left, shows that page again instead of doing nothing.
  // The shell's own switches carry {page: ...} and are not reported.
  ['pushState', 'replaceState'].forEach(function (name) {
    const original = history[name];
    history[name] = function (state) {
      const result = original.apply(this, arguments);
      markCurrentNav();
      if (!(state && state.page) && typeof emitEvent === 'function' && document.querySelector('.nicegui-sub-pages')) {
        emitEvent('oh-address', window.location.pathname + window.location.search);
      }
      return result;
    };
  });
  const GO = { o: '/outputs', c: '/conversations', p: '/prompts', a: '/agents', h: '/', t: '/tags', s: '/search' };
  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector('.q-dialog') || document.documentElement.classList.contains('oh-qc-is-open')) return;
    const key = event.key;
    if (pendingG && Date.now() - pendingG < 1200) {
      pendingG = 0;
      if (GO[key]) { event.preventDefault(); ohGo(GO[key]); }
      return;
    }
    if (key === 'g') { pendingG = Date.now(); return; }
    if (key === '/') {
      const box = document.querySelector('.oh-search input');
      event.preventDefault();
      if (box) { box.focus(); box.select(); } else { window.location.href = '/search'; }
    } else if (key === 'c') {
      event.preventDefault();
      // the quick-capture dialog over this page (its form on /capture itself); the page without one
      if (!(window.ohQuickCapture && window.ohQuickCapture.open())) window.location.href = '/capture';
    } else if (key === '?') {
      event.preventDefault();
      if (typeof emitEvent === 'function') emitEvent('oh-shortcuts');
    }
  });
})();

// Search results: arrow keys move between results, Enter opens (links do that natively).
document.addEventListener('keydown', function (event) {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  const results = Array.from(document.querySelectorAll('#oh-results a.oh-result'));
  if (!results.length) return;
  const box = document.querySelector('[aria-label="Search query"]');
  const index = results.indexOf(document.activeElement);
  if (index === -1 && document.activeElement !== box && !(box && box.contains(document.activeElement))) return;
  event.preventDefault();
  const next = event.key === 'ArrowDown' ? Math.min(results.length - 1, index + 1) : index - 1;
  if (next < 0) { if (box) box.focus(); return; }
  results[next].focus();
});


// Quick capture (components/quick_capture.py): the dialog over the current page, opened without a
// round trip so the cursor is in Output at once; Ctrl/⌘+Enter saves a capture form from any field.
(function () {
  'use strict';
  const OPEN = 'oh-qc-is-open';
  let returnFocus = null;
  let clipboardReadable = false; // only then is the clipboard read; otherwise the browser pastes itself
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({ name: 'clipboard-read' }).then(function (status) {
      clipboardReadable = status.state === 'granted';
      status.onchange = function () { clipboardReadable = status.state === 'granted'; };
    }).catch(function () {});
  }
  function overlay() { return document.querySelector('.oh-qc'); }
  function isOpen() { return document.documentElement.classList.contains(OPEN); }
  function outputField(root) { return root && root.querySelector('.oh-capture-body textarea'); }
  function focusEnd(area) {
    area.focus({ preventScroll: true });
    const end = area.value.length;
    try { area.setSelectionRange(end, end); } catch (e) { /* not a text field */ }
  }
  function setInert(on) {
    document.querySelectorAll('.q-header, .q-drawer-container, .q-page-container, .q-footer').forEach(
      function (el) { if (on) el.setAttribute('inert', ''); else el.removeAttribute('inert'); });
  }
  function installed() { return !!(overlay() || document.querySelector('.oh-qc-stub')); }
  function whenBuilt(then) {
    // the dialog is built on the server when the browser is idle after load; at worst it is on its way
    const started = Date.now();
    (function wait() {
      const area = outputField(overlay());
      if (area) { then(area); return; }
      if (Date.now() - started < 10000 && isOpen()) requestAnimationFrame(wait);
    })();
  }
  function open() {
    const here = document.querySelector('.oh-capture-here .oh-capture-body textarea');
    if (here && !isOpen()) { focusEnd(here); return true; } // /capture: its own form, no dialog over it
    if (!installed()) return false;
    const root = overlay();
    if (!isOpen()) {
      returnFocus = document.activeElement;
      document.documentElement.classList.add(OPEN);
      setInert(true);
    }
    const area = outputField(root);
    if (area) focusEnd(area);
    else { build(); whenBuilt(focusEnd); }
    return true;
  }
  function close() {
    if (!isOpen()) return;
    // a combo box whose menu is open keeps it open (in a portal, over the page) and takes the focus back
    // when the dialog opens again, so the next paste would land in it: blurring it closes the menu
    const active = document.activeElement;
    const root = overlay();
    if (active && root && root.contains(active) && typeof active.blur === 'function') active.blur();
    document.documentElement.classList.remove(OPEN);
    setInert(false);
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus({ preventScroll: true });
    returnFocus = null;
  }
  function build() {
    if (installed() && !overlay() && typeof emitEvent === 'function' && window.did_handshake) {
      emitEvent('oh-qc-build');
    }
  }
  function insertText(area, text) {
    const start = area.selectionStart, end = area.selectionEnd;
    area.setRangeText(text, start, end, 'end');
    area.dispatchEvent(new Event('input', { bubbles: true })); // Vue's model, hence the server, follows
  }
  window.ohQuickCapture = { open: open, close: close, isOpen: isOpen };

  document.addEventListener('keydown', function (event) {
    const key = (event.key || '').toLowerCase();
    const mod = event.ctrlKey || event.metaKey;
    // Ctrl/⌘+Enter in any field of a capture form (combo boxes and the tag box too): its save button.
    // Capture phase, so a combo box's own Enter handling (pick the highlighted option) never runs.
    if (key === 'enter' && mod && !event.altKey) {
      const form = event.target.closest && event.target.closest('.oh-capture-form');
      if (!form) return;
      event.preventDefault();
      event.stopPropagation();
      const save = Array.from(form.querySelectorAll('.oh-capture-save')).find(function (b) {
        return b.offsetParent !== null && !b.disabled;
      });
      if (save) save.click();
      return;
    }
    // Ctrl/⌘+Shift+V anywhere, typing in a field or not: open the dialog and paste into Output.
    if (key === 'v' && mod && event.shiftKey && !event.altKey) {
      if (!installed()) return; // no dialog on this page: leave the browser's paste alone
      const inOutput = event.target.closest && event.target.closest('.oh-capture-body');
      if (inOutput) return; // already there: the browser pastes
      open();
      const area = outputField(overlay());
      if (clipboardReadable && navigator.clipboard && navigator.clipboard.readText) {
        event.preventDefault();
        navigator.clipboard.readText().then(function (text) {
          whenBuilt(function (field) { focusEnd(field); insertText(field, text); });
        }).catch(function () {});
      } else if (!area) {
        event.preventDefault(); // nothing to paste into yet: the cursor waits in Output for Ctrl+V
      } // else: the focus moved to Output within this keystroke, so the browser's own paste lands there
      return;
    }
    if (key === 'escape' && isOpen() && !document.querySelector('.q-menu, .q-dialog')) {
      event.preventDefault();
      close();
    }
  }, true);

  document.addEventListener('click', function (event) {
    if (event.target.classList && event.target.classList.contains('oh-qc-backdrop')) close();
  });

  // Build the dialog's form once the page is idle, so the first `c` finds it ready.
  function prebuild() {
    if (!installed()) return;
    if (!window.did_handshake) { setTimeout(prebuild, 200); return; }
    (window.requestIdleCallback || function (fn) { return setTimeout(fn, 300); })(build, { timeout: 2000 });
  }
  if (document.readyState === 'complete') prebuild(); else window.addEventListener('load', prebuild);
})();
