// Wire protocol v1 (docs/protocol.md): the binary chunk header, pcm16
// decoding, server message parsing and client message building, and the
// mapping between player parameters and URLs. Pure functions, any thread.

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 24;
export const MAGIC = 'AUR1';
export const CODEC_PCM16 = 0;
export const CODEC_OPUS = 1;

export const KEYS = Object.freeze(['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B']);
export const MODES = Object.freeze(['ionian', 'dorian', 'phrygian', 'lydian', 'mixolydian', 'aeolian', 'locrian']);
export const LAYERS = Object.freeze(['pads', 'melody', 'bass', 'percussion', 'textures', 'bells']);
export const BPM_MIN = 30;
export const BPM_MAX = 200;

// Parses the 24-byte little-endian header of a binary audio frame.
// Throws on anything malformed, so a corrupt frame is never played.
export function parseHeader(buf) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < HEADER_BYTES)
    throw new Error(`audio frame too short (${buf?.byteLength ?? 0} bytes)`);
  const dv = new DataView(buf);
  const magic = String.fromCharCode(dv.getUint8(0), dv.getUint8(1), dv.getUint8(2), dv.getUint8(3));
  if (magic !== MAGIC) throw new Error(`bad audio frame magic '${magic}'`);
  const h = {
    seq: dv.getUint32(4, true),
    position: Number(dv.getBigUint64(8, true)),
    frames: dv.getUint32(16, true),
    codec: dv.getUint16(20, true),
    channels: dv.getUint16(22, true),
  };
  if (h.channels < 1 || h.channels > 2) throw new Error(`unsupported channel count ${h.channels}`);
  if (h.codec === CODEC_PCM16 && buf.byteLength !== HEADER_BYTES + h.frames * h.channels * 2)
    throw new Error(`pcm16 payload is ${buf.byteLength - HEADER_BYTES} bytes, header says ${h.frames} frames`);
  return h;
}

// pcm16 payload -> interleaved stereo Float32Array (mono is duplicated).
export function decodePcm16(buf, h, out = null) {
  const n = h.frames;
  const dst = out ?? new Float32Array(n * 2);
  const dv = new DataView(buf, HEADER_BYTES);
  const s = 1 / 32768;
  if (h.channels === 2) {
    for (let i = 0; i < n * 2; i++) dst[i] = dv.getInt16(i * 2, true) * s;
  } else {
    for (let i = 0; i < n; i++) dst[2 * i] = dst[2 * i + 1] = dv.getInt16(i * 2, true) * s;
  }
  return dst;
}

// Builds a valid header + payload (used by tests and the mock server).
export function encodeChunk(seq, position, interleaved, channels = 2) {
  const frames = interleaved.length / channels;
  const buf = new ArrayBuffer(HEADER_BYTES + interleaved.length * 2);
  const dv = new DataView(buf);
  for (let i = 0; i < 4; i++) dv.setUint8(i, MAGIC.charCodeAt(i));
  dv.setUint32(4, seq, true);
  dv.setBigUint64(8, BigInt(position), true);
  dv.setUint32(16, frames, true);
  dv.setUint16(20, CODEC_PCM16, true);
  dv.setUint16(22, channels, true);
  for (let i = 0; i < interleaved.length; i++) {
    const v = Math.max(-32768, Math.min(32767, Math.round(interleaved[i] * 32767)));
    dv.setInt16(HEADER_BYTES + i * 2, v, true);
  }
  return buf;
}

export function keyName(k) {
  if (typeof k === 'number') return KEYS[((k % 12) + 12) % 12];
  if (typeof k !== 'string' || !k) return null;
  const flats = { Db: 'C#', Eb: 'D#', Gb: 'F#', Ab: 'G#', Bb: 'A#' };
  const norm = k[0].toUpperCase() + k.slice(1);
  if (flats[norm]) return flats[norm];
  return KEYS.includes(norm) ? norm : null;
}

export function modeName(m) {
  if (typeof m === 'number') return MODES[m] ?? null;
  if (typeof m !== 'string') return null;
  const l = m.toLowerCase();
  if (l === 'major') return 'ionian';
  if (l === 'minor') return 'aeolian';
  return MODES.includes(l) ? l : null;
}

