// Per-layer volumes, "save what I heard" exports and resuming a performance
// (docs/protocol.md: "Layer volumes", "Export", "Resume"): exports are the
// streamed PCM bit for bit, a resumed performance continues with the same
// samples on another server, and the shared station-name rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, startServer, listen, get, post, sleep, refusedUpgrade, metrics, assertIsolated, SLACK } from './helpers.mjs';


// Exports render at nice 19 under SCHED_IDLE (docs/protocol.md): on a
// machine whose CPUs another process keeps busy they get only what is left,
// so the wait is scaled by SLACK like every other bound here.
async function exportDone(port, job, ms = 60000 * SLACK) {
  const t0 = Date.now();
  for (;;) {
    const st = JSON.parse((await get(port, `/api/export/${job}`)).body.toString());
    if (st.status === 'done' || st.status === 'failed') return st;
    if (Date.now() - t0 > ms) throw new Error(`export ${job} not done: ${JSON.stringify(st)}`);
    await sleep(150);
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-export-test-'));
let srv;
before(async () => { srv = await startServer(['--workers', '1', '--export-per-client', '1']); });
after(async () => {
  await srv?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('layer volumes: query, set, state and validation', { timeout: 20000 * SLACK }, async () => {
  const a = listen(srv.port, 'seed=5&pads_volume=0.25');
  await a.until(() => a.chunks.length >= 6, 5000, 'audio');
  const hello = a.ofType('hello')[0];
  assert.equal(hello.params.volumes.pads, 0.25);
  assert.equal(hello.params.volumes.bass, 1);
  assert.match(hello.resume.id, /^[0-9a-f]{32}$/);
  a.send({ type: 'set', volumes: { melody: 0.5 }, bass_volume: 0 });
  await a.until(() => a.ofType('state').length >= 1, 3000, 'state');
  const st = a.ofType('state')[0];
  assert.equal(st.params.volumes.melody, 0.5);
  assert.equal(st.params.volumes.bass, 0);
  assert.equal(st.change, `${st.applies_at}:melody_volume=0.5,bass_volume=0`);
  a.send({ type: 'set', volumes: { pads: 1.5 } });
  await a.until(() => a.ofType('error').length >= 1, 3000, 'error');
  assert.match(a.ofType('error')[0].message, /pads_volume must be between 0.0 and 1.0 \(got 1.5\)/);
  a.close();
  const r = await refusedUpgrade(srv.port, 'bells_volume=-1');
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).message, /bells_volume/);
});

test('export: FLAC and raw are the streamed PCM bit for bit; MIDI is a file', { timeout: 250000 * SLACK }, async () => {
  const a = listen(srv.port, 'seed=4242&intensity=0.6');
  await a.until(() => a.chunks.length >= 8, 5000, 'audio');
  a.send({ type: 'set', bpm: 75, volumes: { pads: 0.3 } });
  await a.until(() => a.chunks.length >= 40, 10000, 'more audio');
  const id = a.ofType('hello')[0].resume.id;
  const streamed = Buffer.concat(a.chunks.slice(0, 40).map((c) => c.payload));
  const to = 40 * 4800, from = 10 * 4800;

  let r = await post(srv.port, `/api/export?stream=${id}&format=flac&from=${from}&to=${to}&name=Amber%20Tide%207F3A`);
  assert.equal(r.status, 202, r.body);
  const job = JSON.parse(r.body);
  assert.equal(job.filename, 'Amber-Tide-7F3A.flac');
  // one job per client at a time here (--export-per-client 1)
  const second = await post(srv.port, `/api/export?stream=${id}&format=raw&to=${to}`);
  if (second.status !== 202) {
    assert.equal(second.status, 429);
    assert.equal(JSON.parse(second.body).code, 'too_many_exports');
  }
  const st = await exportDone(srv.port, job.job);
  assert.equal(st.status, 'done', JSON.stringify(st));
  assert.equal(st.progress, 1);
  const f = await get(srv.port, st.download_url);
  assert.equal(f.status, 200);
  assert.equal(f.headers['content-type'], 'audio/flac');
  assert.match(f.headers['content-disposition'], /filename="Amber-Tide-7F3A\.flac"/);
  assertIsolated(f.headers, 'export download');
  const flac = path.join(tmp, 'x.flac');
  fs.writeFileSync(flac, f.body);
  const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', flac, '-f', 's16le', '-'], { maxBuffer: 1 << 26 });
  assert.equal(pcm.length, (to - from) * 4);
  assert.ok(pcm.equals(streamed.subarray(from * 4, to * 4)), 'FLAC differs from the streamed PCM');

  if (second.status === 202) await exportDone(srv.port, JSON.parse(second.body).job);
  r = await post(srv.port, `/api/export?stream=${id}&format=raw&to=${to}`);
  assert.equal(r.status, 202, r.body);
  const raw = await get(srv.port, (await exportDone(srv.port, JSON.parse(r.body).job)).download_url);
  assert.ok(raw.body.equals(streamed), 'raw export differs from the streamed PCM');

  r = await post(srv.port, `/api/export?stream=${id}&format=midi&to=${to}`);
  assert.equal(r.status, 202, r.body);
  const mst = await exportDone(srv.port, JSON.parse(r.body).job);
  const mid = await get(srv.port, mst.download_url);
  assert.equal(mid.body.toString('ascii', 0, 4), 'MThd');
  assert.match(mst.filename, /^auralis-[a-z]+-4242-D-dorian\.mid$/);

  r = await post(srv.port, `/api/export?stream=${id}&format=opus&minutes=0.05&to=${to}`);
  assert.equal(r.status, 202, r.body);
  const ost = await exportDone(srv.port, JSON.parse(r.body).job);
  assert.equal(ost.from, to - 3 * 48000); // 3 s counted back from `to`
  const ogg = await get(srv.port, ost.download_url);
  assert.equal(ogg.headers['content-type'], 'audio/ogg');
  assert.equal(ogg.body.toString('ascii', 0, 4), 'OggS');
  assert.ok(ogg.body.includes(Buffer.from('OpusHead')));

  // bad requests say why
  r = await post(srv.port, `/api/export?stream=${id}&format=wav`);
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).message, /format must be/);
  r = await post(srv.port, '/api/export?stream=00000000000000000000000000000000&format=flac');
  assert.equal(r.status, 404);
  a.close();
});

