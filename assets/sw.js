// Output Hub service worker: makes the app installable on a phone's home screen (which Android needs for
// the share target) and usable away from home. Pages always come from the app; only the small static
// offline pages are cached. When the app cannot be reached, opening it (or sharing to it) shows the
// offline capture page, which keeps captures in IndexedDB until they can be sent (assets/offline.js).
importScripts('/assets/offline.js');

const CACHE = 'outputhub-offline-v1';
const OFFLINE_PAGE = '/assets/offline.html';
const PRECACHE = [
  OFFLINE_PAGE,
  '/assets/offline-pocket.html',
  '/assets/offline.js',
  '/assets/offline-page.js',
  '/assets/icon.svg',
  '/assets/icon-192.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('outputhub-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

async function offlineResponse(url) {
  const cache = await caches.open(CACHE);
  return (await cache.match(url.pathname)) || (await cache.match(OFFLINE_PAGE)) || Response.error();
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // Any page of the app (the home-screen start_url, the share target /capture?text=…) falls back to the
    // offline capture page when the app cannot be reached; the share's text/title/url stay in the address.
    event.respondWith(fetch(request).catch(() => offlineResponse(url)));
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    // Network first so an updated offline page is used at once; the cached copy when away from home.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() => offlineResponse(url))
    );
  }
});

self.addEventListener('sync', (event) => {
  if (event.tag !== self.OHOffline.SYNC_TAG) return;
  // A rejected promise makes the browser try the sync again later (still offline).
  event.waitUntil(self.OHOffline.send().then((result) => {
    if (result.offline) throw new Error('still offline');
  }));
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'send') event.waitUntil(self.OHOffline.send());
});
