// The page: wires the controls, the display, the gallery (pieces, or
// presets until the server has pieces), settings (localStorage and the
// shareable URL), favourites and history, stations, the sleep timer, the
// full-screen visual, keyboard, Media Session and the installable app to the
// Player. Main thread only.

import { Player } from './player.js';
import { Visuals } from './visuals.js';
import * as P from './protocol.js';
import { performanceName, seedHue, stationNameProblem, stationRule, useStationRule } from './names.js';
import { coverSvg } from './cover.js';

const $ = (id) => document.getElementById(id);
const STORE = 'auralis.settings.v1';
const FAVS = 'auralis.favourites.v1';
const HIST = 'auralis.history.v1';
const RESUME = 'auralis.resume.v1';
const HISTORY_MAX = 12;
const RESUME_MAX_AGE_MS = 7 * 24 * 3600 * 1000; // any server can replay it; a week is plenty
const SLEEP_FADE_MAX_S = 300; // the sleep timer fades over its last 5 minutes...
const SLEEP_FADE_FRACTION = 0.5; // ...or the last half of a shorter timer
const IDLE_MS = 3500; // full screen: controls fade after this long untouched
const PIECE_FIELDS = ['seed', 'key', 'mode', 'bpm', 'intensity', 'wander', ...P.LAYERS, 'volumes', 'piece'];

// ---- settings: stored, then overridden by the link the page was opened with
function readJson(key, dflt) {
  try { const v = JSON.parse(localStorage.getItem(key) ?? 'null'); return v ?? dflt; } catch { return dflt; }
}
function writeJson(key, v) {
  try { localStorage.setItem(key, JSON.stringify(v)); } catch { /* private mode: kept for this page only */ }
}
function loadSettings() {
  const s = readJson(STORE, {});
  const fromUrl = P.queryToParams(location.search);
  if (Object.keys(fromUrl).length) {
    if (fromUrl.station) { s.station = fromUrl.station; } else {
      // A link is a whole performance: what it does not say is the default,
      // not whatever this browser had before.
      delete s.station;
      delete s.piece;
      for (const l of P.LAYERS) s[l] = true;
      s.wander = false;
      s.volumes = {};
    }
    Object.assign(s, fromUrl);
  }
  if (!s.volumes || typeof s.volumes !== 'object') s.volumes = {};
  delete s.timeline; // a moment is where to start, not a setting
  delete s.position;
  return s;
}
const settings = loadSettings();
function save() { writeJson(STORE, settings); }
function pieceDesired() {
  const d = {};
  for (const k of PIECE_FIELDS) if (settings[k] !== undefined) d[k] = settings[k];
  return d;
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
// ?codec=pcm16 or ?codec=opus forces a codec; by default Opus where WebCodecs has it
const player = new Player({ wsUrl, codec: new URLSearchParams(location.search).get('codec') ?? 'auto' });
player.desired = settings.station ? { station: settings.station } : pieceDesired();
// Resume: a moment link starts that performance at its position; otherwise
// the performance this browser was playing (same link, or none) continues
// where it was left, after a reload as after a pause.
{
  const fromUrl = P.queryToParams(location.search);
  const r = readJson(RESUME, null);
  if (!settings.station && Number.isSafeInteger(fromUrl.position)) {
    player.retune({ ...pieceDesired(), timeline: fromUrl.timeline, position: fromUrl.position });
  } else if (!settings.station && r && r.start && Date.now() - r.at < RESUME_MAX_AGE_MS &&
             (!location.search || location.search.slice(1) === r.query)) {
    player.perf = { id: r.id, start: r.start, timeline: r.timeline ?? [], keptS: r.keptS ?? null };
    player.resumeFrom = { position: r.position };
  }
}
player.volume = settings.volume ?? 0.8;

const visuals = new Visuals({ roll: $('roll') });
visuals.insets = () => ({ top: document.querySelector('.now').offsetHeight, bottom: immersive ? $('imm-bar').offsetHeight : 0 });
visuals.start();

// What is playing now, as far as the page knows: the server's word once it
// has spoken, the settings before.
function current() { return { ...settings, ...player.params }; }

// ---- controls -------------------------------------------------------------
for (const k of P.KEYS) $('key').add(new Option(k, k));
for (const m of P.MODES) $('mode').add(new Option(m, m));
$('key').setAttribute('aria-label', 'Key');
$('mode').setAttribute('aria-label', 'Mode');
let mixer = false; // the server has per-layer volumes (hello says so)
for (const l of P.LAYERS) {
  const box = document.createElement('div');
  box.className = 'layer';
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
    afterLocalChange();
  });
  const r = document.createElement('input');
  r.type = 'range'; r.min = '0'; r.max = '1'; r.step = '0.01';
  r.dataset.volume = l;
  r.value = String(settings.volumes[l] ?? 1);
  r.setAttribute('aria-label', `${l} volume`);
  r.hidden = true;
  let timer = null;
  const send = () => { clearTimeout(timer); timer = null; player.set({ volumes: { [l]: Number(r.value) } }); };
  r.addEventListener('input', () => {
    settings.volumes = { ...settings.volumes, [l]: Number(r.value) };
    save();
    afterLocalChange();
    if (!timer) timer = setTimeout(send, 150); // a few messages a second while dragging
  });
  r.addEventListener('change', send);
  box.append(b, r);
  $('layers').append(box);
}
function showMixer(on) {
  mixer = on;
  for (const r of document.querySelectorAll('[data-volume]')) r.hidden = !on;
  $('mixer-note').hidden = on;
}

