// Hostile clients (issue 12), over raw sockets: request smuggling forms,
// HTTP conformance (HEAD, 405 + Allow, 431, CONNECT), Host and Origin
// checks, isolation headers on every response, RFC 6455 (version 13 only,
// 1007 for invalid UTF-8, 1002 for an invalid close code or an unmasked
// frame), request heads libwebsockets alone would leave hanging. Each test would
// fail against the server before these checks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { startServer, listen, assertIsolated, SLACK } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(['--workers', '1']); });
after(async () => { await srv?.stop(); });

// Sends raw bytes; resolves with everything received once the server
// closes (or, with keepOpenMs, after that long with the socket still open).
function raw(port, bytes, { keepOpenMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const parts = [];
    let timer = null;
    const done = (closed) => { clearTimeout(timer); s.destroy(); resolve({ text: Buffer.concat(parts).toString('latin1'), closed }); };
    timer = setTimeout(() => (keepOpenMs ? done(false) : reject(new Error('server neither answered nor closed'))),
      keepOpenMs || 20000 * SLACK);
    s.on('data', (d) => parts.push(d));
    s.on('close', () => done(true));
    s.on('error', () => {});
    s.write(bytes);
  });
}

// Splits a byte string holding one or more HTTP responses.
function responses(text) {
  const out = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const status = Number(lines[0].split(' ')[1]);
    const len = Number(headers['content-length'] ?? 0);
    const isHead = out.length === 0 && rest === text && false;
    void isHead;
    out.push({ status, headers, raw: rest.slice(0, end + 4) });
    rest = rest.slice(end + 4);
    out.at(-1).rest = rest;
    out.at(-1).len = len;
  }
  return out;
}

const H = (port) => `Host: 127.0.0.1:${port}\r\n`;

const isolated = (r, what) => assertIsolated(r.headers, what);

test('HEAD is answered like GET without a body; a pipelined request gets its own answer', { timeout: 30000 * SLACK }, async () => {
  const r = await raw(srv.port, `HEAD /api/health HTTP/1.1\r\n${H(srv.port)}\r\nGET /api/health HTTP/1.1\r\n${H(srv.port)}Connection: close\r\n\r\n`);
  const [head, get] = responses(r.text);
  assert.equal(head.status, 200);
  assert.ok(head.len > 0, 'HEAD says how long the body would be');
  assert.ok(head.rest.startsWith('HTTP/1.1 200'), 'no body after the HEAD headers');
  assert.equal(get.status, 200);
  assert.match(get.rest, /"status":"ok"/);
});

test('other methods get 405 with Allow; CONNECT is answered, not left open', { timeout: 30000 * SLACK }, async () => {
  for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const r = await raw(srv.port, `${m} / HTTP/1.1\r\n${H(srv.port)}Content-Length: 0\r\n\r\n`);
    const [x] = responses(r.text);
    assert.equal(x?.status, 405, `${m}: ${r.text.slice(0, 60)}`);
    assert.equal(x.headers.allow, 'GET, HEAD', m);
    isolated(x, m);
  }
  const c = await raw(srv.port, `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${H(srv.port)}\r\n`);
  const [cr] = responses(c.text);
  assert.equal(cr?.status, 405, 'CONNECT');
  assert.equal(cr.headers.allow, 'GET, HEAD', 'CONNECT');
  isolated(cr, 'CONNECT');
  assert.ok(c.closed);
});

test('smuggling forms are refused with 400 and the connection closed', { timeout: 60000 * SLACK }, async () => {
  const hidden = `GET /api/metrics HTTP/1.1\r\n${H(srv.port)}\r\n`;
  const forms = {
    'chunked on GET': `GET /api/health HTTP/1.1\r\n${H(srv.port)}Transfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`,
    'Content-Length and chunked': `GET /api/health HTTP/1.1\r\n${H(srv.port)}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden}`,
    'duplicate Content-Length': `GET /api/health HTTP/1.1\r\n${H(srv.port)}Content-Length: 0\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    'list-valued Content-Length': `GET /api/health HTTP/1.1\r\n${H(srv.port)}Content-Length: 0, ${hidden.length}\r\n\r\n${hidden}`,
    'a body on GET': `GET /api/health HTTP/1.1\r\n${H(srv.port)}Content-Length: ${hidden.length}\r\n\r\n${hidden}`,
  };
  for (const [name, bytes] of Object.entries(forms)) {
    const r = await raw(srv.port, bytes);
    const rs = responses(r.text);
    assert.equal(rs[0]?.status, 400, `${name}: ${r.text.slice(0, 80)}`);
    assert.equal(rs.length, 1, `${name}: the hidden request is not answered`);
    assert.doesNotMatch(r.text, /auralis_|"chunks_sent"/, `${name}: no metrics leaked`);
    assert.ok(r.closed, `${name}: closed`);
    isolated(rs[0], name);
  }
});

test('oversized headers get 431; a large cookie within the bound is fine', { timeout: 30000 * SLACK }, async () => {
  const big = await raw(srv.port, `GET / HTTP/1.1\r\n${H(srv.port)}Cookie: ${'a'.repeat(9000)}\r\n\r\n`);
  assert.equal(responses(big.text)[0]?.status, 431);
  const ok = await raw(srv.port, `GET /api/health HTTP/1.1\r\n${H(srv.port)}Cookie: ${'a'.repeat(6000)}\r\nConnection: close\r\n\r\n`);
  assert.equal(responses(ok.text)[0]?.status, 200);
});

test('bound to loopback: a foreign Host is refused (DNS rebinding), loopback names answered', { timeout: 30000 * SLACK }, async () => {
  const evil = await raw(srv.port, 'GET /api/metrics HTTP/1.1\r\nHost: rebind.example:80\r\n\r\n');
  const [e] = responses(evil.text);
  assert.equal(e?.status, 403);
  assert.doesNotMatch(evil.text, /chunks_sent/);
  isolated(e, 'foreign Host');
  for (const host of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, 'localhost']) {
    const r = await raw(srv.port, `GET /api/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.equal(responses(r.text)[0]?.status, 200, host);
  }
  const s = await startServer(['--allow-host', 'auralis.test']);
  try {
    const r = await raw(s.port, 'GET /api/health HTTP/1.1\r\nHost: auralis.test\r\nConnection: close\r\n\r\n');
    assert.equal(responses(r.text)[0]?.status, 200, '--allow-host');
  } finally { await s.stop(); }
});