// Normalises a params object from hello/state/presets: key and mode as
// names, numbers as numbers, layers as booleans. Unknown fields are kept.
export function normalizeParams(p = {}) {
  const out = { ...p };
  if ('key' in p) out.key = keyName(p.key) ?? p.key;
  if ('mode' in p) out.mode = modeName(p.mode) ?? p.mode;
  if ('bpm' in p) out.bpm = Number(p.bpm);
  if ('intensity' in p) out.intensity = Number(p.intensity);
  if ('seed' in p && p.seed !== null && p.seed !== undefined) out.seed = String(p.seed);
  if (p.layers && typeof p.layers === 'object') {
    for (const [k, v] of Object.entries(p.layers)) out[k] = !!v;
    delete out.layers;
  }
  for (const l of [...LAYERS, 'wander']) if (l in out) out[l] = !!out[l];
  // per-layer volumes (0..1), when the server has them
  const vols = p.volumes ?? p.layer_volumes;
  if (vols && typeof vols === 'object') {
    out.volumes = {};
    for (const [k, v] of Object.entries(vols)) if (LAYERS.includes(k) && Number.isFinite(Number(v))) out.volumes[k] = Number(v);
    if (out.layer_volumes) delete out.layer_volumes;
  }
  return out;
}

// Parses a server text frame. Returns {type, ...} or null when it is not a
// JSON object with a string type (ignored, never fatal).
export function parseServerMessage(text) {
  let m;
  try { m = JSON.parse(text); } catch { return null; }
  if (!m || typeof m !== 'object' || typeof m.type !== 'string') return null;
  if (m.type === 'hello' || m.type === 'state') m.params = normalizeParams(m.params ?? {});
  if (m.type === 'event') return normalizeEvent(m);
  return m;
}

// Event messages: {type:'event', event|kind: 'chord'|'section'|'key'|
// 'note_on'|'note_off'|'note', position|pos|at, ...}. Returns a flat object
// with kind and position (frames), tolerant of the field spellings.
export function normalizeEvent(m) {
  let kind = String(m.event ?? m.kind ?? m.what ?? m.name_of ?? '').toLowerCase();
  if (!kind && m.chord) kind = 'chord';
  if (kind === 'note' && m.on === false) kind = 'note_off';
  if (kind === 'note') kind = 'note_on';
  const position = Number(m.position ?? m.pos ?? m.at ?? 0);
  const e = { type: 'event', kind, position, raw: m };
  if (kind === 'chord') {
    const c = typeof m.chord === 'object' && m.chord ? m.chord : m;
    e.name = c.name ?? (typeof m.chord === 'string' ? m.chord : '');
    e.degree = c.degree ?? null;
    e.tones = Array.isArray(c.tones) ? c.tones.map(Number) : [];
    e.root = c.root ?? null;
  } else if (kind === 'section') {
    const s = typeof m.section === 'object' && m.section ? m.section : m;
    e.name = s.name ?? (typeof m.section === 'string' ? m.section : '');
    e.index = s.index ?? null;
  } else if (kind === 'key') {
    e.key = keyName(m.key) ?? m.key;
    e.mode = modeName(m.mode) ?? m.mode;
  } else if (kind === 'note_on' || kind === 'note_off') {
    e.note = Number(m.note);
    e.velocity = Number(m.velocity ?? m.vel ?? 80);
    e.layer = typeof m.layer === 'number' ? LAYERS[m.layer] ?? String(m.layer) : String(m.layer ?? '');
  }
  return e;
}

// The WebSocket URL for a stream: a station by name, or a personal stream
// with seed and parameters (each optional: the server picks the rest).
// codec: 'pcm16' or 'opus' (see codec.js).
export function streamUrl(base, p = {}, codec = 'pcm16') {
  const q = new URLSearchParams();
  if (p.station) {
    q.set('station', p.station);
  } else {
    if (p.seed !== undefined && p.seed !== null && p.seed !== '') q.set('seed', String(p.seed));
    if (p.key) q.set('key', p.key);
    if (p.mode) q.set('mode', p.mode);
    if (Number.isFinite(p.bpm)) q.set('bpm', String(p.bpm));
    if (Number.isFinite(p.intensity)) q.set('intensity', String(p.intensity));
    if (typeof p.wander === 'boolean') q.set('wander', String(p.wander));
    for (const l of LAYERS) if (p[l] === false) q.set(l, 'false');
    if (p.piece) q.set('piece', p.piece);
    // layer volumes (a server without them ignores unknown names)
    if (p.volumes) for (const l of LAYERS) if (Number.isFinite(p.volumes[l]) && p.volumes[l] !== 1) q.set(`${l}_volume`, String(p.volumes[l]));
    // the same performance at a position: by id on a server that keeps it,
    // else replayed from the starting parameters and the timeline
    if (p.resume) q.set('resume', p.resume);
    if (p.timeline) q.set('timeline', p.timeline);
    if (Number.isSafeInteger(p.position) && p.position >= 0) q.set('position', String(p.position));
  }
  q.set('codec', codec === 'opus' ? 'opus' : 'pcm16');
  return `${base}?${q}`;
}