function setSwitch(el, on) { el.setAttribute('aria-checked', String(!!on)); }
$('wander').addEventListener('click', () => {
  const on = $('wander').getAttribute('aria-checked') !== 'true';
  setSwitch($('wander'), on);
  settings.wander = on;
  save();
  player.set({ wander: on });
  afterLocalChange();
});

function showParams(p) {
  if (p.key) { $('key').value = p.key; $('now-key').textContent = p.key; }
  if (p.mode) { $('mode').value = p.mode; $('now-mode').textContent = p.mode; }
  if (Number.isFinite(p.bpm) && !dragging.bpm) { $('bpm').value = p.bpm; $('bpm-out').textContent = Math.round(p.bpm); }
  if (Number.isFinite(p.intensity) && !dragging.intensity) { $('intensity').value = p.intensity; $('intensity-out').textContent = p.intensity.toFixed(2); }
  for (const l of P.LAYERS) if (typeof p[l] === 'boolean') document.querySelector(`[data-layer="${l}"]`).setAttribute('aria-pressed', String(p[l]));
  if (p.volumes) for (const [l, v] of Object.entries(p.volumes)) { const r = document.querySelector(`[data-volume="${l}"]`); if (r && document.activeElement !== r) r.value = String(v); }
  if (typeof p.wander === 'boolean') setSwitch($('wander'), p.wander);
  if (p.seed !== undefined) $('seed').textContent = p.seed;
  showName();
  markActive();
  updateMediaSession();
}

// The performance's name: from the seed (the seed stays behind it), or the
// station's; the piece's name beside it.
function showName() {
  const st = player.desired.station;
  const c = current();
  const name = st ? `Station ${st}` : performanceName(c.seed) || 'A new performance';
  $('perf-name').textContent = name;
  $('perf-name').title = st ? '' : `seed ${c.seed ?? '(chosen when it starts)'}`;
  $('piece-name').textContent = pieceTitle(c.piece) ?? '';
  if (!st && c.seed !== undefined) visuals.setHue(seedHue(c.seed));
  document.title = player.wantPlaying ? `${name} · Auralis` : 'Auralis';
}

