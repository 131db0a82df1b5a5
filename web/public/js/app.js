// The page: wires the controls, the display, settings (localStorage and the
// shareable URL), presets, stations, the sleep timer, keyboard and Media
// Session to the Player. Main thread only.

import { Player } from './player.js';
import { Visuals } from './visuals.js';
import * as P from './protocol.js';

const $ = (id) => document.getElementById(id);
const STORE = 'auralis.settings.v1';
const SLEEP_FADE_S = 60;

// ---- settings: stored, then overridden by the link the page was opened with
function loadSettings() {
  let s = {};
  try { s = JSON.parse(localStorage.getItem(STORE) || '{}') || {}; } catch { s = {}; }
  const fromUrl = P.queryToParams(location.search);
  if (Object.keys(fromUrl).length) {
    if (fromUrl.station) { s.station = fromUrl.station; } else { delete s.station; }
    Object.assign(s, fromUrl);
  }
  return s;
}
const settings = loadSettings();
function save() {
  try { localStorage.setItem(STORE, JSON.stringify(settings)); } catch { /* private mode */ }
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
// ?codec=pcm16 or ?codec=opus forces a codec; by default Opus where WebCodecs has it
const player = new Player({ wsUrl, codec: new URLSearchParams(location.search).get('codec') ?? 'auto' });
player.desired = settings.station
  ? { station: settings.station }
  : { seed: settings.seed, key: settings.key, mode: settings.mode, bpm: settings.bpm, intensity: settings.intensity };
player.volume = settings.volume ?? 0.8;

const visuals = new Visuals({ roll: $('roll'), spectrum: $('spectrum'), sky: $('sky') });
visuals.start();

// ---- controls -------------------------------------------------------------
for (const k of P.KEYS) $('key').add(new Option(k, k));
for (const m of P.MODES) $('mode').add(new Option(m, m));
for (const l of P.LAYERS) {
  const b = document.createElement('button');
  b.type = 'button';
  b.dataset.layer = l;
  b.textContent = l;
  b.setAttribute('aria-pressed', settings[l] === false ? 'false' : 'true');
  b.setAttribute('aria-label', `${l} layer`);
  b.addEventListener('click', () => {
    const on = b.getAttribute('aria-pressed') !== 'true';
    b.setAttribute('aria-pressed', String(on));
    settings[l] = on;
    save();
    player.set({ [l]: on });
  });
  $('layers').append(b);
}

function showParams(p) {
  if (p.key) { $('key').value = p.key; $('now-key').textContent = p.key; }
  if (p.mode) { $('mode').value = p.mode; $('now-mode').textContent = p.mode; }
  if (Number.isFinite(p.bpm) && !dragging.bpm) { $('bpm').value = p.bpm; $('bpm-out').textContent = Math.round(p.bpm); }
  if (Number.isFinite(p.intensity) && !dragging.intensity) { $('intensity').value = p.intensity; $('intensity-out').textContent = p.intensity.toFixed(2); }
  for (const l of P.LAYERS) if (typeof p[l] === 'boolean') document.querySelector(`[data-layer="${l}"]`).setAttribute('aria-pressed', String(p[l]));
  if (p.seed !== undefined) $('seed').textContent = p.seed;
  updateMediaSession();
}

const dragging = { bpm: false, intensity: false };
function slider(name, fmt) {
  const el = $(name);
  let timer = null;
  const send = () => { clearTimeout(timer); timer = null; settings[name] = Number(el.value); save(); player.set({ [name]: Number(el.value) }); };
  el.addEventListener('pointerdown', () => { dragging[name] = true; });
  el.addEventListener('pointerup', () => { dragging[name] = false; });
  el.addEventListener('input', () => {
    $(`${name}-out`).textContent = fmt(Number(el.value));
    if (!timer) timer = setTimeout(send, 200); // at most 5 messages a second
  });
  el.addEventListener('change', () => { dragging[name] = false; send(); });
}
slider('bpm', (v) => String(Math.round(v)));
slider('intensity', (v) => v.toFixed(2));
$('key').addEventListener('change', (e) => { settings.key = e.target.value; save(); player.set({ key: e.target.value }); });
$('mode').addEventListener('change', (e) => { settings.mode = e.target.value; save(); player.set({ mode: e.target.value }); });

$('volume').value = player.volume;
$('volume').addEventListener('input', (e) => {
  player.setVolume(Number(e.target.value));
  settings.volume = Number(e.target.value);
  save();
});

// ---- play / pause ---------------------------------------------------------
function setPlayButton() {
  const on = player.wantPlaying;
  $('play').setAttribute('aria-pressed', String(on));
  $('play').setAttribute('aria-label', on ? 'Pause' : 'Play');
  if ('mediaSession' in navigator) navigator.mediaSession.playbackState = on ? 'playing' : 'paused';
}
function play() { cancelSleepFade(); player.play(); setPlayButton(); }
function pause() { player.pause(); setPlayButton(); }
$('play').addEventListener('click', () => (player.wantPlaying ? pause() : play()));
$('play').addEventListener('pointerdown', () => player.warm(), { once: true });
document.addEventListener('keydown', (e) => {
  if (e.code !== 'Space' && e.key !== ' ') return;
  const t = e.target;
  if (t instanceof HTMLInputElement && t.type === 'text') return;
  if (t instanceof HTMLSelectElement || t instanceof HTMLButtonElement || t instanceof HTMLTextAreaElement) return;
  e.preventDefault();
  if (player.wantPlaying) pause(); else play();
});

// ---- status ---------------------------------------------------------------
const STATUS_TEXT = {
  idle: 'Ready — press play', connecting: 'Connecting…', buffering: 'Buffering…', playing: 'Playing',
  paused: 'Paused', reconnecting: 'Reconnecting…', error: 'Error',
};
player.addEventListener('state', (e) => {
  const { state, detail } = e.detail;
  $('status').dataset.state = state;
  let text = STATUS_TEXT[state] ?? state;
  if (detail) text = state === 'error' ? detail : `${text} ${detail}`;
  if (state === 'playing' && player.desired.station) text = `Playing · station ${player.desired.station}`;
  $('status-text').textContent = text;
  setPlayButton();
});

// ---- params from the server: the display always shows what is playing ------
player.addEventListener('params', (e) => {
  const p = e.detail;
  showParams(p);
  if (!player.desired.station) {
    for (const k of ['seed', 'key', 'mode', 'bpm', 'intensity']) if (p[k] !== undefined) settings[k] = p[k];
  }
  save();
  history.replaceState(null, '', `${location.pathname}?${shareQuery()}`);
});
player.addEventListener('hello', (e) => {
  const p = e.detail.params;
  events.length = 0;
  $('r-stream').textContent = e.detail.stream ?? '–';
  // Layer switches are not query parameters: restore them with a set.
  const off = {};
  for (const l of P.LAYERS) if (settings[l] === false && p[l] !== false && !player.desired.station) off[l] = false;
  if (Object.keys(off).length) player.set(off);
});
player.addEventListener('servererror', (e) => toast(e.detail.message ?? e.detail.code));

function shareQuery() {
  if (player.desired.station) return P.paramsToQuery({ station: player.desired.station });
  const p = { ...player.params };
  for (const l of P.LAYERS) p[l] = settings[l] !== false;
  return P.paramsToQuery(p);
}

// ---- musical events, shown when their audio is heard -----------------------
const events = [];
player.addEventListener('event', (e) => {
  events.push(e.detail);
  if (events.length > 2000) events.splice(0, events.length - 2000);
});
function drainEvents() {
  const pos = player.playedPosition();
  const now = performance.now();
  let i = 0;
  while (i < events.length && events[i].position <= pos) {
    const ev = events[i++];
    if (ev.kind === 'chord') { $('now-chord').textContent = ev.name || '—'; updateMediaSession(); }
    else if (ev.kind === 'section') $('now-section').textContent = ev.name ? `${ev.name}` : '';
    else if (ev.kind === 'key') { if (ev.key) $('now-key').textContent = ev.key; if (ev.mode) $('now-mode').textContent = ev.mode; }
    visuals.onEvent(ev, now);
  }
  if (i) events.splice(0, i);
}
setInterval(drainEvents, 40);

// ---- readout --------------------------------------------------------------
setInterval(() => {
  const s = player.stats();
  $('r-buffer').textContent = `${Math.round(s.buffer_ms)} / ${s.target_ms} ms`;
  $('r-tier').textContent = s.tier;
  $('r-jitter').textContent = `${s.jitter_ms.toFixed(1)} ms`;
  $('r-underruns').textContent = String(s.underruns);
  $('r-rate').textContent = `${((s.playback_rate - 1) * 100).toFixed(3)}%`;
  if (player.analyser && !visuals.analyser) visuals.setAnalyser(player.analyser);
  tickSleep();
}, 250);

// ---- presets --------------------------------------------------------------
async function loadPresets() {
  let list = [];
  try {
    const r = await fetch('/api/presets');
    if (r.ok) { const j = await r.json(); list = Array.isArray(j) ? j : j.presets ?? []; }
  } catch { /* server without presets: the row stays empty */ }
  for (const pr of list) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = pr.name;
    b.setAttribute('aria-pressed', 'false');
    const p = P.normalizeParams(pr.params ?? pr);
    b.title = [pr.description, [p.key, p.mode, p.bpm && `${p.bpm} bpm`].filter(Boolean).join(' ')].filter(Boolean).join(' · ');
    b.addEventListener('click', () => {
      for (const o of $('presets').children) o.setAttribute('aria-pressed', String(o === b));
      const ch = {};
      for (const k of ['key', 'mode', 'bpm', 'intensity', 'wander', 'bells', ...P.LAYERS]) if (p[k] !== undefined) ch[k] = p[k];
      Object.assign(settings, ch);
      save();
      player.set(ch);
      showParams({ ...player.params, ...ch });
      if (!player.wantPlaying) play();
    });
    $('presets').append(b);
  }
}
loadPresets();

