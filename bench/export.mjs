// Export and resume figures (docs/protocol.md "Export", "Resume"):
//   node bench/export.mjs [--bin build/auralis] [--minutes 60] [--load 200]
//                         [--runs 3] [--seconds 20] [--modes process,no-yield,thread]
//                         [--no-resume]
// 1. resume time: a fresh server fast-forwards a performance to MINUTES
//    (hello -> first audio chunk);
// 2. live listeners beside an export, side by side: for each run and each
//    export mode (process: the default, a child process at nice 19 /
//    SCHED_IDLE that is stopped while live streams are short of CPU;
//    no-yield: the same process never stopped (--export-no-yield); thread:
//    --export-in-process, SCHED_IDLE threads inside the server, the old
//    way), two windows of SECONDS, each on a fresh server with
//    build/bench/load's station listeners (--load N on 4 stations, plus 5
//    personal streams): one without an export, one while a FLAC export of
//    MINUTES of music renders throughout (a new one starts if one finishes),
//    in alternating order from run to run: the on-time fraction (chunks within
//    20 ms of their schedule) and lateness percentiles of each window, and
//    the export's speed (audio seconds per second). Medians over the runs.
// Prints one JSON object. Figures only: nothing is asserted. On a shared
// machine compare the two columns of the same run, not runs of other days.
import { spawn, execFileSync, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import process from 'node:process';
import WebSocket from 'ws';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const BIN = path.resolve(arg('bin', 'build/auralis'));
const MINUTES = Number(arg('minutes', '60'));
const LOAD = Number(arg('load', '200'));
const RUNS = Number(arg('runs', '3'));
const SECONDS = Number(arg('seconds', '20'));
const MODES = arg('modes', 'process,no-yield,thread').split(',');
const MODE_ARGS = { process: [], 'no-yield': ['--export-no-yield'], thread: ['--export-in-process'] };
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (a) => {
  const s = a.filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x) => (x == null ? null : Math.round(x * 1000) / 1000);

function request(port, method, p) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path: p, method, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString() }));
    });
    r.on('error', reject);
    r.end();
  });
}

