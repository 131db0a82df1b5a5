// Export jobs beside live streams (docs/protocol.md "Export",
// docs/operations.md "Exports, resumes and timelines"): a job renders in a
// child process at nice 19 / SCHED_IDLE (never on the server's threads),
// jobs are bounded per client and in total with readable refusals, a
// stopped server takes its export processes with it, and a performance
// described in the request (seed, parameters, timeline) exports the same
// samples on any node. Properties only: no speed is asserted (the
// live-vs-export on-time figures are printed by bench/export.mjs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, listen, get, post, sleep, SLACK } from './helpers.mjs';


async function waitFor(what, fn, ms = 20000 * SLACK) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// the children of pid, with their command line, nice value and policy
function children(pid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields from 3 (state): ppid is 4, nice 19, policy 41
      if (Number(f[1]) !== pid) continue;
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(d), cmd, nice: Number(f[16]), policy: Number(f[38]) });
    } catch { /* gone meanwhile */ }
  }
  return out;
}
const exporters = (pid) => children(pid).filter((c) => c.cmd[1] === 'export-job');
const SCHED_IDLE = 5;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-export-jobs-'));
const servers = [];
after(async () => {
  for (const s of servers) await s.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const LONG = 240 * 60 * 48000; // 4 hours: long enough to be caught running

test('an export renders in a child process at nice 19 and SCHED_IDLE, and ends with the server', { timeout: 120000 * SLACK }, async () => {
  const srv = await startServer(['--workers', '1', '--export-threads', '1']);
  servers.push(srv);
  const r = await post(srv.port, `/api/export?seed=7&format=flac&to=${LONG}`);
  assert.equal(r.status, 202, r.body);
  // once it renders (it sets its priority before it reads the job)
  const job = JSON.parse(r.body).job;
  const st = await waitFor('progress', async () => {
    const s = JSON.parse((await get(srv.port, `/api/export/${job}`)).body.toString());
    return s.rendered > 0 ? s : null;
  });
  assert.equal(st.status, 'running');
  const kids = exporters(srv.proc.pid);
  assert.equal(kids.length, 1);
  assert.equal(kids[0].nice, 19);
  assert.equal(kids[0].policy, SCHED_IDLE);
  // the server stops: its export process goes too, file and all
  const child = kids[0].pid;
  await srv.stop();
  await waitFor('the export process to end', () => !fs.existsSync(`/proc/${child}/cmdline`) ||
    fs.readFileSync(`/proc/${child}/cmdline`, 'utf8') === '');
});

test('an export process steps aside (is stopped) while live streams fall behind', { timeout: 180000 * SLACK }, async () => {
  const srv = await startServer(['--workers', '1', '--export-threads', '1']);
  servers.push(srv);
  const a = listen(srv.port, 'seed=11');
  await a.until(() => a.chunks.length >= 8, 10000, 'audio');
  const r = await post(srv.port, `/api/export?seed=7&format=flac&to=${LONG}`);
  assert.equal(r.status, 202, r.body);
  const job = JSON.parse(r.body).job;
  await waitFor('progress', async () => {
    const s = JSON.parse((await get(srv.port, `/api/export/${job}`)).body.toString());
    return s.rendered > 0;
  });
  const child = exporters(srv.proc.pid)[0].pid;
  // the live stream falls behind: the server is frozen for a moment (its
  // export process is not), so its next chunks finish after they were due
  let sawStopped = false;
  const watch = setInterval(() => {
    try { if (fs.readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1][0] === 'T') sawStopped = true; } catch { /* gone */ }
  }, 20);
  try {
    const st = await waitFor('the export to pause for the live stream', async () => {
      process.kill(srv.proc.pid, 'SIGSTOP');
      await sleep(300);
      process.kill(srv.proc.pid, 'SIGCONT');
      await sleep(1500);
      const s = JSON.parse((await get(srv.port, `/api/export/${job}`)).body.toString());
      return s.paused_s > 0 ? s : null;
    }, 60000 * SLACK);
    assert.equal(st.status, 'running');
  } finally { clearInterval(watch); }
  console.log(`# export process seen stopped by polling: ${sawStopped}`);
  // it goes on afterwards (not stopped for good)
  const before = JSON.parse((await get(srv.port, `/api/export/${job}`)).body.toString()).rendered;
  await waitFor('more progress', async () =>
    JSON.parse((await get(srv.port, `/api/export/${job}`)).body.toString()).rendered > before);
  a.close();
  await srv.stop();
});

test('export bounds: per client and in total, refused with the reason', { timeout: 120000 * SLACK }, async () => {
  const srv = await startServer(['--workers', '1', '--export-threads', '1', '--export-jobs', '2',
    '--export-per-client', '1', '--export-max-minutes', '240']);
  servers.push(srv);
  const a = await post(srv.port, `/api/export?seed=1&format=raw&to=${LONG}`, '127.0.0.1');
  assert.equal(a.status, 202, a.body);
  // the same client again: its one job is running
  let r = await post(srv.port, `/api/export?seed=2&format=raw&to=${LONG}`, '127.0.0.1');
  assert.equal(r.status, 429, r.body);
  let e = JSON.parse(r.body);
  assert.equal(e.code, 'too_many_exports');
  assert.match(e.message, /at most 1 exports? at a time per listener/);
  // another client: queued behind it (one job renders at a time)
  const b = await post(srv.port, `/api/export?seed=3&format=raw&to=${LONG}`, '127.0.0.2');
  assert.equal(b.status, 202, b.body);
  const bs = JSON.parse(b.body);
  // a third client: the server is at its total
  r = await post(srv.port, `/api/export?seed=4&format=raw&to=${LONG}`, '127.0.0.3');
  assert.equal(r.status, 429, r.body);
  e = JSON.parse(r.body);
  assert.equal(e.code, 'too_many_exports');
  assert.match(e.message, /running 2 exports \(its limit\)/);
  // a is taken by the one export thread (on a loaded machine that can
  // come after b is queued: until then b is second in the queue)
  const as = JSON.parse(a.body);
  await waitFor('the first export to run', async () =>
    JSON.parse((await get(srv.port, `/api/export/${as.job}`)).body.toString()).status === 'running');
  // never more than --export-threads processes at once; b waits its turn
  for (let i = 0; i < 5; i++) {
    assert.ok(exporters(srv.proc.pid).length <= 1);
    const s = JSON.parse((await get(srv.port, `/api/export/${bs.job}`)).body.toString());
    assert.equal(s.status, 'queued');
    assert.equal(s.queue_position, 0);
    await sleep(100);
  }
  const h = JSON.parse((await get(srv.port, '/api/health')).body.toString());
  assert.equal(h.export.running, 1);
  assert.equal(h.export.queued, 1);
  // described performances: bounded and checked like any export
  r = await post(srv.port, `/api/export?seed=5&format=flac&to=${241 * 60 * 48000}`, '127.0.0.4');
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).message, /at most 240 minutes in \(got 241\.0\)/);
  r = await post(srv.port, '/api/export?seed=5&format=flac', '127.0.0.4');
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).message, /to is required/);
  r = await post(srv.port, `/api/export?seed=5&format=flac&to=48000&timeline=${encodeURIComponent('4800:bpm=999')}`, '127.0.0.4');
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).message, /bpm/);
  r = await post(srv.port, '/api/export?format=flac&to=48000', '127.0.0.4');
  assert.equal(r.status, 404);
  assert.match(JSON.parse(r.body).message, /describe it with seed/);
  await srv.stop();
});

