// The app's service worker: the page works offline once loaded. Installing it caches
// every file of this build (their list and a digest of their bytes are written in by the
// build); it then answers this origin's requests from that cache first, the network
// second. A new build is a new cache, and the old one is deleted when it takes over.
declare const APP_FILES: string[];
declare const APP_VERSION: string;

const CACHE = `fsam-edge-app-${APP_VERSION}`;
const sw = self as unknown as {
  addEventListener(type: 'install' | 'activate', listener: (e: { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'fetch', listener: (e: { request: Request; respondWith(r: Promise<Response>): void }) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  location: Location;
};

sw.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(APP_FILES.map((f) => new URL(f, sw.location.href).href))).then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('fsam-edge-app-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => sw.clients.claim()));
});

sw.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== sw.location.origin) return;
  e.respondWith(caches.open(CACHE)
    .then((c) => c.match(e.request, { ignoreSearch: true }))
    .then((hit) => hit ?? fetch(e.request)));
});
