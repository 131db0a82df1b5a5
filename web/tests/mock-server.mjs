// A small stand-in for `auralis serve` speaking protocol v1 (hello, 500 ms
// burst then one 100 ms pcm16 chunk per 100 ms, chord/section/note events,
// state after set, pong). For developing and looking at the player without
// the real server: `node web/tests/mock-server.mjs [port]`. Not a test.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { encodeChunk, KEYS, MODES } from '../public/js/protocol.js';
import { stationNameProblem } from '../public/js/names.js';

const require = createRequire(import.meta.url);
const { WebSocketServer } = require('ws');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.webmanifest': 'application/manifest+json' };
const SR = 48000, CHUNK = 4800;
const PRESETS = [
  { name: 'Focus', key: 'D', mode: 'dorian', bpm: 64, intensity: 0.35 },
  { name: 'Meditation', key: 'A', mode: 'aeolian', bpm: 48, intensity: 0.2 },
  { name: 'Sleep', key: 'F', mode: 'lydian', bpm: 40, intensity: 0.1 },
  { name: 'Bright', key: 'G', mode: 'mixolydian', bpm: 84, intensity: 0.6 },
];
const DEGREES = [0, 5, 3, 4]; // i, vi-ish, iv, v-ish in scale steps
const SCALES = { ionian: [0, 2, 4, 5, 7, 9, 11], dorian: [0, 2, 3, 5, 7, 9, 10], phrygian: [0, 1, 3, 5, 7, 8, 10], lydian: [0, 2, 4, 6, 7, 9, 11], mixolydian: [0, 2, 4, 5, 7, 9, 10], aeolian: [0, 2, 3, 5, 7, 8, 10], locrian: [0, 1, 3, 5, 6, 8, 10] };

function stream(ws, q, opts) {
  const params = {
    seed: q.get('seed') ?? String(Math.floor(Math.random() * 1e9)), key: q.get('key') ?? 'D', mode: q.get('mode') ?? 'dorian',
    bpm: Number(q.get('bpm') ?? 60), intensity: Number(q.get('intensity') ?? 0.4), wander: false,
    pads: true, melody: true, bass: true, percussion: true, textures: true, bells: true,
  };
  const LAYERS = ['pads', 'melody', 'bass', 'percussion', 'textures', 'bells'];
  if (q.get('wander') !== null) params.wander = q.get('wander') === 'true';
  if (opts.pieces) params.piece = q.get('piece') ?? 'drift';
  for (const l of LAYERS) if (q.get(l) !== null) params[l] = q.get(l) !== 'false';
  if (opts.volumes) {
    params.volumes = Object.fromEntries(LAYERS.map((l) => [l, 1]));
    for (const l of LAYERS) if (q.get(`${l}_volume`) !== null) params.volumes[l] = Number(q.get(`${l}_volume`));
  }
  const id = `mock-${Math.random().toString(36).slice(2, 8)}`;
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, stream: id, sample_rate: SR, channels: 2, codec: 'pcm16', chunk_ms: 100, params }));
  let seq = 0, pos = 0, chordIdx = -1;
  let voices = []; // {f, a}
  const phase = new Float64Array(8);
  const chordAt = (p) => Math.floor(p / (SR * 4));
  function nextChunk() {
    const c = chordAt(pos);
    if (c !== chordIdx) {
      chordIdx = c;
      const sc = SCALES[params.mode] ?? SCALES.dorian, root = KEYS.indexOf(params.key);
      const deg = DEGREES[c % DEGREES.length];
      const tones = [0, 2, 4, 6].map((i) => 48 + root + sc[(deg + i) % 7] + 12 * Math.floor((deg + i) / 7));
      voices = tones.map((n) => ({ f: 440 * 2 ** ((n - 69) / 12), a: 0.05 }));
      ws.send(JSON.stringify({ type: 'event', event: 'chord', name: `${KEYS[(root + sc[deg]) % 12]}${['m7', 'maj7', 'sus2', 'add9'][c % 4]}`, degree: deg + 1, tones, position: pos }));
      if (c % 4 === 0) ws.send(JSON.stringify({ type: 'event', event: 'section', name: ['calm', 'rise', 'plateau', 'fall'][(c / 4) % 4], index: c / 4, position: pos }));
      for (let i = 0; i < 3; i++) {
        const n = tones[(i + c) % 4] + 24;
        const at = pos + Math.round(SR * (0.5 + i * 1.2));
        ws.send(JSON.stringify({ type: 'event', event: 'note_on', layer: 'melody', note: n, velocity: 70 + i * 10, position: at }));
        ws.send(JSON.stringify({ type: 'event', event: 'note_off', layer: 'melody', note: n, position: at + SR }));
      }
    }
    const x = new Float32Array(CHUNK * 2);
    for (let i = 0; i < CHUNK; i++) {
      let s = 0;
      voices.forEach((v, j) => { phase[j] += (2 * Math.PI * v.f) / SR; s += v.a * Math.sin(phase[j]); });
      x[2 * i] = s; x[2 * i + 1] = s;
    }
    const buf = encodeChunk(seq++, pos, x);
    pos += CHUNK;
    return Buffer.from(buf);
  }
  for (let i = 0; i < 5; i++) ws.send(nextChunk());
  const t0 = performance.now();
  let sent = 5;
  const timer = setInterval(() => {
    while (performance.now() - t0 >= (sent - 4) * 100) { ws.send(nextChunk()); sent++; }
  }, 10);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003);
    let m; try { m = JSON.parse(String(data)); } catch { return ws.send(JSON.stringify({ type: 'error', code: 'bad_json', message: 'bad json' })); }
    if (m.type === 'ping') ws.send(JSON.stringify({ type: 'pong', t: m.t }));
    else if (m.type === 'set') {
      for (const k of ['key', 'mode', 'bpm', 'intensity', 'wander', ...LAYERS, ...(opts.pieces ? ['piece'] : [])]) if (k in m) params[k] = m[k];
      if (m.volumes && params.volumes) Object.assign(params.volumes, m.volumes);
      if (m.bpm !== undefined && (m.bpm < 30 || m.bpm > 200)) return ws.send(JSON.stringify({ type: 'error', code: 'invalid_param', message: `bpm must be between 30 and 200 (got ${m.bpm})` }));
      ws.send(JSON.stringify({ type: 'state', params, applies_at: pos }));
      chordIdx = -1;
    }
  });
  ws.on('close', () => clearInterval(timer));
}