const dragging = { bpm: false, intensity: false };
function slider(name, fmt) {
  const el = $(name);
  let timer = null;
  const send = () => { clearTimeout(timer); timer = null; settings[name] = Number(el.value); save(); player.set({ [name]: Number(el.value) }); afterLocalChange(); };
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
$('key').addEventListener('change', (e) => { settings.key = e.target.value; save(); player.set({ key: e.target.value }); afterLocalChange(); });
$('mode').addEventListener('change', (e) => { settings.mode = e.target.value; save(); player.set({ mode: e.target.value }); afterLocalChange(); });

$('volume').value = player.volume;
$('volume').addEventListener('input', (e) => {
  player.setVolume(Number(e.target.value));
  settings.volume = Number(e.target.value);
  save();
});

// A control moved here: the address and the active preset follow at once
// (the server's `state` confirms a moment later).
function afterLocalChange() {
  markActive();
  if (!player.desired.station) history.replaceState(null, '', `${location.pathname}?${shareQuery()}`);
}

// ---- play / pause ---------------------------------------------------------
function setPlayButton() {
  const on = player.wantPlaying;
  for (const id of ['play', 'imm-play']) {
    $(id).setAttribute('aria-pressed', String(on));
    $(id).setAttribute('aria-label', on ? 'Pause' : 'Play');
  }
  if ('mediaSession' in navigator) navigator.mediaSession.playbackState = on ? 'playing' : 'paused';
}
function play() { player.play(); setPlayButton(); showName(); }
function pause() { player.pause(); setPlayButton(); }
for (const id of ['play', 'imm-play']) {
  $(id).addEventListener('click', () => (player.wantPlaying ? pause() : play()));
  $(id).addEventListener('pointerdown', () => player.warm(), { once: true });
}
document.addEventListener('keydown', (e) => {
  const t = e.target;
  if (t instanceof HTMLInputElement && (t.type === 'text' || t.type === 'number')) return;
  if (t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement) return;
  if ((e.key === 'f' || e.key === 'F') && !e.ctrlKey && !e.metaKey && !e.altKey) { setImmersive(!immersive); return; }
  if (e.code !== 'Space' && e.key !== ' ') return;
  if (t instanceof HTMLButtonElement) return;
  e.preventDefault();
  if (player.wantPlaying) pause(); else play();
});

// ---- status ---------------------------------------------------------------
const STATUS_TEXT = {
  idle: 'Ready — press play', connecting: 'Connecting…', buffering: 'Buffering…', playing: 'Playing',
  paused: 'Paused', reconnecting: 'Reconnecting…', error: 'Error',
};
function showStatus() {
  const { state, detail } = player;
  $('status').dataset.state = state;
  let text = STATUS_TEXT[state] ?? state;
  if (detail) text = state === 'error' ? detail : `${text} ${detail}`;
  if (state === 'playing' && player.desired.station) text = `Playing · station ${player.desired.station}`;
  if (state === 'playing' && sleep.fading) text = `Playing · ${sleepText()}`;
  if (state === 'paused' && sleep.ended) text = 'Paused · sleep timer ended';
  $('status-text').textContent = text;
  $('viz-hint').hidden = state !== 'idle' && state !== 'error';
  if (state === 'error') $('viz-hint').textContent = 'Could not play: see above';
  else $('viz-hint').textContent = 'Press play to listen';
}
player.addEventListener('state', () => { showStatus(); setPlayButton(); });

// ---- params from the server: the display always shows what is playing ------
player.addEventListener('params', (e) => {
  const p = e.detail;
  if (!player.desired.station) {
    for (const k of ['seed', 'key', 'mode', 'bpm', 'intensity', 'wander', ...P.LAYERS]) if (p[k] !== undefined) settings[k] = p[k];
    if (p.volumes) settings.volumes = { ...p.volumes };
  }
  save();
  showParams(p);
  history.replaceState(null, '', `${location.pathname}?${shareQuery()}`);
  remember();
});
player.addEventListener('hello', (e) => {
  const p = e.detail.params;
  events.length = 0;
  visuals.clear();
  $('r-stream').textContent = e.detail.stream ?? '–';
  showMixer(!!p.volumes);
  $('share-moment').hidden = !player.perf;
  if (player.perf?.keptS) $('share-moment').title = `A link to this performance at this moment (this server keeps it ${Math.round(player.perf.keptS / 60)} min after you leave; the link replays it on any server)`;
  // Restore what the connect URL could not carry (an older server).
  if (player.desired.station) return;
  const fix = {};
  for (const l of P.LAYERS) if (settings[l] === false && p[l] !== false) fix[l] = false;
  if (typeof settings.wander === 'boolean' && typeof p.wander === 'boolean' && p.wander !== settings.wander) fix.wander = settings.wander;
  if (Object.keys(fix).length) player.set(fix);
});
player.addEventListener('servererror', (e) => toast(e.detail.message ?? e.detail.code));

function shareQuery(extra = {}) {
  if (player.desired.station) return P.paramsToQuery({ station: player.desired.station });
  const c = current();
  const p = {};
  for (const k of PIECE_FIELDS) if (c[k] !== undefined) p[k] = c[k];
  for (const l of P.LAYERS) p[l] = settings[l] !== false;
  p.wander = !!settings.wander;
  p.volumes = { ...settings.volumes };
  return P.paramsToQuery({ ...p, ...extra });
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
    if (ev.kind === 'chord') $('now-chord').textContent = ev.name || '—';
    else if (ev.kind === 'section') $('now-section').textContent = ev.name ? `${ev.name}` : '';
    else if (ev.kind === 'key') { if (ev.key) $('now-key').textContent = ev.key; if (ev.mode) $('now-mode').textContent = ev.mode; }
    visuals.onEvent(ev, now);
  }
  if (i) events.splice(0, i);
}
setInterval(drainEvents, 40);

// ---- stream statistics, behind a toggle ------------------------------------
function showStats(open) {
  $('readout').hidden = !open;
  $('stats-toggle').setAttribute('aria-expanded', String(open));
  $('stats-toggle').textContent = open ? 'Hide stream statistics' : 'Stream statistics';
}
$('stats-toggle').addEventListener('click', () => {
  settings.showStats = $('readout').hidden;
  save();
  showStats(settings.showStats);
});
showStats(!!settings.showStats);
setInterval(() => {
  if (player.analyser && !visuals.analyser) visuals.setAnalyser(player.analyser);
  tickSleep();
  if ($('readout').hidden) return;
  const s = player.stats();
  $('r-buffer').textContent = `${Math.round(s.buffer_ms)} / ${s.target_ms} ms`;
  $('r-tier').textContent = s.tier;
  $('r-jitter').textContent = `${s.jitter_ms.toFixed(1)} ms`;
  $('r-underruns').textContent = String(s.underruns);
  $('r-rate').textContent = `${((s.playback_rate - 1) * 100).toFixed(3)}%`;
}, 250);