function upgrade(port, headers) {
  const key = crypto.randomBytes(16).toString('base64');
  return `GET /ws?seed=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\n${headers}\r\n`;
}

test('WebSocket upgrades: foreign Origin 403, own origin and --allow-origin accepted, version 13 only', { timeout: 30000 * SLACK }, async () => {
  const foreign = await raw(srv.port, upgrade(srv.port, 'Sec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n'));
  assert.equal(responses(foreign.text)[0]?.status, 403);
  isolated(responses(foreign.text)[0], 'foreign origin');
  const own = await raw(srv.port, upgrade(srv.port, `Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:${srv.port}\r\n`), { keepOpenMs: 1500 });
  assert.equal(responses(own.text)[0]?.status, 101);
  const v8 = await raw(srv.port, upgrade(srv.port, 'Sec-WebSocket-Version: 8\r\n'));
  const [r8] = responses(v8.text);
  assert.equal(r8?.status, 426);
  assert.equal(r8.headers['sec-websocket-version'], '13');
  const s = await startServer(['--allow-origin', 'http://evil.example']);
  try {
    const ok = listen(s.port, 'seed=2', { origin: 'http://evil.example' });
    await ok.until(() => ok.chunks.length >= 1, 5000, 'audio with --allow-origin');
    ok.close();
  } finally { await s.stop(); }
});

// A WebSocket client at frame level: handshake, then masked frames.
async function wsRaw(port) {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  s.write(upgrade(port, 'Sec-WebSocket-Version: 13\r\n'));
  let buf = Buffer.alloc(0);
  const c = { s, frames: [], closed: false };
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (!c.open) {
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      c.open = true;
      buf = buf.subarray(i + 4);
    }
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      if (buf.length < off + len) return;
      c.frames.push({ op: buf[0] & 0x0f, payload: buf.subarray(off, off + len) });
      buf = buf.subarray(off + len);
    }
  });
  s.on('close', () => { c.closed = true; });
  s.on('error', () => {});
  c.send = (op, payload) => {
    const mask = crypto.randomBytes(4);
    const p = Buffer.from(payload);
    const m = Buffer.from(p.map((b, i) => b ^ mask[i % 4]));
    s.write(Buffer.concat([Buffer.from([0x80 | op, 0x80 | p.length]), mask, m]));
  };
  c.closeFrame = async () => {
    for (let i = 0; i < 200 * SLACK; i++) {
      const f = c.frames.find((x) => x.op === 8);
      if (f) return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
      if (c.closed) return 'closed without a close frame';
      await new Promise((r) => setTimeout(r, 50));
    }
    return 'no close frame';
  };
  return c;
}

test('RFC 6455: invalid UTF-8 in a text frame fails with 1007; close code 5000 is not echoed (1002)', { timeout: 30000 * SLACK }, async () => {
  const a = await wsRaw(srv.port);
  a.send(1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]));
  assert.equal(await a.closeFrame(), 1007);
  a.s.destroy();
  const b = await wsRaw(srv.port);
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(5000);
  b.send(8, payload);
  assert.equal(await b.closeFrame(), 1002);
  b.s.destroy();
  // a valid close code is echoed as usual
  const c = await wsRaw(srv.port);
  const ok = Buffer.alloc(2);
  ok.writeUInt16BE(1000);
  c.send(8, ok);
  assert.equal(await c.closeFrame(), 1000);
  c.s.destroy();
});

