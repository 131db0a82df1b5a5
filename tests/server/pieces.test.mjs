// Pieces on the wire: GET /api/pieces, presets naming a piece, `piece` in the
// query (its defaults, overridable), in hello, in `set` and `state`, and
// unknown pieces refused with the list of valid names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, listen, refusedUpgrade, get, sleep } from './helpers.mjs';

const NAMES = ['drift', 'rooms', 'glass', 'choir', 'night', 'pulse'];
let srv;
before(async () => { srv = await startServer(['--workers', '2', '--piece', 'glass']); });
after(async () => { await srv?.stop(); });

test('GET /api/pieces lists every piece with its defaults', async () => {
  const r = await get(srv.port, '/api/pieces');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /application\/json/);
  const { pieces } = JSON.parse(r.body.toString());
  assert.deepEqual(pieces.map((p) => p.name), NAMES);
  for (const p of pieces) {
    assert.equal(typeof p.title, 'string');
    assert.ok(p.description.length > 20);
    assert.match(p.key, /^[A-G]#?$/);
    assert.equal(typeof p.mode, 'string');
    assert.ok(p.bpm >= 30 && p.bpm <= 200);
    assert.ok(p.intensity >= 0 && p.intensity <= 1);
    assert.ok(Array.isArray(p.layers) && p.layers.length >= 2);
  }
  assert.equal(pieces.filter((p) => p.default).map((p) => p.name).join(), 'drift');
  const night = pieces.find((p) => p.name === 'night');
  assert.ok(!night.layers.includes('percussion'));
  const pre = JSON.parse((await get(srv.port, '/api/presets')).body.toString());
  for (const p of pre.presets) assert.ok(NAMES.includes(p.piece), p.name);
});

test('piece in the query: its defaults, the query overrides them', { timeout: 15000 }, async () => {
  const a = listen(srv.port, 'seed=5&piece=night');
  const b = listen(srv.port, 'seed=5&piece=night&bpm=55&key=C');
  const c = listen(srv.port, 'seed=5'); // the server's --piece
  for (const x of [a, b, c]) await x.until(() => x.chunks.length >= 2, 8000, 'audio');
  const ha = a.texts[0].msg.params, hb = b.texts[0].msg.params, hc = c.texts[0].msg.params;
  assert.deepEqual([ha.piece, ha.key, ha.mode, ha.bpm, ha.intensity], ['night', 'E', 'aeolian', 40, 0.12]);
  assert.deepEqual([hb.piece, hb.key, hb.bpm], ['night', 'C', 55]);
  assert.deepEqual([hc.piece, hc.key, hc.mode, hc.bpm], ['glass', 'G', 'lydian', 72]);
  for (const x of [a, b, c]) x.close();
});

test('unknown piece: upgrade refused, set refused, both list the names', { timeout: 15000 }, async () => {
  const r = await refusedUpgrade(srv.port, 'piece=jazz');
  assert.equal(r.status, 400);
  const body = JSON.parse(r.body);
  assert.equal(body.code, 'invalid_param');
  assert.equal(body.message, "piece must be one of drift, rooms, glass, choir, night, pulse (got 'jazz')");
  const c = listen(srv.port, 'seed=2&piece=pulse');
  await c.until(() => c.chunks.length >= 4, 8000, 'audio');
  c.send({ type: 'set', piece: 'polka', intensity: 0.2 });
  await c.until(() => c.ofType('error').length >= 1, 3000, 'error');
  assert.equal(c.ofType('error')[0].code, 'invalid_param');
  assert.match(c.ofType('error')[0].message, /^piece must be one of drift, rooms/);
  await sleep(300);
  assert.equal(c.ofType('state').length, 0, 'nothing changed');
  c.close();
});

test('set piece: state says it, the piece brings its defaults, audio goes on', { timeout: 20000 }, async () => {
  const c = listen(srv.port, 'seed=8&piece=pulse');
  await c.until(() => c.chunks.length >= 6, 8000, 'audio');
  c.send({ type: 'set', piece: 'choir' });
  await c.until(() => c.ofType('state').length >= 1, 3000, 'state');
  const st = c.ofType('state')[0].params;
  // choir's own key, mode, tempo and intensity, not pulse's F mixolydian 92
  assert.deepEqual([st.piece, st.key, st.mode, st.bpm, st.intensity],
    ['choir', 'A', 'aeolian', 48, 0.4]);
  // the timeline holds the whole change, so a replay needs no piece table
  assert.match(c.ofType('state')[0].change, /^\d+:key=A,mode=aeolian,bpm=48,intensity=0\.4.*piece=choir/);
  // what the same message sets wins over the piece's defaults
  c.send({ type: 'set', piece: 'night', bpm: 55, key: 'C' });
  await c.until(() => c.ofType('state').some((m) => m.params.piece === 'night'), 3000, 'second state');
  const s2 = c.ofType('state').find((m) => m.params.piece === 'night').params;
  assert.deepEqual([s2.piece, s2.key, s2.mode, s2.bpm, s2.intensity], ['night', 'C', 'aeolian', 55, 0.12]);
  // a change without a piece keeps the piece and the rest
  c.send({ type: 'set', intensity: 0.3 });
  await c.until(() => c.ofType('state').some((m) => m.params.intensity === 0.3), 3000, 'third state');
  const s3 = c.ofType('state').find((m) => m.params.intensity === 0.3).params;
  assert.deepEqual([s3.piece, s3.key, s3.bpm], ['night', 'C', 55]);
  const n = c.chunks.length;
  await c.until(() => c.chunks.length >= n + 10, 5000, 'audio after the change');
  const seqs = c.chunks.map((x) => x.h.seq);
  seqs.forEach((s, i) => assert.equal(s, i));
  c.close();
});
