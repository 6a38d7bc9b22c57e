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

  new MutationObserver(function (mutations) {
    for (const m of mutations) {
      for (const node of m.addedNodes) {
        if (node.nodeType === 1 && (node.matches('.oh-md, .oh-md *') || node.querySelector('.oh-md'))) {
          addCopyButtons(document);
          return;
        }
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true });

  // Keyboard: "/" search, "c" capture, "g o|c|p|a|h|t" go to, "?" help. Ignored while typing.
  let pendingG = 0;
  function typing(target) {
    const tag = (target.tagName || '').toLowerCase();
    return tag === 'input' || tag === 'textarea' || tag === 'select' || target.isContentEditable;
  }
  const GO = { o: '/outputs', c: '/conversations', p: '/prompts', a: '/agents', h: '/', t: '/tags', s: '/search' };
  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector('.q-dialog')) return;
    const key = event.key;
    if (pendingG && Date.now() - pendingG < 1200) {
      pendingG = 0;
      if (GO[key]) { event.preventDefault(); window.location.href = GO[key]; }
      return;
    }
    if (key === 'g') { pendingG = Date.now(); return; }
    if (key === '/') {
      const box = document.querySelector('.oh-search input');
      event.preventDefault();
      if (box) { box.focus(); box.select(); } else { window.location.href = '/search'; }
    } else if (key === 'c') {
      event.preventDefault();
      window.location.href = '/capture';
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