async function serve(extra = []) {
  const proc = spawn(BIN, ['serve', '--port', '0', '--workers', '2', '--max-clients', '2048',
    '--max-streams-per-address', '0', '--max-pending-per-address', '0',
    '--export-max-minutes', String(Math.max(240, MINUTES)), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  const exited = new Promise((r) => proc.once('exit', r));
  return { proc, port, async stop() { proc.kill('SIGTERM'); await exited; } };
}

// build/bench/load against the server without blocking this process
function loadRun(port, pid, seconds) {
  const bin = path.join(root, 'build/bench/load');
  const json = path.join(root, `build/bench/export-load-${process.pid}-${Date.now()}.json`);
  return new Promise((resolve, reject) => {
    execFile(bin, ['--port', String(port), '--pid', String(pid), '--stations', String(LOAD),
      '--station-count', '4', '--personal', '5', '--seconds', String(seconds), '--warmup', '3',
      '--json', json], (err) => {
      if (err) return reject(err);
      const r = JSON.parse(fs.readFileSync(json, 'utf8'));
      fs.rmSync(json, { force: true });
      resolve(r);
    });
  });
}

const exportQuery = (seed) => `/api/export?seed=${seed}&intensity=0.5&format=flac&to=${Math.round(MINUTES * 60 * 48000)}`;

// one window with exports rendering throughout; returns the load figures
// and the export speed reported by the server
async function windowWithExport(srv, seed) {
  const during = loadRun(srv.port, srv.proc.pid, SECONDS);
  let done = false;
  during.finally(() => { done = true; });
  const speeds = [];
  let exports = 0, paused = 0;
  while (!done) {
    const r = await request(srv.port, 'POST', exportQuery(seed + exports));
    if (r.status !== 202) throw new Error(`export refused: ${r.body}`);
    exports++;
    const job = JSON.parse(r.body).job;
    let st;
    for (;;) {
      st = JSON.parse((await request(srv.port, 'GET', `/api/export/${job}`)).body);
      if (st.status === 'done' || st.status === 'failed' || done) break;
      await sleep(250);
    }
    if (st.status === 'failed') throw new Error(`export failed: ${st.error}`);
    if (st.speed > 0) speeds.push(st.speed);
    paused += st.paused_s ?? 0;
  }
  return { load: await during, export_speed: median(speeds), exports_started: exports, paused_s: paused };
}

execFileSync('make', ['-s', '-C', path.join(root, 'bench'), path.join(root, 'build/bench/load')], { stdio: 'inherit' });
const result = {
  minutes: MINUTES, load_listeners: LOAD, runs: RUNS, seconds: SECONDS, modes: MODES,
  cores: os.cpus().length, loadavg_start: r3(os.loadavg()[0]),
};

if (!process.argv.includes('--no-resume')) {
  const srv = await serve();
  try {
    const position = Math.round(MINUTES * 60 * 48000);
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws?seed=2024&intensity=0.5&position=${position}`);
    const t0 = performance.now();
    const first = await new Promise((resolve) => {
      ws.on('message', (d, bin) => { if (bin) resolve(performance.now()); });
    });
    result.resume_seconds = r3((first - t0) / 1000);
    result.resume_x_realtime = r3((MINUTES * 60) / result.resume_seconds);
    ws.close();
  } finally { await srv.stop(); }
}

// One window: a fresh server, the load for SECONDS, with or without an
// export rendering throughout (started first, so the window is all export).
async function window(mode, withExport, seed) {
  const srv = await serve(MODE_ARGS[mode]);
  try {
    if (!withExport) return { load: await loadRun(srv.port, srv.proc.pid, SECONDS) };
    return await windowWithExport(srv, seed);
  } finally { await srv.stop(); }
}

const runs = Object.fromEntries(MODES.map((m) => [m, []]));
for (let run = 0; run < RUNS; run++) {
  for (const mode of MODES) {
    // the two windows of a pair in alternating order, so a machine whose
    // load drifts favours neither
    const first = run % 2 === 0 ? false : true;
    const a = await window(mode, first, 1000 * (run + 1));
    const b = await window(mode, !first, 1000 * (run + 1));
    const without = first ? b.load : a.load;
    const w = first ? a : b;
    const row = {
      on_time_without: without.on_time_fraction, on_time_with: w.load.on_time_fraction,
      late_p99_ms_without: without.late_p99_ms, late_p99_ms_with: w.load.late_p99_ms,
      server_cpu_pct_without: without.server_cpu_pct, server_cpu_pct_with: w.load.server_cpu_pct,
      export_x_realtime: w.export_speed, exports_started: w.exports_started, export_paused_s: w.paused_s,
      order: first ? 'with first' : 'without first', loadavg: r3(os.loadavg()[0]),
    };
    runs[mode].push(row);
    console.error(`run ${run + 1}/${RUNS} ${mode}: on time ${(100 * row.on_time_without).toFixed(1)}% without, ` +
      `${(100 * row.on_time_with).toFixed(1)}% with an export (${r3(row.export_x_realtime)}x real time, paused ${r3(row.export_paused_s)} s; ${row.order}), load avg ${row.loadavg}`);
  }
}
result.runs = runs;
result.median = Object.fromEntries(MODES.map((m) => {
  const rs = runs[m];
  const med = (k) => r3(median(rs.map((r) => r[k])));
  return [m, {
    on_time_without: med('on_time_without'), on_time_with: med('on_time_with'),
    on_time_ratio: r3(median(rs.map((r) => r.on_time_with / r.on_time_without))),
    late_p99_ms_without: med('late_p99_ms_without'), late_p99_ms_with: med('late_p99_ms_with'),
    export_x_realtime: med('export_x_realtime'), export_paused_s: med('export_paused_s'),
  }];
}));
result.loadavg_end = r3(os.loadavg()[0]);
console.log(JSON.stringify(result, null, 1));
