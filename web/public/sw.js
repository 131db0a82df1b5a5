// Service worker: keeps the player's own files so the app opens at once,
// also offline (then it says it cannot reach the server). Audio, the API and
// anything else always go to the network: only the files listed here are
// cached. Stale-while-revalidate: the cached copy answers, the network
// refreshes it for the next visit (the server sends ETags, so an unchanged
// file costs a 304).
const CACHE = 'auralis-player-v1';
const SHELL = [
  './', 'index.html', 'style.css', 'manifest.webmanifest', 'favicon.ico',
  'icons/icon.svg', 'icons/icon-192.png', 'icons/icon-512.png',
  'js/app.js', 'js/player.js', 'js/playout.js', 'js/resampler.js', 'js/ring.js', 'js/worklet.js',
  'js/buffering.js', 'js/protocol.js', 'js/visuals.js', 'js/names.js', 'js/cover.js',
];

self.addEventListener('install', (e) => {
  // one failed file must not stop the others (a server without one of them)
  e.waitUntil(caches.open(CACHE).then((c) => Promise.all(SHELL.map((u) => c.add(u).catch(() => null)))).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('auralis-player-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function isShell(url) {
  if (url.origin !== self.location.origin) return false;
  const scope = new URL(self.registration.scope);
  if (!url.pathname.startsWith(scope.pathname)) return false;
  const rel = url.pathname.slice(scope.pathname.length);
  return rel === '' || SHELL.includes(rel) || /^js\/[\w-]+\.m?js$/.test(rel);
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (!isShell(url)) return; // audio, /api, /ws, downloads: the network, untouched
  // the page itself is keyed without its query: every link opens the same player
  const key = url.pathname.endsWith('/') || url.pathname.endsWith('/index.html') ? new URL('./', self.registration.scope).href : url.origin + url.pathname;
  e.respondWith(caches.open(CACHE).then(async (cache) => {
    const hit = await cache.match(key);
    const fresh = fetch(req).then((r) => { if (r.ok && r.type === 'basic') cache.put(key, r.clone()); return r; });
    if (hit) { e.waitUntil(fresh.catch(() => null)); return hit; }
    return fresh;
  }));
});