// ---- gallery: pieces (GET /api/pieces), or presets until the server has them
let presets = []; // {name, description, params}
let pieces = []; // {name, title, description}
function pieceTitle(name) {
  if (!name) return null;
  const p = pieces.find((x) => x.name === name);
  return p ? p.title : name;
}
async function getJson(url) {
  try {
    const r = await fetch(url);
    if (!r.ok) return null;
    return await r.json();
  } catch { return null; }
}
function card({ title, description, art, seed }, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'card';
  b.setAttribute('aria-pressed', 'false');
  const cover = document.createElement('span');
  cover.className = 'cover';
  cover.innerHTML = coverSvg(art, seed); // our own SVG from a hash: no markup from the server
  const txt = document.createElement('span');
  txt.className = 'txt';
  const n = document.createElement('span');
  n.className = 'name';
  n.textContent = title;
  const d = document.createElement('span');
  d.className = 'desc';
  d.textContent = description || '';
  txt.append(n, d);
  b.append(cover, txt);
  b.addEventListener('click', onClick);
  return b;
}
function presetMatches(pp, c) {
  for (const k of ['key', 'mode', 'piece']) if (pp[k] !== undefined && pp[k] !== c[k]) return false;
  if (pp.bpm !== undefined && Math.abs(pp.bpm - c.bpm) > 0.5) return false;
  if (pp.intensity !== undefined && Math.abs(pp.intensity - c.intensity) > 0.005) return false;
  if (pp.wander !== undefined && !!pp.wander !== !!c.wander) return false;
  for (const l of P.LAYERS) if (pp[l] !== undefined && pp[l] !== (c[l] !== false)) return false;
  return true;
}
// A preset is lit only while every one of its settings holds.
function markActive() {
  const c = current();
  const st = !!player.desired.station;
  for (const b of document.querySelectorAll('[data-preset]')) {
    const pr = presets[Number(b.dataset.preset)];
    b.setAttribute('aria-pressed', String(!st && !!pr && presetMatches(pr.params, c)));
  }
  for (const b of document.querySelectorAll('[data-piece]')) b.setAttribute('aria-pressed', String(!st && c.piece === b.dataset.piece));
}
function applyPreset(pr) {
  const ch = {};
  for (const k of ['piece', 'key', 'mode', 'bpm', 'intensity', 'wander', ...P.LAYERS]) if (pr.params[k] !== undefined) ch[k] = pr.params[k];
  Object.assign(settings, ch);
  save();
  if (player.desired.station) leaveStation();
  player.set(ch);
  showParams({ ...current(), ...ch });
  afterLocalChange();
  if (!player.wantPlaying) play();
}
// A piece card starts a new performance of that piece, in its own key,
// mode, tempo and intensity (the server's defaults for it).
function choosePiece(name) {
  const pc = pieces.find((x) => x.name === name);
  settings.piece = name;
  for (const k of ['key', 'mode', 'bpm', 'intensity']) if (pc?.defaults[k] !== undefined) settings[k] = pc.defaults[k];
  delete settings.seed; // a new performance of that piece
  save();
  delete player.desired.station;
  retuneToSettings();
  if (!player.wantPlaying) play();
}
async function loadGallery() {
  const pj = await getJson('/api/pieces');
  const list = Array.isArray(pj) ? pj : pj?.pieces;
  if (Array.isArray(list)) {
    pieces = list.filter((x) => x && typeof x.name === 'string')
      .map((x) => ({ name: x.name, title: x.title ?? x.display_name ?? x.name, description: x.description ?? '', defaults: P.normalizeParams(Object.fromEntries(['key', 'mode', 'bpm', 'intensity'].filter((k) => x[k] !== undefined).map((k) => [k, x[k]]))) }));
  }
  const rj = await getJson('/api/presets');
  const rl = Array.isArray(rj) ? rj : rj?.presets ?? [];
  presets = rl.filter((x) => x && typeof x.name === 'string').map((x) => ({ name: x.name, description: x.description ?? '', params: P.normalizeParams(x.params ?? x) }));
  const presetButton = (pr, i, asCard) => {
    const onClick = () => applyPreset(pr);
    const p = pr.params;
    const line = pr.description || [p.key, p.mode, p.bpm && `${p.bpm} bpm`].filter(Boolean).join(' ');
    let b;
    if (asCard) b = card({ title: pr.name, description: line, art: pr.name, seed: 'preset' }, onClick);
    else { b = document.createElement('button'); b.type = 'button'; b.textContent = pr.name; b.title = line; b.addEventListener('click', onClick); }
    b.dataset.preset = String(i);
    b.setAttribute('aria-pressed', 'false');
    return b;
  };
  if (pieces.length) {
    $('gallery-title').textContent = 'Pieces';
    for (const pc of pieces) {
      const b = card({ title: pc.title, description: pc.description, art: pc.name, seed: 'piece' }, () => choosePiece(pc.name));
      b.dataset.piece = pc.name;
      $('presets').append(b);
    }
    presets.forEach((pr, i) => $('moods').append(presetButton(pr, i, false)));
    $('moods').hidden = presets.length === 0;
  } else {
    presets.forEach((pr, i) => $('presets').append(presetButton(pr, i, true)));
  }
  showName();
  markActive();
}
loadGallery();

