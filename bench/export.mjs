// Export and resume figures (docs/protocol.md "Export", "Resume"):
//   node bench/export.mjs [--bin build/auralis] [--minutes 60] [--load 200]
// 1. resume time: a fresh server fast-forwards a performance to MINUTES
//    (hello -> first audio chunk);
// 2. export speed: FLAC of that whole performance (MINUTES of audio);
// 3. live lateness: build/bench/load's station listeners (--load N, plus 5
//    personal streams) on the same server, once without and once during
//    the export: on-time fraction and lateness percentiles.
// Prints one JSON object. Figures only: nothing is asserted.
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
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

async function serve() {
  const proc = spawn(BIN, ['serve', '--port', '0', '--workers', '2', '--max-clients', '2048',
    '--export-max-minutes', String(Math.max(240, MINUTES))], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { proc, port };
}

// runs build/bench/load against the server without blocking this process
// (the export's status is polled meanwhile)
function loadRun(port, pid, seconds) {
  const bin = path.join(root, 'build/bench/load');
  const json = path.join(root, `build/bench/export-load-${Date.now()}.json`);
  return new Promise((resolve, reject) => {
    execFile(bin, ['--port', String(port), '--pid', String(pid), '--stations', String(LOAD),
      '--station-count', '4', '--personal', '5', '--seconds', String(seconds), '--warmup', '3',
      '--json', json], (err) => {
      if (err) return reject(err);
      resolve(JSON.parse(fs.readFileSync(json, 'utf8')));
    });
  });
}

execFileSync('make', ['-s', '-C', path.join(root, 'bench'), path.join(root, 'build/bench/load')], { stdio: 'inherit' });
const { proc, port } = await serve();
const result = { minutes: MINUTES, load_listeners: LOAD, loadavg_start: os.loadavg()[0] };
try {
  // 1. resume at MINUTES: fast-forward on the preparer thread
  const position = Math.round(MINUTES * 60 * 48000);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?seed=2024&intensity=0.5&position=${position}`);
  const t0 = performance.now();
  let hello = null;
  const first = await new Promise((resolve) => {
    ws.on('message', (d, bin) => {
      if (!bin) { const m = JSON.parse(d.toString()); if (m.type === 'hello') hello = m; }
      else resolve(performance.now());
    });
  });
  result.resume_seconds = (first - t0) / 1000;
  result.resume_x_realtime = (MINUTES * 60) / result.resume_seconds;

  // 2. baseline lateness, without an export
  result.live_without_export = await loadRun(port, proc.pid, 20);

  // 3. export the whole performance while the load runs
  const r = await request(port, 'POST', `/api/export?stream=${hello.resume.id}&format=flac&to=${position}`);
  if (r.status !== 202) throw new Error(`export refused: ${r.body}`);
  const job = JSON.parse(r.body).job;
  const e0 = performance.now();
  const during = loadRun(port, proc.pid, 30);
  let st;
  for (;;) {
    st = JSON.parse((await request(port, 'GET', `/api/export/${job}`)).body);
    if (st.status === 'done' || st.status === 'failed') break;
    await sleep(500);
  }
  result.export_seconds = (performance.now() - e0) / 1000;
  result.export_status = st.status;
  result.export_bytes = st.bytes;
  result.export_x_realtime = (MINUTES * 60) / result.export_seconds;
  result.live_during_export = await during;
  result.export_finished_before_load_end = result.export_seconds < 33;
  result.loadavg_end = os.loadavg()[0];
  ws.close();
} finally {
  proc.kill('SIGTERM');
}
const pick = (l) => l && { on_time: l.on_time ?? l.on_time_fraction, late: l.lateness ?? l.late_ms, server_cpu: l.server_cpu };
console.log(JSON.stringify({ ...result,
  live_without_export: result.live_without_export, live_during_export: result.live_during_export }, null, 1));
void pick;
