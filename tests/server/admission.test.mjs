// Admission by render capacity and per-address limits (issue 12, items 1
// and 2): new streams past --max-streams (lingering stations included) or
// past an address's share get HTTP 503 with the reason; joining a station
// is still admitted; idle connections past an address's limit are answered
// at once; health and other addresses are served meanwhile. Existing
// listeners keep contiguous audio through a station storm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { startServer, listen, get, metrics, sleep, assertIsolated, SLACK } from './helpers.mjs';

// An upgrade that must be refused: its status and JSON body.
function refused(port, query, localAddress) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`, { localAddress });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    ws.on('open', () => { ws.close(); reject(new Error(`upgrade ${query} was accepted`)); });
    ws.on('error', () => {});
  });
}

test('past --max-streams new streams get 503 (empty stations count); joining a station is admitted', { timeout: 60000 * SLACK }, async () => {
  const s = await startServer(['--max-streams', '3', '--station-linger', '60', '--workers', '1']);
  try {
    const a = listen(s.port, 'station=one');
    const b = listen(s.port, 'seed=2');
    const c = listen(s.port, 'station=three');
    for (const x of [a, b, c]) await x.until(() => x.chunks.length >= 1, 5000, 'audio');
    const r = await refused(s.port, 'seed=4');
    assert.equal(r.status, 503);
    assert.equal(r.body.code, 'busy');
    assert.match(r.body.message, /--max-streams/);
    assert.equal((await refused(s.port, 'station=four')).status, 503, 'a new station is a new stream');
    // the page can learn why (a browser cannot read a refused upgrade)
    const v = await get(s.port, '/api/validate?seed=4');
    assert.equal(v.status, 503);
    assert.equal(JSON.parse(v.body).code, 'busy');
    assert.equal((await get(s.port, '/api/validate?station=one')).status, 200, 'joining is fine');
    // joining an existing station costs no render and is admitted
    const j = listen(s.port, 'station=one');
    await j.until(() => j.chunks.length >= 1, 5000, 'joined audio');
    // the last listener of a station leaves: it lingers, and still counts
    c.close();
    await c.until(() => c.closed, 5000, 'closed');
    for (let i = 0; i < 50 * SLACK && (await metrics(s.port)).listeners > 3; i++) await sleep(100);
    assert.equal((await refused(s.port, 'seed=5')).status, 503, 'a lingering station counts');
    // a personal stream that ends frees its place
    b.close();
    await b.until(() => b.closed, 5000, 'closed');
    const d = listen(s.port, 'seed=6');
    await d.until(() => d.chunks.length >= 1, 10000, 'audio after a place freed');
    const m = await metrics(s.port);
    assert.equal(m.max_streams, 3);
    assert.ok(m.streams_refused.capacity >= 3);
    const prom = (await get(s.port, '/metrics')).body.toString();
    assert.match(prom, /^auralis_streams_refused_total\{reason="capacity"\} [1-9]/m);
    for (const x of [a, j, d]) x.close();
  } finally { await s.stop(); }
});

test('a station storm from one address is held to its share; a listener keeps contiguous audio', { timeout: 90000 * SLACK }, async () => {
  const s = await startServer(['--max-streams-per-address', '4', '--station-linger', '30', '--workers', '1']);
  try {
    // an existing listener from another address
    const keep = listen(s.port, 'station=calm', { localAddress: '127.0.0.2' });
    await keep.until(() => keep.chunks.length >= 3, 5000, 'audio');
    // one client opening and closing connections with new station names
    let accepted = 0, refusedN = 0;
    for (let i = 0; i < 40; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?station=storm-${i}`);
      const outcome = await new Promise((resolve) => {
        ws.on('open', () => resolve('open'));
        ws.on('unexpected-response', (req, res) => { res.resume(); resolve(res.statusCode); });
        ws.on('error', () => resolve('error'));
      });
      if (outcome === 'open') { accepted++; ws.close(); } else if (outcome === 503) refusedN++;
    }
    const m = await metrics(s.port);
    console.log(`# storm: ${accepted} accepted, ${refusedN} refused; streams ${m.streams}, stations ${m.stations}, rss ${(m.rss_bytes / 1048576).toFixed(1)} MiB`);
    assert.equal(accepted, 4, 'the address got its share');
    assert.equal(refusedN, 36);
    assert.ok(m.stations <= 5, `stations alive: ${m.stations}`);
    assert.ok(m.streams_refused.per_address >= 36);
    // the other address can still start a stream
    const other = listen(s.port, 'seed=9', { localAddress: '127.0.0.3' });
    await other.until(() => other.chunks.length >= 1, 5000, 'audio for another address');
    // the existing listener was never skipped or closed
    const n = keep.chunks.length;
    await keep.until(() => keep.chunks.length >= n + 5, 5000, 'audio continues');
    assert.equal(keep.closed, null);
    keep.chunks.forEach((ch, i) => assert.equal(ch.h.pos, keep.chunks[0].h.pos + i * 4800, `gap at chunk ${i}`));
    keep.close(); other.close();
  } finally { await s.stop(); }
});

// Opens a connection that sends nothing; resolves with what it received
// once the server answered and closed, or null while it stays open.
function idle(port, localAddress) {
  const sock = net.connect({ port, host: '127.0.0.1', localAddress });
  const c = { sock, data: '', closed: false };
  sock.on('data', (d) => { c.data += d; });
  sock.on('close', () => { c.closed = true; });
  sock.on('error', () => {});
  return c;
}

test('idle connections past an address\'s limit are answered at once; health and others are served', { timeout: 60000 * SLACK }, async () => {
  const s = await startServer(['--max-pending-per-address', '20', '--max-clients', '8', '--workers', '1']);
  const socks = [];
  try {
    for (let i = 0; i < 300; i++) socks.push(idle(s.port, '127.0.0.1'));
    // the server holds 20; the others are told why and closed
    for (let i = 0; i < 200 * SLACK && socks.filter((c) => c.closed).length < 280; i++) await sleep(50);
    const told = socks.filter((c) => /^HTTP\/1\.1 503/.test(c.data) && /too many open connections/.test(c.data));
    assert.ok(told.length >= 270, `${told.length} of 300 idle connections were answered with 503`);
    const head = told[0].data.slice(0, told[0].data.indexOf('\r\n\r\n')).split('\r\n').slice(1);
    assertIsolated(Object.fromEntries(head.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])), '503');
    // another address is served meanwhile: health, and a listener
    const from2 = (path) => new Promise((resolve, reject) => {
      const c = idle(s.port, '127.0.0.2');
      c.sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`);
      c.sock.on('close', () => resolve(c.data));
      c.sock.on('error', reject);
    });
    assert.match(await from2('/api/health'), /^HTTP\/1\.1 200/);
    const l = listen(s.port, 'seed=1', { localAddress: '127.0.0.3' });
    await l.until(() => l.chunks.length >= 1, 5000, 'audio');
    l.close();
    const mt = await from2('/api/metrics');
    const m = JSON.parse(mt.slice(mt.indexOf('\r\n\r\n') + 4));
    assert.ok(m.connections_refused_per_address >= 270, mt.slice(0, 200));
  } finally {
    socks.forEach((c) => c.sock.destroy());
    await s.stop();
  }
});