// What this server offers (GET /api/health): its station-name rule, exports,
// how long it keeps a performance for resuming. Older servers say less.
const features = { exportFormats: null, resumeKeepS: null };
getJson('/api/health').then((h) => {
  if (!h) return;
  if (useStationRule(h.station_name)) applyStationRule();
  if (h.export?.enabled) features.exportFormats = Array.isArray(h.export.formats) ? h.export.formats : ['flac'];
  if (Number.isFinite(h.resume_keep_s)) features.resumeKeepS = h.resume_keep_s;
  showExport();
});

// ---- seed, link, moment, new performance -----------------------------------
async function copyText(text, said) {
  try { await navigator.clipboard.writeText(text); toast(said); } catch { toast(text); }
}
function linkTo(query) { return `${location.origin}${location.pathname}?${query}`; }
$('copy').addEventListener('click', () => copyText(linkTo(shareQuery()), 'Link copied: it plays this performance'));
// A moment: the starting parameters, the timeline and where the listener
// is; the server replays it to there (docs/protocol.md, Resume).
function momentQuery() {
  const pf = player.perf;
  if (!pf) return null;
  return P.paramsToQuery({ ...pf.start, timeline: pf.timeline.join(';') || undefined, position: player.playedPosition() });
}
$('share-moment').hidden = true; // until a server with resume says hello
$('share-moment').addEventListener('click', () => {
  const q = momentQuery();
  if (q) copyText(linkTo(q), 'Link copied: it plays this performance from this moment');
});
// Where to resume after a reload: saved while playing and on leaving.
function saveResume() {
  const pf = player.perf;
  if (!pf || player.desired.station || pf.start?.seed === undefined) return;
  const position = player.wantPlaying ? player.playedPosition() : player.pausePosition ?? player.resumeFrom?.position ?? player.playedPosition();
  if (!Number.isSafeInteger(position) || position <= 0) return;
  writeJson(RESUME, { id: pf.id, start: pf.start, timeline: pf.timeline, keptS: pf.keptS, position, query: shareQuery(), at: Date.now() });
}
setInterval(() => { if (player.wantPlaying && player.state === 'playing') saveResume(); }, 2000);
window.addEventListener('pagehide', saveResume);
$('reseed').addEventListener('click', () => {
  delete settings.seed;
  save();
  retuneToSettings();
  if (!player.wantPlaying) play();
});
function retuneToSettings() {
  try { localStorage.removeItem(RESUME); } catch { /* nothing kept */ }
  player.retune(settings.station ? { station: settings.station } : pieceDesired());
  events.length = 0;
  visuals.clear();
  showStation();
  showName();
  markActive();
}