test('resume: another server continues the performance with the same samples', { timeout: 90000 * SLACK }, async () => {
  // the first server: a performance with a change, heard for 4 s
  const a = listen(srv.port, 'seed=99&key=F&mode=lydian&melody_volume=0.6');
  await a.until(() => a.chunks.length >= 6, 5000, 'audio');
  a.send({ type: 'set', intensity: 0.8, volumes: { textures: 0.2 } });
  await a.until(() => a.chunks.length >= 40, 10000, 'audio');
  a.close();
  // the server parks the stream once it has seen the close
  const idle = async () => {
    for (let i = 0; i < 100 && (await metrics(srv.port)).listeners > 0; i++) await sleep(100);
  };
  await idle();
  const hello = a.ofType('hello')[0];
  const timeline = a.ofType('state').map((s) => s.change).join(';');
  assert.ok(timeline.length > 0);

  // by resume id on the same server: the parked stream itself (the chunk
  // is still in its ring), then a replay of its timeline (it is not)
  for (const k of [30, 5]) {
    const at = a.chunks[k].h.pos + 1234; // mid-chunk: rounded down
    const b = listen(srv.port, `resume=${hello.resume.id}&position=${at}`);
    await b.until(() => b.chunks.length >= 6, 20000, 'resumed audio');
    const bh = b.ofType('hello')[0];
    assert.equal(bh.position, a.chunks[k].h.pos);
    assert.equal(bh.resume.resumed, true);
    assert.equal(b.chunks[0].h.pos, a.chunks[k].h.pos);
    for (let i = 0; i < 6; i++) assert.ok(b.chunks[i].payload.equals(a.chunks[k + i].payload), `chunk ${k + i}`);
    // a replay is a new branch with a new id (chunk 5 is long out of the
    // parked ring). Chunk 30 is served by the parked stream itself (same id)
    // only while it is still in that ring, which a loaded machine can outrun
    // before the server sees the close: either path must give these samples.
    if (k === 5) assert.notEqual(bh.resume.id, hello.resume.id);
    else console.log(`# chunk 30 resumed by ${bh.resume.id === hello.resume.id ? 'the parked stream' : 'a replay'}`);
    b.close();
    await b.until(() => b.closed, 3000, 'closed');
    await idle(); // the server sees the close and parks the stream again
  }

  // after a restart: a fresh server knows nothing but what the link says
  const other = await startServer(['--workers', '1']);
  try {
    const q = `seed=99&key=F&mode=lydian&melody_volume=0.6&resume=${hello.resume.id}` +
      `&timeline=${encodeURIComponent(timeline)}&position=${a.chunks[25].h.pos}`;
    const c = listen(other.port, q);
    await c.until(() => c.chunks.length >= 10, 30000, 'audio after restart');
    assert.equal(c.chunks[0].h.pos, a.chunks[25].h.pos);
    for (let i = 0; i < 10; i++) assert.ok(c.chunks[i].payload.equals(a.chunks[25 + i].payload), `chunk ${25 + i}`);
    c.close();
  } finally { await other.stop(); }

  // and the offline render of the same timeline says the same
  const out = path.join(tmp, 'r.raw');
  execFileSync(BIN, ['render', '--seed', '99', '--key', 'F', '--mode', 'lydian', '--volume', 'melody=0.6',
    '--timeline', timeline, '--seconds', '4', '--endless', '--quiet', '-o', out]);
  const offline = fs.readFileSync(out);
  const streamed = Buffer.concat(a.chunks.slice(0, 40).map((ch) => ch.payload));
  assert.ok(offline.equals(streamed), 'offline render differs from the stream');
});

test('station names: one rule, readable reasons', { timeout: 10000 * SLACK }, async () => {
  const h = JSON.parse((await get(srv.port, '/api/health')).body.toString());
  const re = new RegExp(h.station_name.pattern);
  for (const name of ['lobby', 'a.b', 'x'.repeat(32), '_-9']) assert.ok(re.test(name), name);
  for (const name of ['', '.hidden', 'x'.repeat(33), 'a b', 'a/b']) assert.ok(!re.test(name), name);
  let v = await get(srv.port, '/api/validate?station=.hidden');
  assert.equal(v.status, 400);
  assert.match(JSON.parse(v.body.toString()).message, /not starting with '\.'/);
  v = await get(srv.port, `/api/validate?station=${'x'.repeat(33)}`);
  assert.equal(v.status, 400);
  v = await get(srv.port, '/api/validate?station=a.b&pads_volume=0.5');
  assert.equal(v.status, 200);
  assert.deepEqual(JSON.parse(v.body.toString()), { ok: true });
});