test('a described performance exports the streamed samples on another node', { timeout: 120000 * SLACK }, async () => {
  const one = await startServer(['--workers', '1']);
  const two = await startServer(['--workers', '1']);
  servers.push(one, two);
  const a = listen(one.port, 'seed=31337&key=A&mode=aeolian&bass_volume=0.5');
  await a.until(() => a.chunks.length >= 6, 10000 * SLACK, 'audio');
  a.send({ type: 'set', intensity: 0.75, volumes: { pads: 0.4 } });
  await a.until(() => a.chunks.length >= 30 && a.ofType('state').length >= 1, 20000 * SLACK, 'audio');
  a.close();
  const timeline = a.ofType('state').map((s) => s.change).join(';');
  const to = 30 * 4800, from = 5 * 4800;
  const streamed = Buffer.concat(a.chunks.slice(0, 30).map((c) => c.payload));
  // node two never saw this performance: the link says everything
  const q = `seed=31337&key=A&mode=aeolian&bass_volume=0.5&timeline=${encodeURIComponent(timeline)}` +
    `&stream=${a.ofType('hello')[0].resume.id}&format=flac&from=${from}&to=${to}`;
  const r = await post(two.port, `/api/export?${q}`);
  assert.equal(r.status, 202, r.body);
  const job = JSON.parse(r.body).job;
  const st = await waitFor('the export', async () => {
    const s = JSON.parse((await get(two.port, `/api/export/${job}`)).body.toString());
    return s.status === 'done' || s.status === 'failed' ? s : null;
  });
  assert.equal(st.status, 'done', JSON.stringify(st));
  const f = await get(two.port, st.download_url);
  const flac = path.join(tmp, 'described.flac');
  fs.writeFileSync(flac, f.body);
  const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', flac, '-f', 's16le', '-'], { maxBuffer: 1 << 26 });
  assert.equal(pcm.length, (to - from) * 4);
  assert.ok(pcm.equals(streamed.subarray(from * 4, to * 4)), 'the other node exported other samples');
});

