// Output Hub service worker: makes the app installable on a phone's home screen (which Android needs
// for the share target). It caches nothing: your library is private and always read from the app.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', () => {});
