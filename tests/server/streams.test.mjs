// Stations and personal streams: shared audio, independent audio, the
// listener limit, and streamed audio equal to `auralis render` bit for bit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, startServer, listen, refusedUpgrade, metrics, sleep, audioOf, SLACK } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(['--workers', '2', '--max-clients', '6']); });
after(async () => { await srv?.stop(); });

test('two station listeners receive identical audio and share controls', { timeout: 20000 * SLACK }, async () => {
  const a = listen(srv.port, 'station=lobby&seed=99');
  await a.until(() => a.chunks.length >= 10, 5000, 'audio on a');
  const b = listen(srv.port, 'station=lobby&seed=12345'); // joins: its seed is ignored
  await b.until(() => b.chunks.length >= 8, 5000, 'audio on b');
  const ha = a.ofType('hello')[0], hb = b.ofType('hello')[0];
  assert.equal(ha.stream, hb.stream);
  assert.equal(hb.params.seed, 99);
  assert.equal(hb.station, 'lobby');
  // b joined mid-stream: its first chunk is a later position, continuous after
  assert.ok(b.chunks[0].h.pos > 0);
  b.chunks.forEach((ch, i) => assert.equal(ch.h.pos, b.chunks[0].h.pos + i * 4800));

  // b's control reaches both listeners, at the same position
  b.send({ type: 'set', intensity: 0.9 });
  await a.until(() => a.ofType('state').length >= 1, 3000, 'state on a');
  await b.until(() => b.ofType('state').length >= 1, 3000, 'state on b');
  assert.equal(a.ofType('state')[0].applies_at, b.ofType('state')[0].applies_at);
  await sleep(500);
  a.close(); b.close();

  // every position both received carries the same bytes
  const byPos = new Map(a.chunks.map((ch) => [ch.h.pos, ch.payload]));
  let compared = 0;
  for (const ch of b.chunks) {
    const other = byPos.get(ch.h.pos);
    if (!other) continue;
    assert.ok(other.equals(ch.payload), `chunk at ${ch.h.pos} differs`);
    compared++;
  }
  assert.ok(compared >= 8, `compared ${compared} chunks`);
});

test('personal streams are independent', { timeout: 20000 * SLACK }, async () => {
  const a = listen(srv.port, 'seed=1&intensity=0.5');
  const b = listen(srv.port, 'seed=2&intensity=0.5');
  await a.until(() => a.chunks.length >= 12, 5000, 'audio on a');
  await b.until(() => b.chunks.length >= 12, 5000, 'audio on b');
  assert.notEqual(a.ofType('hello')[0].stream, b.ofType('hello')[0].stream);
  // different seeds: different audio at the same positions
  let same = 0;
  for (let i = 5; i < 12; i++) if (a.chunks[i].payload.equals(b.chunks[i].payload)) same++;
  assert.equal(same, 0);
  // a's control changes only a's stream
  a.send({ type: 'set', bpm: 90 });
  await a.until(() => a.ofType('state').length >= 1, 3000, 'state on a');
  await sleep(400);
  assert.equal(b.ofType('state').length, 0);
  // no seed given: the server picks one and says which (below 2^53)
  const c = listen(srv.port, '');
  await c.until(() => c.ofType('hello').length >= 1, 3000, 'hello');
  const seed = c.ofType('hello')[0].params.seed;
  assert.ok(Number.isSafeInteger(seed));
  a.close(); b.close(); c.close();
});

test('past --max-clients a new connection gets HTTP 503; others carry on', { timeout: 20000 * SLACK }, async () => {
  // earlier tests' closes settle: wait until the server counts none
  let before = (await metrics(srv.port)).listeners;
  for (let i = 0; i < 100 * SLACK && before > 0; i++) {
    await sleep(100);
    before = (await metrics(srv.port)).listeners;
  }
  assert.equal(before, 0, 'earlier listeners were released');
  const held = [];
  for (let i = before; i < 6; i++) held.push(listen(srv.port, `station=full`));
  for (const c of held) await c.until(() => c.chunks.length >= 1, 5000, 'audio');
  const r = await refusedUpgrade(srv.port, 'station=full');
  assert.equal(r.status, 503);
  assert.match(JSON.parse(r.body).message, /max-clients/);
  const n = held[0].chunks.length;
  await held[0].until(() => held[0].chunks.length >= n + 3, 2000, 'audio continues');
  const m = await metrics(srv.port);
  assert.ok(m.rejected_full >= 1);
  held.forEach((c) => c.close());
  // a slot frees when a listener leaves
  for (let i = 0; i < 100 * SLACK && (await metrics(srv.port)).listeners > 0; i++) await sleep(100);
  const again = listen(srv.port, 'seed=5');
  await again.until(() => again.chunks.length >= 1, 5000, 'audio after a slot freed');
  again.close();
});

test('streamed audio equals `auralis render` bit for bit', { timeout: 60000 * SLACK }, async () => {
  const q = 'seed=20240601&key=A&mode=aeolian&bpm=66&intensity=0.35';
  const c = listen(srv.port, q);
  await c.until(() => c.chunks.length >= 8, 5000, 'audio');
  c.send({ type: 'set', bpm: 80, intensity: 0.7 });
  await c.until(() => c.ofType('state').length >= 1, 3000, 'first state');
  await sleep(300);
  c.send({ type: 'set', layers: { melody: false }, key: 'C' });
  await c.until(() => c.ofType('state').length >= 2, 3000, 'second state');
  await c.until(() => c.chunks.length >= 40, 8000, '4 s of audio');
  c.close();
  const [s1, s2] = c.ofType('state');
  assert.ok(s2.applies_at > s1.applies_at);
  const streamed = audioOf(c.chunks.slice(0, 40));
  const frames = 40 * 4800;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-bitexact-'));
  const out = path.join(dir, 'x.raw');
  try {
    execFileSync(BIN, ['render', '--seed', '20240601', '--key', 'A', '--mode', 'aeolian',
      '--bpm', '66', '--intensity', '0.35', '--seconds', String(frames / 48000),
      '--change', `${s1.applies_at}:bpm=80,intensity=0.7`,
      '--change', `${s2.applies_at}:melody=off,key=C`,
      '--endless', '-o', out, '--quiet'], { timeout: 50000 * SLACK });
    const rendered = fs.readFileSync(out);
    assert.equal(rendered.length, streamed.length);
    if (!rendered.equals(streamed)) {
      let i = 0;
      while (rendered[i] === streamed[i]) i++;
      assert.fail(`first difference at byte ${i} (frame ${Math.floor(i / 4)})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