// With `pieces`, the mock has pieces as in docs/protocol.md (GET /api/pieces, `piece` in the query).
const PIECES = [
  { name: 'drift', title: 'Drift', description: 'Slow pads that wander', key: 'D', mode: 'dorian', bpm: 60, intensity: 0.4, default: true },
  { name: 'rooms', title: 'Rooms', description: 'A piano in a quiet room', key: 'C', mode: 'ionian', bpm: 64, intensity: 0.35 },
  { name: 'night', title: 'Night', description: 'Dark, slow, low', key: 'A', mode: 'aeolian', bpm: 44, intensity: 0.15 },
];
export function startMock(port = 0, { isolate = true, volumes = true, pieces = false } = {}) {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const headers = isolate ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-cache' } : { 'Cache-Control': 'no-cache' };
    // like the server: what an upgrade with this query would get
    if (u.pathname === '/api/validate') {
      const st = u.searchParams.get('station');
      const problem = st !== null ? stationNameProblem(st) : null;
      res.writeHead(problem ? 400 : 200, { ...headers, 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(problem ? { type: 'error', code: 'invalid_param', message: problem } : { ok: true }));
    }
    if (u.pathname === '/api/health') {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ status: 'ok', protocol: 1, sample_rate: SR,
        station_name: { pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,31}$', max_length: 32, rule: "station must be 1 to 32 characters of A-Z a-z 0-9 . _ -, not starting with '.'" } }));
    }
    if (u.pathname === '/api/pieces' && pieces) {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ pieces: PIECES }));
    }
    if (u.pathname === '/api/presets') { res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }); return res.end(JSON.stringify({ presets: PRESETS })); }
    const p = path.normalize(path.join(ROOT, u.pathname === '/' ? 'index.html' : u.pathname));
    if (!p.startsWith(ROOT) || !fs.existsSync(p) || !fs.statSync(p).isFile()) { res.writeHead(404, headers); return res.end('not found'); }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(p)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(p));
  });
  const wss = new WebSocketServer({ noServer: true });
  const queries = []; // every stream's query string, for tests
  server.on('upgrade', (req, sock, head) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname !== '/ws') return sock.destroy();
    queries.push(u.search);
    const st = u.searchParams.get('station');
    if (st !== null && stationNameProblem(st)) {
      const body = JSON.stringify({ type: 'error', code: 'invalid_param', message: stationNameProblem(st) });
      sock.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => stream(ws, u.searchParams, { volumes, pieces }));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({
    port: server.address().port,
    queries,
    close: () => new Promise((r) => { for (const c of wss.clients) c.close(1001); server.closeAllConnections?.(); server.close(() => r()); }),
  })));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = await startMock(Number(process.argv[2] ?? 8001));
  console.log(`mock Auralis on http://127.0.0.1:${m.port}/`);
}