// A `set` message carrying only fields that are valid to send.
export function setMessage(changes) {
  const m = { type: 'set' };
  for (const [k, v] of Object.entries(changes)) {
    if (k === 'key') { const n = keyName(v); if (n) m.key = n; }
    else if (k === 'mode') { const n = modeName(v); if (n) m.mode = n; }
    else if (k === 'bpm' || k === 'intensity') { if (Number.isFinite(Number(v))) m[k] = Number(v); }
    else if (LAYERS.includes(k) || k === 'wander') m[k] = !!v;
    else if (k === 'piece') { if (typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v)) m.piece = v; }
    else if (k === 'volumes' && v && typeof v === 'object') {
      const vols = {};
      for (const [l, x] of Object.entries(v)) if (LAYERS.includes(l) && Number(x) >= 0 && Number(x) <= 1) vols[l] = Number(x);
      if (Object.keys(vols).length) m.volumes = vols;
    }
  }
  return JSON.stringify(m);
}

export function clientStatsMessage(s) {
  return JSON.stringify({
    type: 'client_stats',
    buffer_ms: Math.round(s.buffer_ms),
    tier: s.tier,
    underruns: s.underruns,
    jitter_ms: Math.round(s.jitter_ms * 10) / 10,
  });
}

// Page URL query <-> player settings ("copy link" reproduces the piece).
export function paramsToQuery(p) {
  const q = new URLSearchParams();
  if (p.station) { q.set('station', p.station); return q.toString(); }
  if (p.seed !== undefined && p.seed !== null && p.seed !== '') q.set('seed', String(p.seed));
  for (const k of ['key', 'mode']) if (p[k]) q.set(k, p[k]);
  for (const k of ['bpm', 'intensity']) if (Number.isFinite(p[k])) q.set(k, String(p[k]));
  if (typeof p.wander === 'boolean') q.set('wander', p.wander ? '1' : '0');
  const off = LAYERS.filter((l) => p[l] === false);
  if (off.length) q.set('off', off.join(','));
  if (p.volumes) {
    const v = LAYERS.filter((l) => Number.isFinite(p.volumes[l]) && p.volumes[l] !== 1).map((l) => `${l}:${Math.round(p.volumes[l] * 100)}`);
    if (v.length) q.set('vol', v.join(','));
  }
  if (p.piece) q.set('piece', p.piece);
  if (p.timeline) q.set('timeline', p.timeline);
  if (Number.isSafeInteger(p.position) && p.position >= 0) q.set('position', String(p.position));
  return q.toString();
}

export function queryToParams(search) {
  const q = new URLSearchParams(search);
  const p = {};
  if (q.get('station')) p.station = q.get('station').slice(0, 64);
  const seed = q.get('seed');
  if (seed && /^\d{1,20}$/.test(seed)) p.seed = seed;
  const k = keyName(q.get('key') ?? '');
  if (k) p.key = k;
  const m = modeName(q.get('mode') ?? '');
  if (m) p.mode = m;
  const bpm = Number(q.get('bpm'));
  if (q.get('bpm') !== null && bpm >= BPM_MIN && bpm <= BPM_MAX) p.bpm = bpm;
  const it = Number(q.get('intensity'));
  if (q.get('intensity') !== null && it >= 0 && it <= 1) p.intensity = it;
  if (q.get('off') !== null) {
    const off = q.get('off').split(',');
    for (const l of LAYERS) p[l] = !off.includes(l);
  }
  const w = q.get('wander');
  if (w !== null && /^(1|0|true|false|on|off|yes|no)$/.test(w)) p.wander = /^(1|true|on|yes)$/.test(w);
  if (q.get('vol') !== null) {
    p.volumes = {};
    for (const part of q.get('vol').split(',')) {
      const [l, v] = part.split(':');
      const n = Number(v);
      if (LAYERS.includes(l) && v !== '' && n >= 0 && n <= 100) p.volumes[l] = n / 100;
    }
  }
  const piece = q.get('piece');
  if (piece && /^[A-Za-z0-9._-]{1,64}$/.test(piece)) p.piece = piece;
  // a moment: the timeline of changes and a position (sample frames)
  const tl = q.get('timeline');
  if (tl && tl.length <= 16000 && /^[\x20-\x7e]+$/.test(tl)) p.timeline = tl;
  const pos = q.get('position');
  if (pos && /^\d{1,15}$/.test(pos)) p.position = Number(pos);
  return p;
}