// ---- seed, link, station --------------------------------------------------
$('copy').addEventListener('click', async () => {
  const link = `${location.origin}${location.pathname}?${shareQuery()}`;
  try { await navigator.clipboard.writeText(link); toast('Link copied: it plays this piece'); }
  catch { toast(link); }
});
$('reseed').addEventListener('click', () => {
  delete settings.seed;
  save();
  const { seed, ...rest } = player.params;
  void seed;
  player.retune({ key: rest.key, mode: rest.mode, bpm: rest.bpm, intensity: rest.intensity });
  if (!player.wantPlaying) play();
});
function showStation() {
  const st = player.desired.station;
  $('leave').hidden = !st;
  $('station').value = st ?? '';
}
$('station-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('station').value.trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) { toast('Station names use letters, digits, - and _'); return; }
  settings.station = name;
  save();
  player.retune({ station: name });
  showStation();
  if (!player.wantPlaying) play();
});
$('leave').addEventListener('click', () => {
  delete settings.station;
  save();
  player.retune({ seed: settings.seed, key: settings.key, mode: settings.mode, bpm: settings.bpm, intensity: settings.intensity });
  showStation();
});
showStation();

// ---- sleep timer: fades out over the last minute, then pauses --------------
let sleepAt = 0, sleepFading = false;
$('sleep').value = '0';
$('sleep').addEventListener('change', (e) => {
  const min = Number(e.target.value);
  sleepAt = min ? performance.now() + min * 60000 : 0;
  cancelSleepFade();
  tickSleep();
});
function cancelSleepFade() {
  if (sleepFading) { sleepFading = false; sleepAt = 0; $('sleep').value = '0'; }
}
function tickSleep() {
  if (!sleepAt) { $('sleep-left').textContent = ''; return; }
  const left = sleepAt - performance.now();
  if (left <= SLEEP_FADE_S * 1000 && !sleepFading && player.wantPlaying) {
    sleepFading = true;
    player.pause(Math.max(1, left / 1000)); // fades over the remaining minute
    setPlayButton();
  }
  if (left <= 0) { sleepAt = 0; sleepFading = false; $('sleep').value = '0'; }
  $('sleep-left').textContent = left > 0 ? `${Math.floor(left / 60000)}:${String(Math.floor((left % 60000) / 1000)).padStart(2, '0')}` : '';
}

