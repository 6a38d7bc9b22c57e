// The offline pages (offline.html: capture and the queue; offline-pocket.html: the pocket copy). Plain DOM
// with textContent only: captured and library text is never parsed as HTML.
(function () {
  'use strict';

  const O = window.OHOffline;
  const page = document.body.dataset.ohOffline;
  const $ = function (id) { return document.getElementById(id); };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // ------------------------------------------------------------------ capture page and the queue
  function fillFromShare() {
    // The share target (/capture?title=&text=&url=) opens this page when the app cannot be reached.
    const q = new URLSearchParams(location.search);
    const text = q.get('text') || '';
    const url = q.get('url') || '';
    if (!text && !url && !q.get('title')) return;
    $('oh-title').value = q.get('title') || '';
    $('oh-body').value = url && text.indexOf(url) < 0 ? (text ? text + '\n\n' + url : url) : text;
    $('oh-url').value = url || (/^https?:\/\/\S+$/.test(text.trim()) ? text.trim() : '');
  }

  async function renderQueue() {
    const s = await O.status();
    $('oh-status').textContent = s.captures.length
      ? O.summary(s)
      : 'Nothing waiting on this phone' + (s.lastSync ? ' · last sync ' + O.clock(s.lastSync) : '');
    const list = $('oh-queue');
    list.replaceChildren();
    s.captures.forEach(function (c) {
      const li = el('li');
      li.dataset.captureId = c.id;
      li.appendChild(el('strong', c.title || c.body.split('\n')[0].slice(0, 80)));
      li.appendChild(el('div', 'Kept ' + new Date(c.createdAt).toLocaleString(), 'small'));
      if (c.reason) li.appendChild(el('div', (c.state === 'refused' ? 'Not stored: ' : '') + c.reason, 'reason'));
      if (c.state === 'refused') {
        const again = el('button', 'Try again', 'plain');
        again.type = 'button';
        again.onclick = function () { O.retry(c.id).then(renderQueue); };
        const drop = el('button', 'Delete from this phone', 'plain');
        drop.type = 'button';
        drop.onclick = function () {
          if (confirm('Delete this capture from the phone? It was not stored in Output Hub.')) O.discard(c.id);
        };
        li.append(again, drop);
      }
      list.appendChild(li);
    });
  }

  function showNet(reachable) {
    const net = $('oh-net');
    net.classList.toggle('online', reachable);
    net.textContent = reachable
      ? 'Output Hub is reachable: captures are sent now.'
      : 'The app cannot be reached: captures are kept on this phone and sent when it can.';
  }

  async function reachable() {
    try {
      return (await fetch('/manifest.webmanifest', { cache: 'no-store' })).ok;
    } catch (e) {
      return false;
    }
  }

  async function sendNow() {
    const result = await O.send();
    showNet(result.tried ? !result.offline : await reachable());
    await renderQueue();
    return result;
  }

  function startCapture() {
    fillFromShare();
    $('oh-form').addEventListener('submit', async function (event) {
      event.preventDefault();
      const body = $('oh-body').value;
      if (!body.trim()) return;
      const item = await O.queueCapture({ body: body, title: $('oh-title').value.trim(), url: $('oh-url').value.trim() });
      $('oh-form').reset();
      $('oh-kept').textContent = 'Kept on this phone: “' + (item.title || body.trim().split('\n')[0].slice(0, 60)) + '”.';
      if (location.search) history.replaceState(null, '', location.pathname);  // a reload must not prefill it again
      await renderQueue();
      if (navigator.onLine) sendNow();
    });
    $('oh-send').addEventListener('click', sendNow);
    O.onChange(renderQueue);
    window.addEventListener('online', sendNow);
    renderQueue().then(function () { if (navigator.onLine) sendNow(); });
  }

  // ------------------------------------------------------------------ pocket copy
  let shown = [];

  async function renderMark() {
    const updated = await O.getMeta('pocketUpdated', null);
    $('oh-mark').textContent = updated
      ? 'Offline copy · updated ' + O.clock(updated)
      : 'Offline copy · not downloaded yet (open this page while the app is reachable)';
  }

  async function renderResults() {
    const query = $('oh-q').value;
    shown = await O.searchPocket(query);
    const list = $('oh-results');
    list.replaceChildren();
    shown.slice(0, 100).forEach(function (item) {
      const li = el('li');
      const open = el('button');
      open.type = 'button';
      open.appendChild(el('strong', (item.favourite ? '★ ' : '') + item.title));
      open.appendChild(el('span', item.body.slice(0, 160), 'snippet'));
      open.onclick = function () { showItem(item); };
      li.appendChild(open);
      list.appendChild(li);
    });
    $('oh-count').textContent = query.trim()
      ? shown.length + (shown.length === 1 ? ' output matches' : ' outputs match')
      : shown.length + ' outputs on this phone';
  }

  function showItem(item) {
    $('oh-item-title').textContent = item.title;
    const meta = [item.created_at ? item.created_at.slice(0, 10) : '', item.model || '', (item.tags || []).join(', ')];
    $('oh-item-meta').textContent = meta.filter(Boolean).join(' · ') + (item.truncated ? ' · the start only' : '');
    $('oh-item-body').textContent = item.body;
    $('oh-item').hidden = false;
    $('oh-results').hidden = true;
    window.scrollTo(0, 0);
  }

  async function refresh() {
    const result = await O.refreshPocket();
    if (result.signin) $('oh-count').textContent = 'Sign in to Output Hub to keep an offline copy on this phone.';
    await renderMark();
    await renderResults();
  }

  async function startPocket() {
    $('oh-limit').value = await O.getMeta('pocketLimit', O.POCKET_DEFAULT);
    $('oh-q').addEventListener('input', renderResults);
    $('oh-back').addEventListener('click', function () {
      $('oh-item').hidden = true;
      $('oh-results').hidden = false;
    });
    $('oh-limit-save').addEventListener('click', async function () {
      $('oh-limit').value = await O.setPocketLimit($('oh-limit').value);
      await refresh();
    });
    window.addEventListener('online', refresh);
    await renderMark();
    await renderResults();
    if (navigator.onLine) refresh();
  }

  if (page === 'capture') startCapture();
  if (page === 'pocket') startPocket();
})();