// ---- save what I heard -------------------------------------------------------
// Needs the server's export jobs; until the server offers them the row says so.
function showExport() {
  const on = !!features.exportFormats;
  for (const id of ['save', 'save-range', 'save-format']) $(id).disabled = !on || exporting;
  for (const o of $('save-format').options) o.hidden = on && !features.exportFormats.includes(o.value);
  if (!on) $('save-note').textContent = 'not on this server yet';
  else if ($('save-note').textContent === 'not on this server yet') $('save-note').textContent = '';
}
let exporting = false;
function saveNote(text) { $('save-note').textContent = text; }
function fileName() {
  const c = current();
  const name = player.desired.station ? `station ${player.desired.station}` : performanceName(c.seed) || 'auralis';
  return c.piece ? `${pieceTitle(c.piece)} ${name}` : name;
}
$('save').addEventListener('click', async () => {
  const pf = player.perf;
  if (!pf?.id) { saveNote('press play first: nothing heard yet'); return; }
  const rate = player.streamRate;
  const to = player.playedPosition();
  if (to < rate) { saveNote('listen a little first'); return; }
  const range = $('save-range').value;
  const q = new URLSearchParams({ stream: pf.id, format: $('save-format').value, to: String(to), name: fileName() });
  if (range !== 'all' && Number(range) * 60 * rate < to) q.set('minutes', range);
  // the performance itself too, so that whichever node gets the request
  // can render it (the id is known only where the stream ran)
  if (!player.desired.station && pf.start?.seed !== undefined) {
    const described = P.streamUrl('', { ...pf.start, timeline: pf.timeline.join(';') || undefined }).slice(1);
    for (const [k, v] of new URLSearchParams(described)) if (k !== 'codec' && !q.has(k)) q.set(k, v);
  }
  exporting = true;
  showExport();
  $('save-progress').hidden = false;
  $('save-progress').value = 0;
  saveNote('Starting…');
  try {
    const r = await fetch(`/api/export?${q}`, { method: 'POST' });
    let st = await r.json().catch(() => null);
    if (r.status !== 202 || !st?.status_url) throw new Error(st?.message ?? `the server said ${r.status}`);
    while (st.status === 'queued' || st.status === 'running') {
      $('save-progress').value = st.progress ?? 0;
      saveNote(st.status === 'queued' ? `Waiting for the renderer${st.queue_position ? ` (${st.queue_position} ahead)` : ''}…` : `Rendering… ${Math.round((st.progress ?? 0) * 100)} %`);
      await new Promise((res) => setTimeout(res, 1000));
      const rr = await fetch(st.status_url, { cache: 'no-store' });
      st = await rr.json().catch(() => null);
      if (!rr.ok || !st) throw new Error(st?.message ?? `the server said ${rr.status}`);
    }
    if (st.status !== 'done' || !st.download_url) throw new Error(st.error ?? `export ${st.status}`);
    $('save-progress').value = 1;
    const a = document.createElement('a');
    a.href = st.download_url;
    a.download = st.filename ?? '';
    document.body.append(a);
    a.click();
    a.remove();
    saveNote(`Saved ${st.filename}`);
  } catch (err) {
    saveNote(`Could not save: ${err.message}`);
  } finally {
    exporting = false;
    $('save-progress').hidden = true;
    showExport();
  }
});
showExport();

