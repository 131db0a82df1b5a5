// Hostile-client figures (issue 12): a station storm (RSS, listener
// lateness, a new listener's wait), 1,300 idle sockets (health latency),
// 40 griefers on a station, smuggling forms, HEAD/405/431, CONNECT, DNS
// rebinding, Origin, WebSocket version and close codes, invalid UTF-8 in
// errors, client_stats poisoning. Prints JSON; run it against two binaries
// to compare:  node bench/hostile.mjs build/auralis
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const WebSocket = require('ws');
const BIN = process.argv[2];
// the per-address limits (absent from older servers) are lifted where a
// section's clients all come from 127.0.0.1 by design
const LIFT = spawnSync(BIN, ['serve', '--help'], { encoding: 'utf8' }).stdout.includes('--max-pending-per-address')
  ? ['--max-pending-per-address', '0'] : [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function start(args = []) {
  const proc = spawn(BIN, ['serve', '--port', '0', '--workers', '2', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise((r) => { let o = ''; proc.stdout.on('data', (d) => { o += d; const m = /127\.0\.0\.1:(\d+)\//.exec(o); if (m) r(Number(m[1])); }); });
  return { proc, port, stop: () => { proc.kill('SIGKILL'); } };
}
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
function raw(port, bytes, ms = 15000, localAddress) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = net.connect({ port, host: '127.0.0.1', localAddress }); let buf = '';
    const timer = setTimeout(() => { s.destroy(); resolve({ buf, closed: false, ms: performance.now() - t0 }); }, ms);
    s.on('data', (d) => { buf += d.toString('latin1'); });
    s.on('close', () => { clearTimeout(timer); resolve({ buf, closed: true, ms: performance.now() - t0 }); });
    s.on('error', () => {});
    s.write(bytes);
  });
}
function listener(port, q, opts = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${q}`, opts);
  const c = { ws, chunks: [], texts: [], open: null, closed: null };
  ws.on('open', () => { c.open = performance.now(); });
  ws.on('message', (d, bin) => { if (bin) c.chunks.push({ t: performance.now(), seq: Buffer.from(d).readUInt32LE(4) }); else c.texts.push(JSON.parse(d.toString())); });
  ws.on('close', (code) => { c.closed = code; });
  ws.on('error', () => {});
  return c;
}
const lateness = (c, from) => {
  const ch = c.chunks.filter((x) => x.t >= from);
  if (ch.length < 2) return { max: NaN, p99: NaN, n: ch.length };
  // lateness relative to the best-aligned schedule seen: arrival - (base + seq*100)
  const base = Math.min(...c.chunks.slice(5).map((x) => x.t - x.seq * 100));
  const late = ch.map((x) => x.t - (base + x.seq * 100)).sort((a, b) => a - b);
  return { max: late.at(-1), p99: late[Math.floor(late.length * 0.99)], n: ch.length };
};
const out = {};
// 1. station storm
{
  const s = await start();
  const L = listener(s.port, 'station=calm', { localAddress: '127.0.0.2' });
  await sleep(3000);
  const rss0 = rss(s.proc.pid);
  const t0 = performance.now();
  let ok = 0, refused = 0;
  for (let i = 0; i < 300; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?station=storm-${i}`);
    const o = await new Promise((r) => { ws.on('open', () => r('open')); ws.on('unexpected-response', (q, res) => { res.resume(); r(res.statusCode); }); ws.on('error', () => r('err')); });
    if (o === 'open') { ok++; ws.close(); } else refused++;
  }
  const stormS = (performance.now() - t0) / 1000;
  await sleep(5000);
  const m = JSON.parse((await raw(s.port, `GET /api/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 15000, '127.0.0.2')).buf.split('\r\n\r\n')[1]);
  // a new listener from a third address: how long to first audio
  const N = listener(s.port, 'seed=5', { localAddress: '127.0.0.3' });
  const tn = performance.now();
  for (let i = 0; i < 300 && !N.chunks.length; i++) await sleep(50);
  const firstAudio = N.chunks.length ? N.chunks[0].t - tn : Infinity;
  out.storm = { stations_created: ok, refused, storm_s: +stormS.toFixed(1), streams_after: m.streams, rss_mb_before: +rss0.toFixed(1), rss_mb_after: +rss(s.proc.pid).toFixed(1),
    listener_late_ms: lateness(L, t0), new_listener_first_audio_ms: Number.isFinite(firstAudio) ? Math.round(firstAudio) : 'none in 15 s' };
  s.stop();
}
// 2. idle sockets
{
  const s = await start(['--max-clients', '1024']);
  const socks = [];
  for (let i = 0; i < 1300; i++) { const k = net.connect(s.port, '127.0.0.1'); k.on('error', () => {}); socks.push(k); }
  await sleep(1000);
  const h = await raw(s.port, `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 20000, '127.0.0.2');
  out.idle = { health_status: h.buf.split('\r\n')[0], health_ms: Math.round(h.ms), rss_mb: +rss(s.proc.pid).toFixed(1) };
  socks.forEach((k) => k.destroy());
  s.stop();
}
// 3. griefing
{
  const s = await start(LIFT);
  const legit = listener(s.port, 'station=g&seed=5');
  await sleep(1500);
  const fl = []; for (let i = 0; i < 40; i++) fl.push(listener(s.port, 'station=g'));
  await sleep(2000);
  let stop = false;
  const pumps = fl.map(async (f, k) => { for (let i = 0; !stop; i++) { try { f.ws.send(JSON.stringify({ type: 'set', intensity: ((i + k) % 10) / 10 })); } catch {} await sleep(111); } });
  await sleep(1500);
  for (let i = 0; i < 10; i++) { legit.ws.send(JSON.stringify({ type: 'set', bpm: 70 + i })); await sleep(300); }
  await sleep(1500);
  stop = true; await Promise.all(pumps);
  const errs = legit.texts.filter((t) => t.type === 'error' && t.code === 'rate_limited').length;
  const applied = new Set(legit.texts.filter((t) => t.type === 'state').map((t) => t.params.bpm)).size;
  out.griefing = { legit_sets: 10, legit_refused: errs, distinct_bpm_states_seen: applied };
  s.stop();
}
// 4-9. protocol-level checks
{
  const s = await start();
  const H = `Host: 127.0.0.1:${s.port}\r\n`;
  const hidden = `GET /api/metrics HTTP/1.1\r\n${H}\r\n`;
  const sm = await raw(s.port, `GET /api/health HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`, 6000);
  out.smuggling_dup_cl = { responses: (sm.buf.match(/HTTP\/1\.1 \d+/g) || []).join(','), hidden_answered: /chunks_sent/.test(sm.buf) };
  const te = await raw(s.port, `GET /api/health HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`, 6000);
  out.smuggling_chunked_get = { responses: (te.buf.match(/HTTP\/1\.1 \d+/g) || []).join(','), hidden_answered: /chunks_sent/.test(te.buf) };
  const head = await raw(s.port, `HEAD / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 6000);
  out.head = { status: head.buf.split('\r\n')[0], body_bytes: head.buf.length - head.buf.indexOf('\r\n\r\n') - 4 };
  const post = await raw(s.port, `DELETE / HTTP/1.1\r\n${H}\r\n`, 6000);
  out.delete = { status: post.buf.split('\r\n')[0], allow: /\r\nallow:/i.test(post.buf) };
  const big = await raw(s.port, `GET / HTTP/1.1\r\n${H}Cookie: ${'a'.repeat(9000)}\r\n\r\n`, 15000);
  out.headers_9k = { status: big.buf.split('\r\n')[0] || '(none)', ms: Math.round(big.ms) };
  const fold = await raw(s.port, `GET / HTTP/1.1\r\n${H}X-A: a\r\n  folded\r\n\r\n`, 15000);
  out.obs_fold = { status: fold.buf.split('\r\n')[0] || '(none)', closed_after_ms: Math.round(fold.ms) };
  const conn = await raw(s.port, `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${H}\r\n`, 15000);
  out.connect = { status: conn.buf.split('\r\n')[0] || '(none)', closed_after_ms: Math.round(conn.ms) };
  const reb = await raw(s.port, `GET /api/metrics HTTP/1.1\r\nHost: rebind.example\r\nConnection: close\r\n\r\n`, 6000);
  out.dns_rebinding = { status: reb.buf.split('\r\n')[0], metrics_leaked: /chunks_sent/.test(reb.buf) };
  const err404 = await raw(s.port, `FOO / HTTP/1.1\r\n${H}\r\n`, 6000);
  out.lws_error_page = { status: err404.buf.split('\r\n')[0], coep: /cross-origin-embedder-policy/i.test(err404.buf) };
  const key = crypto.randomBytes(16).toString('base64');
  const up = (extra) => `GET /ws?seed=1 HTTP/1.1\r\n${H}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n${extra}\r\n`;
  const o = await raw(s.port, up('Sec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n'), 1500);
  out.foreign_origin = { status: o.buf.split('\r\n')[0] };
  const v = await raw(s.port, up('Sec-WebSocket-Version: 8\r\n'), 1500);
  out.ws_version_8 = { status: v.buf.split('\r\n')[0] };
  // UTF-8: an error quoting a value cut inside a 2-byte character
  const u = listener(s.port, 'seed=2');
  await sleep(800);
  u.ws.send(JSON.stringify({ type: 'set', mode: 'x'.repeat(39) + 'éé' }));
  await sleep(800);
  out.utf8_error = { close_code: u.closed, got_error: u.texts.some((t) => t.type === 'error') };
  // client_stats poisoning
  const p = listener(s.port, 'seed=3');
  await sleep(800);
  for (let i = 0; i < 40; i++) { p.ws.send(JSON.stringify({ type: 'client_stats', underruns: i % 2 ? 999999999999999 : 0, buffer_ms: 400 })); await sleep(50); }
  await sleep(500);
  const mm = JSON.parse((await raw(s.port, `GET /api/metrics HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 6000, '127.0.0.2')).buf.split('\r\n\r\n')[1]);
  out.client_stats_poison = { underruns_counted: mm.client_underruns };
  // close code 5000
  const c = net.connect(s.port, '127.0.0.1'); let cb = Buffer.alloc(0);
  c.on('data', (d) => { cb = Buffer.concat([cb, d]); }); c.on('error', () => {});
  c.write(up('Sec-WebSocket-Version: 13\r\n'));
  await sleep(500);
  const mask = Buffer.from([1, 2, 3, 4]); const pl = Buffer.from([5000 >> 8, 5000 & 255]);
  c.write(Buffer.concat([Buffer.from([0x88, 0x82]), mask, Buffer.from(pl.map((b, i) => b ^ mask[i % 4]))]));
  await sleep(800);
  let code = null; { let b = cb.subarray(cb.indexOf('\r\n\r\n') + 4); while (b.length >= 2) { const op = b[0] & 15; let len = b[1] & 127, off = 2; if (len === 126) { len = b.readUInt16BE(2); off = 4; } if (op === 8) { code = b.readUInt16BE(off); break; } b = b.subarray(off + len); } }
  out.close_code_5000_answer = code; c.destroy();
  s.stop();
}
console.log(JSON.stringify(out, null, 1));
process.exit(0);
