// Output Hub away from home: captures kept on this phone (IndexedDB) until the app is reachable, and the
// pocket copy (favourites and recent outputs) to read offline. Shared by the service worker
// (importScripts) and the pages; in the app it also shows a small "waiting on this phone" note.
// Nothing here comes from the server's Python: the data is read from IndexedDB and the JSON API only.
(function (root) {
  'use strict';

  const DB_NAME = 'outputhub-offline';
  const SYNC_TAG = 'outputhub-captures';
  const POCKET_DEFAULT = 200;
  const POCKET_STALE_MS = 10 * 60 * 1000;
  // Refusals a resend cannot fix: the capture stays on the phone with the reason, never lost.
  const REFUSED = [400, 403, 413, 415, 422];
  let dbPromise = null;
  let sending = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          const db = req.result;
          db.createObjectStore('captures', { keyPath: 'id' });
          db.createObjectStore('meta', { keyPath: 'key' });
          db.createObjectStore('pocket', { keyPath: 'id' });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { dbPromise = null; reject(req.error); };
      });
    }
    return dbPromise;
  }

  function done(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  async function store(name, mode) {
    const db = await openDb();
    return db.transaction(name, mode).objectStore(name);
  }

  async function getAll(name) { return done((await store(name, 'readonly')).getAll()); }
  async function put(name, value) { return done((await store(name, 'readwrite')).put(value)); }
  async function remove(name, key) { return done((await store(name, 'readwrite')).delete(key)); }
  async function getMeta(key, fallback) {
    const row = await done((await store('meta', 'readonly')).get(key));
    return row && row.value !== undefined && row.value !== null ? row.value : fallback;
  }
  async function setMeta(key, value) { return put('meta', { key: key, value: value }); }

  function newId() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    const bytes = root.crypto.getRandomValues(new Uint8Array(16));  // plain http has no randomUUID
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, '0'); }).join('');
  }

  function notify() {
    try { new BroadcastChannel(DB_NAME).postMessage({ type: 'changed' }); } catch (e) { /* old browser */ }
  }

  function onChange(callback) {
    try { new BroadcastChannel(DB_NAME).onmessage = callback; } catch (e) { /* old browser */ }
  }

  function byCreated(a, b) { return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0; }

  async function queueCapture(capture) {
    const item = {
      id: newId(),  // also the Idempotency-Key: a capture sent twice is stored once
      body: capture.body,
      title: capture.title || '',
      url: capture.url || '',
      createdAt: new Date().toISOString(),
      state: 'waiting',
      reason: '',
    };
    await put('captures', item);
    notify();
    requestSync();
    return item;
  }

  function requestSync() {
    const nav = root.navigator;
    if (nav && nav.serviceWorker && root.document) {
      nav.serviceWorker.ready.then(function (reg) {
        if (reg.sync) return reg.sync.register(SYNC_TAG);
      }).catch(function () { /* no Background Sync: the online event and the next open send it */ });
    }
  }

  async function reason(response) {
    try {
      const data = await response.json();
      if (data && data.detail) return String(data.detail);
    } catch (e) { /* not JSON */ }
    return 'The app answered ' + response.status + '.';
  }

  function payload(c) {
    const data = { body: c.body };
    if (c.title) data.title = c.title;
    if (c.url) data.url = c.url;
    return data;
  }

  function send() {
    if (!sending) sending = sendAll().finally(function () { sending = null; });
    return sending;
  }

  async function sendAll() {
    const items = (await getAll('captures')).filter(function (c) { return c.state === 'waiting'; }).sort(byCreated);
    const result = { sent: 0, tried: items.length > 0, offline: false, signin: false };
    for (const c of items) {
      let response;
      try {
        response = await fetch('/api/v1/captures', {
          method: 'POST',
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': c.id },
          body: JSON.stringify(payload(c)),
        });
      } catch (e) {
        result.offline = true;  // still away from home: try again later
        break;
      }
      if (response.ok) {
        await remove('captures', c.id);
        await setMeta('lastSync', new Date().toISOString());
        result.sent += 1;
        continue;
      }
      if (response.status === 401) {
        c.reason = 'Sign in to send: this phone is not signed in to Output Hub.';
        await put('captures', c);
        result.signin = true;
        break;
      }
      c.reason = await reason(response);
      if (REFUSED.indexOf(response.status) >= 0) {
        c.state = 'refused';
        await put('captures', c);
        continue;
      }
      await put('captures', c);  // busy, disk full, server error: try again later
      break;
    }
    notify();
    return result;
  }

  async function retry(id) {
    const all = await getAll('captures');
    const c = all.find(function (x) { return x.id === id; });
    if (!c) return;
    c.state = 'waiting';
    c.reason = '';
    await put('captures', c);
    notify();
    return send();
  }

  async function discard(id) { await remove('captures', id); notify(); }

  async function status() {
    const all = await getAll('captures');
    return {
      captures: all.sort(byCreated),
      waiting: all.filter(function (c) { return c.state === 'waiting'; }).length,
      refused: all.filter(function (c) { return c.state === 'refused'; }).length,
      lastSync: await getMeta('lastSync', null),
      pocketUpdated: await getMeta('pocketUpdated', null),
      pocketLimit: await getMeta('pocketLimit', POCKET_DEFAULT),
    };
  }

  function norm(text) {
    return String(text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  async function replacePocket(items) {
    const db = await openDb();
    return new Promise(function (resolve, reject) {
      const t = db.transaction('pocket', 'readwrite');
      const s = t.objectStore('pocket');
      s.clear();
      items.forEach(function (item) { s.put(item); });
      t.oncomplete = function () { resolve(); };
      t.onerror = t.onabort = function () { reject(t.error); };
    });
  }

  async function refreshPocket() {
    const limit = await getMeta('pocketLimit', POCKET_DEFAULT);
    let response;
    try {
      response = await fetch('/api/v1/pocket?limit=' + encodeURIComponent(limit), {
        credentials: 'same-origin', cache: 'no-store',
      });
    } catch (e) {
      return { offline: true };
    }
    if (response.status === 401) {
      // Signed out or revoked: a phone that may no longer read the library keeps no copy of it.
      await replacePocket([]);
      await setMeta('pocketUpdated', null);
      notify();
      return { signin: true };
    }
    if (!response.ok) return { error: await reason(response) };
    const data = await response.json();
    await replacePocket(data.items.map(function (item, rank) {
      item.rank = rank;
      item.words = norm([item.title, item.body, (item.tags || []).join(' ')].join(' '));
      return item;
    }));
    await setMeta('pocketUpdated', new Date().toISOString());
    notify();
    return { count: data.items.length };
  }

  async function setPocketLimit(limit) {
    const n = Math.max(10, Math.min(1000, parseInt(limit, 10) || POCKET_DEFAULT));
    await setMeta('pocketLimit', n);
    return n;
  }

  async function searchPocket(query) {
    const words = norm(query).split(/\s+/).filter(Boolean);
    const all = (await getAll('pocket')).sort(function (a, b) { return a.rank - b.rank; });
    return all.filter(function (item) {
      return words.every(function (w) { return item.words.indexOf(w) >= 0; });
    });
  }

  function clock(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }

  function summary(s) {
    const n = s.waiting + s.refused;
    const words = n === 1 ? '1 capture waiting on this phone' : n + ' captures waiting on this phone';
    return words + ' · ' + (s.lastSync ? 'last sync ' + clock(s.lastSync) : 'not synced yet');
  }

  root.OHOffline = {
    SYNC_TAG: SYNC_TAG, POCKET_DEFAULT: POCKET_DEFAULT, queueCapture: queueCapture, send: send,
    retry: retry, discard: discard, status: status, refreshPocket: refreshPocket,
    setPocketLimit: setPocketLimit, searchPocket: searchPocket, clock: clock, summary: summary,
    onChange: onChange, getMeta: getMeta,
  };

  // ---------------------------------------------------------------- in the app (not the offline pages)
  if (!root.document) return;

  function inApp() { return document.body && !document.body.dataset.ohOffline; }

  function note() {
    let el = document.getElementById('oh-offline-note');
    if (!el) {
      el = document.createElement('a');
      el.id = 'oh-offline-note';
      el.href = '/assets/offline.html';
      el.setAttribute('role', 'status');
      const st = el.style;
      st.position = 'fixed'; st.left = '8px'; st.bottom = '8px'; st.zIndex = '3000';
      st.padding = '4px 10px'; st.borderRadius = '12px'; st.fontSize = '12px';
      st.background = '#312e81'; st.color = '#fff'; st.textDecoration = 'none'; st.maxWidth = '90vw';
      document.body.appendChild(el);
    }
    return el;
  }

  async function showNote() {
    if (!inApp()) return;
    if (!root.isSecureContext) {
      // Service workers (offline capture, the pocket copy) need HTTPS; say so on a phone instead of failing quietly.
      if (root.matchMedia('(max-width: 700px)').matches && localStorage.getItem('oh-https-note') !== 'hidden') {
        const el = note();
        el.textContent = 'Offline capture needs HTTPS: start with --https';
        el.href = '/settings?tab=devices';
        const close = document.createElement('button');
        close.type = 'button';
        close.textContent = '×';
        close.setAttribute('aria-label', 'Hide this note on this phone');
        close.style.cssText = 'margin-left:8px;border:0;background:none;color:inherit;font-size:14px';
        close.addEventListener('click', function (event) {
          event.preventDefault();
          localStorage.setItem('oh-https-note', 'hidden');
          el.remove();
        });
        el.appendChild(close);
      }
      return;
    }
    const s = await status();
    const el = document.getElementById('oh-offline-note');
    if (s.waiting + s.refused > 0) {
      note().textContent = summary(s);
    } else if (el) {
      el.remove();
    }
  }

  async function whenOnline() {
    await send();
    // The pocket copy is for the phone (or the installed app), not a desktop browser's every page.
    const phone = root.matchMedia('(max-width: 700px), (display-mode: standalone)').matches;
    const updated = await getMeta('pocketUpdated', null);
    if (phone && navigator.serviceWorker.controller && (!updated || Date.now() - new Date(updated).getTime() > POCKET_STALE_MS)) await refreshPocket();
    showNote();
  }

  async function forgetPocket() {
    await replacePocket([]);
    await setMeta('pocketUpdated', null);
    notify();
  }

  function start() {
    if (!inApp()) return;
    if (location.pathname === '/login') {
      // Signed out on this phone: it keeps no copy of the library (captures stay, to send after signing in).
      if (root.isSecureContext) forgetPocket().then(showNote);
      return;
    }
    showNote();
    onChange(showNote);
    if (root.isSecureContext && navigator.serviceWorker && navigator.onLine) whenOnline();
    root.addEventListener('online', whenOnline);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(self);