// ---- favourites and history (this browser only) ----------------------------
function perfRecord() {
  if (player.desired.station) return { id: `station:${player.desired.station}`, name: `Station ${player.desired.station}`, query: shareQuery() };
  const c = current();
  if (c.seed === undefined) return null;
  return { id: `seed:${c.piece ?? ''}:${c.seed}`, name: performanceName(c.seed), piece: c.piece ?? null, query: shareQuery(), at: Date.now() };
}
function remember() {
  const r = perfRecord();
  if (!r) return;
  const h = readJson(HIST, []).filter((x) => x.id !== r.id);
  h.unshift(r);
  writeJson(HIST, h.slice(0, HISTORY_MAX));
  const favs = readJson(FAVS, []);
  const f = favs.find((x) => x.id === r.id);
  if (f) { f.query = r.query; writeJson(FAVS, favs); }
  renderLists();
}
$('fav').addEventListener('click', () => {
  const r = perfRecord();
  if (!r) { toast('Press play first: a performance gets its name when it starts'); return; }
  let favs = readJson(FAVS, []);
  if (favs.some((x) => x.id === r.id)) favs = favs.filter((x) => x.id !== r.id);
  else favs.unshift(r);
  writeJson(FAVS, favs.slice(0, 50));
  renderLists();
});
function ago(t) {
  const m = Math.round((Date.now() - t) / 60000);
  if (m < 1) return 'now';
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h ago` : `${Math.round(h / 24)} days ago`;
}
function renderList(el, list, removable) {
  el.replaceChildren();
  if (!list.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = removable ? 'None yet: the star keeps what you like' : 'Nothing yet';
    el.append(li);
    return;
  }
  for (const r of list) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `?${r.query}`;
    const name = document.createElement('span');
    name.textContent = r.piece ? `${r.name} · ${pieceTitle(r.piece)}` : r.name;
    a.append(name);
    if (r.at && !removable) { const w = document.createElement('span'); w.className = 'when'; w.textContent = ago(r.at); a.append(w); }
    a.addEventListener('click', (e) => { e.preventDefault(); openQuery(r.query); });
    li.append(a);
    if (removable) {
      const x = document.createElement('button');
      x.type = 'button';
      x.className = 'ghost';
      x.textContent = '×';
      x.setAttribute('aria-label', `Remove ${r.name} from favourites`);
      x.addEventListener('click', () => { writeJson(FAVS, readJson(FAVS, []).filter((y) => y.id !== r.id)); renderLists(); });
      li.append(x);
    }
    el.append(li);
  }
}
function renderLists() {
  const favs = readJson(FAVS, []);
  renderList($('favourites'), favs, true);
  renderList($('recent'), readJson(HIST, []), false);
  const r = perfRecord();
  const on = !!r && favs.some((x) => x.id === r.id);
  $('fav').setAttribute('aria-pressed', String(on));
  $('fav').setAttribute('aria-label', on ? 'Favourite (press to forget)' : 'Keep as favourite');
}
// Opens a performance from a link's query without leaving the page.
function openQuery(query) {
  const p = P.queryToParams(`?${query}`);
  for (const k of [...PIECE_FIELDS, 'station']) delete settings[k];
  for (const l of P.LAYERS) settings[l] = true;
  settings.wander = false;
  settings.volumes = {};
  Object.assign(settings, p);
  save();
  for (const r of document.querySelectorAll('[data-volume]')) r.value = String(settings.volumes[r.dataset.volume] ?? 1);
  showParams({ ...settings, ...Object.fromEntries(P.LAYERS.map((l) => [l, settings[l] !== false])) });
  retuneToSettings();
  if (!player.wantPlaying) play();
}
renderLists();

// ---- stations: the server's name rule, the server's reasons ----------------
function showStation() {
  const st = player.desired.station;
  $('leave').hidden = !st;
  $('station').value = st ?? '';
}
function applyStationRule() {
  const r = stationRule();
  $('station').maxLength = r.max;
  $('station').pattern = r.pattern.replace(/^\^|\$$/g, '');
  $('station').title = r.rule.replace(/^station must be /, '');
}
applyStationRule();
$('station-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('station').value.trim();
  const problem = stationNameProblem(name);
  if (problem) { toast(problem); return; }
  settings.station = name;
  save();
  retuneToSettings();
  if (!player.wantPlaying) play();
});
function leaveStation() {
  delete settings.station;
  save();
  retuneToSettings();
}
$('leave').addEventListener('click', leaveStation);
showStation();

// ---- sleep timer: a fade over the last minutes, then pause ------------------
// The fade works on the volume (the sleep gain), so the music keeps playing
// and the page says "Fading out, 3 min left", not "Paused", until it ends.
const sleep = { endAt: 0, fadeMs: 0, fading: false, ended: false, gain: 1 };
function fmtLeft(ms) {
  if (ms >= 120000) return `${Math.ceil(ms / 60000)} min`;
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : `${s} s`;
}
function sleepText() {
  if (!sleep.endAt) return sleep.ended ? 'Sleep timer ended' : '';
  const left = sleep.endAt - performance.now();
  return sleep.fading ? `Fading out, ${fmtLeft(left)} left` : `Sleep in ${fmtLeft(left)}`;
}
function startSleep(seconds, fadeSeconds = Math.min(SLEEP_FADE_MAX_S, seconds * SLEEP_FADE_FRACTION)) {
  restoreSleepGain();
  sleep.endAt = performance.now() + seconds * 1000;
  sleep.fadeMs = Math.max(1000, Math.min(seconds, fadeSeconds) * 1000);
  sleep.fading = false;
  sleep.ended = false;
  $('sleep-cancel').hidden = false;
  tickSleep();
}
function cancelSleep() {
  sleep.endAt = 0;
  sleep.fading = false;
  sleep.ended = false;
  $('sleep').value = '0';
  $('sleep-custom').hidden = $('sleep-start').hidden = true;
  $('sleep-cancel').hidden = true;
  restoreSleepGain();
  tickSleep();
}
// Back to full volume over 2 s (never a jump).
let restoreTimer = null;
function restoreSleepGain() {
  clearInterval(restoreTimer);
  if (sleep.gain >= 1) return;
  restoreTimer = setInterval(() => {
    sleep.gain = Math.min(1, sleep.gain + 0.05);
    player.setSleepGain(sleep.gain);
    if (sleep.gain >= 1) clearInterval(restoreTimer);
  }, 100);
}
$('sleep').addEventListener('change', (e) => {
  const v = e.target.value;
  const custom = v === 'custom';
  $('sleep-custom').hidden = $('sleep-start').hidden = !custom;
  if (custom) { $('sleep-custom').focus(); return; }
  if (Number(v) > 0) startSleep(Number(v) * 60); else cancelSleep();
});
$('sleep-start').addEventListener('click', () => {
  const min = Number($('sleep-custom').value);
  if (!(min >= 1 && min <= 720)) { toast(`sleep timer: 1 to 720 minutes (got ${$('sleep-custom').value || 'nothing'})`); return; }
  $('sleep-custom').hidden = $('sleep-start').hidden = true;
  startSleep(min * 60);
});
$('sleep-cancel').addEventListener('click', cancelSleep);
function tickSleep() {
  if (sleep.endAt) {
    const left = sleep.endAt - performance.now();
    if (left <= 0) {
      sleep.endAt = 0;
      sleep.fading = false;
      sleep.ended = true;
      $('sleep').value = '0';
      $('sleep-cancel').hidden = true;
      if (player.wantPlaying) pause();
      // silent already; full volume again for the next play once paused
      setTimeout(() => { if (!player.wantPlaying) { sleep.gain = 1; player.setSleepGain(1); } }, 1500);
    } else if (left <= sleep.fadeMs) {
      sleep.fading = true;
      const x = left / sleep.fadeMs;
      sleep.gain = x * x; // on top of the volume: an even-sounding fade
      player.setSleepGain(sleep.gain);
    }
  }
  if (sleep.ended && player.wantPlaying) sleep.ended = false;
  const text = sleepText();
  $('sleep-left').textContent = text;
  $('imm-sleep').textContent = text;
  showStatus();
}

// ---- full-screen visual ------------------------------------------------------
let immersive = false, idleTimer = null, wakeLock = null;
function poke() {
  document.body.classList.remove('idle');
  clearTimeout(idleTimer);
  if (immersive) idleTimer = setTimeout(() => document.body.classList.add('idle'), IDLE_MS);
}
async function setImmersive(on) {
  if (on === immersive) return;
  immersive = on;
  document.body.classList.toggle('immersive', on);
  visuals.setImmersive(on);
  $('immersive').setAttribute('aria-pressed', String(on));
  $('immersive').setAttribute('aria-label', on ? 'Leave full screen' : 'Full-screen visual');
  poke();
  if (on) {
    try { if (document.fullscreenEnabled && !document.fullscreenElement) await document.documentElement.requestFullscreen(); } catch { /* the page fills the window instead */ }
    try { wakeLock = await navigator.wakeLock?.request('screen'); } catch { wakeLock = null; } // left on all night
  } else {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    wakeLock?.release().catch(() => {});
    wakeLock = null;
  }
}
$('immersive').addEventListener('click', () => setImmersive(!immersive));
$('imm-exit').addEventListener('click', () => setImmersive(false));
document.addEventListener('fullscreenchange', () => { if (!document.fullscreenElement && immersive) setImmersive(false); });
for (const ev of ['pointermove', 'pointerdown', 'keydown', 'touchstart']) document.addEventListener(ev, poke, { passive: true });
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && immersive) setImmersive(false); });

// ---- Media Session: the performance's name, not the changing chord -----------
let lastMeta = '';
function updateMediaSession() {
  if (!('mediaSession' in navigator) || typeof MediaMetadata !== 'function') return;
  const c = current();
  const title = $('perf-name').textContent;
  const album = player.desired.station ? 'Auralis station' : pieceTitle(c.piece) ?? `${c.key ?? ''} ${c.mode ?? ''}`.trim();
  const key = `${title}|${album}`;
  if (key === lastMeta) return;
  lastMeta = key;
  navigator.mediaSession.metadata = new MediaMetadata({
    title, artist: 'Auralis', album,
    artwork: [{ src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' }, { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' }],
  });
}
if ('mediaSession' in navigator) {
  navigator.mediaSession.setActionHandler('play', play);
  navigator.mediaSession.setActionHandler('pause', pause);
  try { navigator.mediaSession.setActionHandler('stop', pause); } catch { /* optional */ }
}

// ---- installable app -----------------------------------------------------------
// The service worker keeps the player's files so it opens at once (and
// offline); audio always comes from the server.
if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('sw.js').catch(() => { /* the page works without it */ });
}
let installPrompt = null;
window.addEventListener('beforeinstallprompt', (e) => { e.preventDefault(); installPrompt = e; $('install').hidden = false; });
$('install').addEventListener('click', async () => {
  if (!installPrompt) return;
  installPrompt.prompt();
  await installPrompt.userChoice.catch(() => null);
  installPrompt = null;
  $('install').hidden = true;
});

// ---- toast ----------------------------------------------------------------
let toastTimer = null;
function toast(msg) {
  const t = $('toast');
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 4500);
}

// Initial display from the settings, until the server says otherwise.
showParams({ key: settings.key ?? 'D', mode: settings.mode ?? 'dorian', bpm: settings.bpm ?? 60, intensity: settings.intensity ?? 0.4, seed: settings.seed ?? '—', wander: !!settings.wander, volumes: settings.volumes, ...Object.fromEntries(P.LAYERS.map((l) => [l, settings[l] !== false])) });
setPlayButton();
showStatus();

// ---- for tests and operators ----------------------------------------------
window.auralis = {
  stats: () => player.stats(),
  metrics: () => player.metrics(),
  params: () => ({ ...player.params }),
  settings: () => JSON.parse(JSON.stringify(settings)),
  name: () => $('perf-name').textContent,
  shareLink: () => linkTo(shareQuery()),
  // sleep timer in seconds (the select offers minutes), for tests
  sleep: (seconds, fadeSeconds) => startSleep(seconds, fadeSeconds),
  cancelSleep,
  sleepState: () => ({ text: sleepText(), fading: sleep.fading, ended: sleep.ended, gain: sleep.gain }),
  immersive: (on) => setImmersive(on),
  mixer: () => mixer,
  performance: () => (player.perf ? { id: player.perf.id, start: { ...player.perf.start }, timeline: player.perf.timeline.join(';'), position: player.playedPosition() } : null),
  momentLink: () => { const q = momentQuery(); return q ? linkTo(q) : null; },
  play, pause,
  player,
};
