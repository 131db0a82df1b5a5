// N simulated HLS listeners of one station, each behaving like a live
// player: it reloads the playlist every half target duration (2 s) and
// fetches every segment it has not fetched yet (starting with the newest
// two), over keep-alive connections. Prints one JSON line: requests and
// errors, segments per listener, bytes per second per listener, request
// latency p50/p99, and the CPU of the processes named by --pids (% of one
// core over the steady window), plus its own.
//   node bench/hls-load.mjs URL N SECONDS [--pids name=PID,...] [--ramp S]
import http from 'node:http';
import fs from 'node:fs';

const [url, nArg, secArg, ...rest] = process.argv.slice(2);
const N = Number(nArg), T = Number(secArg);
let pids = {}, ramp = 10;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--pids') for (const kv of rest[++i].split(',')) { const [k, v] = kv.split('='); pids[k] = Number(v); }
  if (rest[i] === '--ramp') ramp = Number(rest[++i]);
}
const TICK = 100; // USER_HZ on Linux
const cpu = (pid) => { const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(st[11]) + Number(st[12])) / TICK; };
const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });
const base = new URL(url);
const stats = { req: 0, err: 0, seg: 0, bytes: 0, lat: [] };
let measuring = false;

function get(path) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const r = http.get({ host: base.hostname, port: base.port, path, agent }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        if (measuring) { stats.req++; stats.bytes += body.length; stats.lat.push(performance.now() - t0); if (res.statusCode !== 200) stats.err++; }
        resolve(res.statusCode === 200 ? body : null);
      });
    });
    r.on('error', () => { if (measuring) { stats.req++; stats.err++; } resolve(null); });
    r.setTimeout(30000, () => r.destroy());
  });
}

const dir = base.pathname.replace(/[^/]*$/, '');
let stop = false;
async function listener() {
  const seen = new Set();
  let first = true;
  while (!stop) {
    const t0 = Date.now();
    const pl = await get(base.pathname);
    if (pl) {
      const segs = [...pl.toString().matchAll(/^([^#\s]\S*\.m4s)$/gm)].map((m) => m[1]);
      const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(pl.toString());
      if (first && init) await get(dir + init[1]);
      const want = first ? segs.slice(-2) : segs.filter((s) => !seen.has(s));
      first = false;
      for (const s of want) { seen.add(s); if (await get(dir + s)) { if (measuring) stats.seg++; } }
    }
    const wait = 2000 - (Date.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

const started = [];
for (let i = 0; i < N; i++) {
  setTimeout(() => started.push(listener()), (ramp * 1000 * i) / N);
}
await new Promise((r) => setTimeout(r, ramp * 1000 + 4000));
measuring = true;
const c0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpu(p)]));
const self0 = process.cpuUsage();
const w0 = performance.now();
await new Promise((r) => setTimeout(r, T * 1000));
const wall = (performance.now() - w0) / 1000;
measuring = false;
const out = { listeners: N, seconds: Number(wall.toFixed(1)), requests_per_s: Math.round(stats.req / wall), errors: stats.err,
  segments_per_listener_per_min: Number((stats.seg / N / wall * 60).toFixed(2)),
  bytes_per_s_per_listener: Math.round(stats.bytes / wall / N) };
stats.lat.sort((a, b) => a - b);
out.latency_ms = { p50: Number((stats.lat[Math.floor(stats.lat.length * 0.5)] ?? 0).toFixed(2)), p99: Number((stats.lat[Math.floor(stats.lat.length * 0.99)] ?? 0).toFixed(2)) };
for (const [k, p] of Object.entries(pids)) out[`${k}_cpu_pct`] = Number((100 * (cpu(p) - c0[k]) / wall).toFixed(1));
const su = process.cpuUsage(self0);
out.client_cpu_pct = Number((100 * (su.user + su.system) / 1e6 / wall).toFixed(1));
console.log(JSON.stringify(out));
stop = true;
process.exit(0);
