// Shared helpers for the server's black-box tests: start the real binary on
// an ephemeral port, talk to it with the `ws` package, read its HTTP API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import WebSocket from 'ws';

export const BIN = process.env.AURALIS_BIN;
if (!BIN) throw new Error('AURALIS_BIN must name the auralis binary');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits in these tests are bounds on a property, never speed claims: every
// bound is multiplied by SLACK (default 6) so that a machine busy with other
// work passes too. Speed is measured by bench/ and `make player-session`.
export const SLACK = Number(process.env.AURALIS_TEST_SLACK ?? 6);

// Every server a test starts is killed by PID when the test process exits,
// also when a test failed before its own stop() ran.
const running = new Set();
process.once('exit', () => { for (const p of running) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

// Starts `auralis serve --port 0 ...` and resolves once it prints its URL.
// env: variables added to the server's environment (e.g. TMPDIR).
export function startServer(args = [], { timeoutMs = 10000 * SLACK, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['serve', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start: ${out} ${err}`));
    }, timeoutMs);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m && !proc.port) {
        clearTimeout(timer);
        proc.port = Number(m[1]);
        resolve({
          proc,
          port: proc.port,
          get stderr() { return err; },
          exited: new Promise((r) => proc.once('exit', (code, sig) => r({ code, sig }))),
          async stop() {
            if (proc.exitCode !== null || proc.signalCode !== null) return;
            const done = new Promise((r) => proc.once('exit', r));
            proc.kill('SIGTERM');
            const t = setTimeout(() => proc.kill('SIGKILL'), 4000);
            await done;
            clearTimeout(t);
          },
        });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!proc.port) reject(new Error(`server exited ${code}: ${err}`));
    });
  });
}

export function parseHeader(buf) {
  return {
    magic: buf.toString('ascii', 0, 4),
    seq: buf.readUInt32LE(4),
    pos: Number(buf.readBigUInt64LE(8)),
    frames: buf.readUInt32LE(16),
    codec: buf.readUInt16LE(20),
    channels: buf.readUInt16LE(22),
  };
}

// A listener that records everything it receives, with arrival times.
export function listen(port, query = '', opts = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query ? '?' + query : ''}`, opts);
  // n: arrival order over texts and chunks together
  // createdAt: before the request left, so never later than the server's
  // start of the stream (a lower bound for pacing checks); openedAt: when
  // this process saw the upgrade (late on a busy machine)
  const c = { ws, texts: [], chunks: [], closed: null, createdAt: performance.now(), openedAt: null, waiters: [], n: 0 };
  const poke = () => {
    c.waiters = c.waiters.filter((w) => {
      if (w.pred()) { w.resolve(); return false; }
      return true;
    });
  };
  ws.on('open', () => { c.openedAt = performance.now(); poke(); });
  ws.on('message', (data, isBinary) => {
    const t = performance.now();
    if (isBinary) {
      const buf = Buffer.from(data);
      c.chunks.push({ t, n: c.n++, h: parseHeader(buf), payload: buf.subarray(24) });
    } else {
      c.texts.push({ t, n: c.n++, msg: JSON.parse(data.toString()) });
    }
    poke();
  });
  ws.on('close', (code, reason) => { c.closed = { code, reason: reason.toString() }; poke(); });
  ws.on('error', () => {});
  c.until = (pred, ms = 5000, what = 'condition') =>
    new Promise((resolve, reject) => {
      if (pred()) return resolve();
      const w = { pred, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        c.waiters = c.waiters.filter((x) => x !== w);
        reject(new Error(`timed out after ${ms * SLACK} ms waiting for ${what}`));
      }, ms * SLACK);
      c.waiters.push(w);
    });
  c.ofType = (type) => c.texts.filter((x) => x.msg.type === type).map((x) => x.msg);
  c.send = (obj) => ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  c.close = () => { try { ws.close(); } catch { /* already closed */ } };
  return c;
}

// Resolves with the HTTP status and body of an upgrade the server refused.
export function refusedUpgrade(port, query) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`);
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.on('open', () => { ws.close(); reject(new Error('upgrade was accepted')); });
    ws.on('error', () => {});
  });
}

export function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.setTimeout(5000 * SLACK, () => req.destroy(new Error(`HTTP timeout on ${path}`)));
  });
}

// A POST without a body (the export API): { status, headers, body as text }.
// localAddress picks the client's address (127.0.0.x) for per-client bounds.
export function post(port, path, localAddress = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, localAddress }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(5000 * SLACK, () => req.destroy(new Error(`HTTP timeout on POST ${path}`)));
    req.end();
  });
}

// The isolation headers every response carries (docs/protocol.md), each
// once: headers by lowercase name (Node joins a repeated one with ", ").
export function assertIsolated(headers, what) {
  assert.equal(headers['cross-origin-opener-policy'], 'same-origin', `${what}: COOP`);
  assert.equal(headers['cross-origin-embedder-policy'], 'require-corp', `${what}: COEP`);
  assert.equal(headers['cross-origin-resource-policy'], 'cross-origin', `${what}: CORP`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
}

export async function metrics(port) {
  return JSON.parse((await get(port, '/api/metrics')).body.toString());
}

// Concatenated pcm16 payloads of chunks, checked to be contiguous.
export function audioOf(chunks) {
  return Buffer.concat(chunks.map((c) => c.payload));
}