// libwebsockets 4.1.6 accepts unmasked client frames silently; the
// server's shadow parser (src/server/rx_guard.c) fails them with 1002.
test('RFC 6455 5.1: an unmasked client frame fails the connection with 1002, also split across reads', { timeout: 30000 * SLACK }, async () => {
  const unmasked = (op, p) => Buffer.concat([Buffer.from([0x80 | op, p.length]), Buffer.from(p)]);
  const a = await wsRaw(srv.port);
  a.s.write(unmasked(1, '{"type":"set","bpm":70}'));
  assert.equal(await a.closeFrame(), 1002, 'unmasked text frame');
  a.s.destroy();
  // the frame's first byte alone, then the rest: still seen as one header
  const b = await wsRaw(srv.port);
  const f = unmasked(9, 'hi');
  b.s.write(f.subarray(0, 1));
  await new Promise((r) => setTimeout(r, 300));
  b.s.write(f.subarray(1));
  assert.equal(await b.closeFrame(), 1002, 'unmasked ping split after its first byte');
  b.s.destroy();
  // masked frames of every length form still work, byte by byte
  const c = await wsRaw(srv.port);
  const big = Buffer.from(JSON.stringify({ type: 'set', bpm: 71 }).padEnd(300, ' '));
  const mask = crypto.randomBytes(4);
  const frame = Buffer.concat([Buffer.from([0x81, 0x80 | 126, big.length >> 8, big.length & 0xff]), mask,
    Buffer.from(big.map((x, i) => x ^ mask[i % 4]))]);
  for (const byte of frame) c.s.write(Buffer.from([byte]));
  const ok = Buffer.alloc(2);
  ok.writeUInt16BE(1000);
  c.send(8, ok);
  assert.equal(await c.closeFrame(), 1000, 'masked frames, one byte per write, then a normal close');
  c.s.destroy();
});

test('request heads libwebsockets would leave hanging are answered at once', { timeout: 60000 * SLACK }, async () => {
  const hp = H(srv.port);
  const bad = {
    'obsolete line folding': [`GET /api/health HTTP/1.1\r\n${hp}X-A: b\r\n c\r\n\r\n`, 400],
    'a header line without a colon': [`GET /api/health HTTP/1.1\r\n${hp}Bogus\r\n\r\n`, 400],
    'whitespace in a header name': [`GET /api/health HTTP/1.1\r\n${hp}X A: b\r\n\r\n`, 400],
    'HTTP/2.0 request line': [`GET /api/health HTTP/2.0\r\n${hp}\r\n`, 505],
    'a 40 KB header': [`GET /api/health HTTP/1.1\r\n${hp}X-Big: ${'a'.repeat(40000)}\r\n\r\n`, 431],
    'a TLS hello on the plain port': [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, ...Buffer.alloc(64, 0x78)]), 400],
  };
  for (const [name, [bytes, status]] of Object.entries(bad)) {
    const r = await raw(srv.port, bytes);
    const [x] = responses(r.text);
    assert.equal(x?.status, status, `${name}: ${JSON.stringify(r.text.slice(0, 60))}`);
    assert.match(x.rest, /"type":"error"/, name);
    isolated(x, name);
    assert.ok(r.closed, `${name}: closed`);
  }
  // valid but unusual: a header name that is a prefix of one libwebsockets
  // knows ("Conn" of "Connection"), sent whole or cut inside the name
  for (const n of ['Conn', 'Acc', 'Content', 'Upgr', 'Sec-WebSocket', 'Ho']) {
    const r = await raw(srv.port, `GET /api/health HTTP/1.1\r\n${hp}${n}: x\r\nConnection: close\r\n\r\n`);
    assert.equal(responses(r.text)[0]?.status, 200, `${n}: ${JSON.stringify(r.text.slice(0, 40))}`);
  }
  const split = await new Promise((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1');
    const parts = [];
    s.on('data', (d) => parts.push(d));
    s.on('close', () => resolve(Buffer.concat(parts).toString('latin1')));
    s.on('error', () => {});
    s.write(`GET /api/health HTTP/1.1\r\n${hp}Con`);
    setTimeout(() => s.write('n: x\r\nConnection: close\r\n\r\n'), 300);
  });
  assert.equal(responses(split)[0]?.status, 200, 'a prefix name cut across two reads');
  // a good request before a bad one in the same read is still served
  const two = await raw(srv.port, `GET /api/health HTTP/1.1\r\n${hp}\r\nGET /api/health HTTP/1.1\r\n${hp}X: a\r\n b\r\n\r\n`);
  const rs = responses(two.text);
  assert.equal(rs[0]?.status, 200, 'the first request is answered');
  assert.equal(rs.length, 1, 'the malformed one after it only closes the connection');
  assert.ok(two.closed);
  // the Upgrade value is case-insensitive (RFC 6455 4.2.1)
  const up = await raw(srv.port, upgrade(srv.port, 'Sec-WebSocket-Version: 13\r\n').replace('Upgrade: websocket', 'Upgrade: WebSocket'), { keepOpenMs: 1500 });
  assert.equal(responses(up.text)[0]?.status, 101, 'Upgrade: WebSocket');
});