// ---- Media Session --------------------------------------------------------
function updateMediaSession() {
  if (!('mediaSession' in navigator) || typeof MediaMetadata !== 'function') return;
  const p = player.params;
  const chord = $('now-chord').textContent;
  navigator.mediaSession.metadata = new MediaMetadata({
    title: player.desired.station ? `Station ${player.desired.station}` : `${p.key ?? ''} ${p.mode ?? ''}`.trim() || 'Auralis',
    artist: 'Auralis',
    album: chord && chord !== '—' ? chord : `seed ${p.seed ?? ''}`,
  });
}
if ('mediaSession' in navigator) {
  navigator.mediaSession.setActionHandler('play', play);
  navigator.mediaSession.setActionHandler('pause', pause);
  try { navigator.mediaSession.setActionHandler('stop', pause); } catch { /* optional */ }
}

// ---- toast ----------------------------------------------------------------
let toastTimer = null;
function toast(msg) {
  const t = $('toast');
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 3500);
}

// Initial display from the settings, until the server says otherwise.
showParams({ key: settings.key ?? 'D', mode: settings.mode ?? 'dorian', bpm: settings.bpm ?? 60, intensity: settings.intensity ?? 0.4, seed: settings.seed ?? '—', ...Object.fromEntries(P.LAYERS.map((l) => [l, settings[l] !== false])) });
setPlayButton();

// ---- for tests and operators ----------------------------------------------
window.auralis = {
  stats: () => player.stats(),
  metrics: () => player.metrics(),
  params: () => ({ ...player.params }),
  play, pause,
  player,
};