test('a server that died leaves no export files: the next server removes its folder, a live one\'s stays', { timeout: 120000 * SLACK }, async () => {
  // each server renders into its own folder under $TMPDIR, held by an flock
  // on .lock while it lives; SIGKILL (a crash, an OOM kill, a harness's
  // timeout) runs no shutdown, so the folder and its exports used to stay
  const td = fs.mkdtempSync(path.join(tmp, 'tmpdir-'));
  const folders = () => fs.readdirSync(td).filter((n) => n.startsWith('auralis-exports-')).sort();
  const dead = await startServer(['--workers', '1'], { env: { TMPDIR: td } });
  servers.push(dead);
  const [gone] = folders();
  assert.ok(gone, 'the server made no export folder under $TMPDIR');
  const r = await post(dead.port, '/api/export?seed=7&format=flac&to=240000');
  assert.equal(r.status, 202, r.body);
  const job = JSON.parse(r.body).job;
  await waitFor('the export', async () =>
    JSON.parse((await get(dead.port, `/api/export/${job}`)).body.toString()).status === 'done');
  assert.ok(fs.readdirSync(path.join(td, gone)).some((n) => n.endsWith('.flac')), 'no export file');
  // a folder that is not a server's (no .lock) is none of its business
  const foreign = path.join(td, 'auralis-exports-foreign');
  fs.mkdirSync(foreign);
  fs.writeFileSync(path.join(foreign, 'keep.flac'), 'x');
  dead.proc.kill('SIGKILL');
  await dead.exited;
  assert.deepEqual(folders(), [gone, 'auralis-exports-foreign'].sort(), 'SIGKILL ran a cleanup?');

  const live = await startServer(['--workers', '1'], { env: { TMPDIR: td } });
  servers.push(live);
  const after1 = folders();
  assert.ok(!after1.includes(gone), `the dead server's folder ${gone} is still there`);
  assert.ok(after1.includes('auralis-exports-foreign'), 'a foreign folder was removed');
  await waitFor('the notice', async () => /removed 1 export folder left under/.test(live.stderr));
  const mine = after1.filter((n) => n !== 'auralis-exports-foreign');
  assert.equal(mine.length, 1, after1.join(' '));
  // a second server beside it leaves the live server's folder alone
  const other = await startServer(['--workers', '1'], { env: { TMPDIR: td } });
  servers.push(other);
  assert.ok(folders().includes(mine[0]), 'a live server\'s folder was removed');
  assert.equal(folders().length, 3);
  await other.stop();
  await live.stop();
  // a clean shutdown removes its own folder
  assert.deepEqual(folders(), ['auralis-exports-foreign']);
});
