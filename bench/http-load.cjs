// Copied from the shared Icecast anchor (../shared/bench/icecast-anchor/load.js,
// unchanged below this note) so that bench/http-vs-icecast.sh runs the very
// client the Icecast figures were measured with.
// Usage: node load.js URL N T_SECONDS EXPECTED_BYTES_PER_S SERVER_PID [RAMP_S=2] [WARMUP_S=6]
// Opens N concurrent HTTP GETs (no keep-alive, staggered over RAMP_S), reads for T seconds,
// prints a JSON summary. Steady-state window = [WARMUP_S, T] after start (burst-on-connect excluded).
'use strict';
const http = require('http');
const fs = require('fs');
const { monitorEventLoopDelay } = require('perf_hooks');

const [url, N_, T_, EXP_, PID_, RAMP_, WARM_] = process.argv.slice(2);
const N = +N_, T = +T_ * 1000, EXP = +EXP_, PID = +PID_;
const RAMP = (RAMP_ ? +RAMP_ : 2) * 1000, WARM = (WARM_ ? +WARM_ : 6) * 1000;
const GAP = 200;
const CLK = 100; // USER_HZ
const now = () => Number(process.hrtime.bigint() / 1000000n);

function procStat(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (+f[11] + +f[12]) / CLK; // utime+stime seconds
}
function rssKB(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return +m[1];
}
function sysCpu() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}
function tcpMemKB() {
  const m = fs.readFileSync('/proc/net/sockstat', 'utf8').match(/TCP:.*mem (\d+)/);
  return m ? +m[1] * 4 : null;
}
function threads(pid) {
  return +fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/Threads:\s+(\d+)/)[1];
}

const conns = [];
const gapHist = { '<50': 0, '50-100': 0, '100-200': 0, '200-500': 0, '500-1000': 0, '>=1000': 0 };
function histAdd(g) {
  if (g < 50) gapHist['<50']++; else if (g < 100) gapHist['50-100']++; else if (g < 200) gapHist['100-200']++;
  else if (g < 500) gapHist['200-500']++; else if (g < 1000) gapHist['500-1000']++; else gapHist['>=1000']++;
}
let errors = 0, errSamples = [], ended = 0, status = {};
const tcpMemBefore = tcpMemKB(), rssBefore = rssKB(PID), thrBefore = threads(PID);
const t0 = now();
const cpu0 = process.cpuUsage();
const eld = monitorEventLoopDelay({ resolution: 10 });
let winStart = null, winEnd = null;

function open(i) {
  const c = { i, bytes: 0, winBytes: 0, tStart: now(), tHdr: null, tFirst: null, last: null, maxGap: 0, gaps: 0, done: false };
  conns.push(c);
  const req = http.get(url, { agent: false, headers: { Connection: 'close', 'User-Agent': 'http-load' } }, (res) => {
    c.tHdr = now();
    status[res.statusCode] = (status[res.statusCode] || 0) + 1;
    res.on('data', (buf) => {
      const t = now();
      c.bytes += buf.length;
      if (winStart !== null && winEnd === null) c.winBytes += buf.length;
      if (c.last !== null) {
        const g = t - c.last;
        if (t - t0 >= WARM) { // only count gaps in steady window
          histAdd(g);
          if (g > GAP) c.gaps++;
          if (g > c.maxGap) c.maxGap = g;
        }
      } else c.tFirst = t;
      c.last = t;
    });
    res.on('end', () => { if (!c.done) ended++; c.done = true; });
    res.on('error', () => {});
  });
  c.req = req;
  req.on('error', (e) => { if (!c.done) { errors++; if (errSamples.length < 5) errSamples.push(e.code || e.message); } c.done = true; });
}

for (let i = 0; i < N; i++) setTimeout(() => open(i), (RAMP * i) / N);

let ic0, ccpu0, sys0;
setTimeout(() => {
  winStart = now(); sys0 = sysCpu(); ic0 = procStat(PID); ccpu0 = process.cpuUsage(); eld.enable();
}, WARM);

setTimeout(() => {
  winEnd = now();
  const sys1 = sysCpu(), ic1 = procStat(PID), ccpu1 = process.cpuUsage(ccpu0), rssAt = rssKB(PID), thrAt = threads(PID), tcpMemAt = tcpMemKB();
  eld.disable();
  const win = (winEnd - winStart) / 1000;
  for (const c of conns) { if (c.req) c.req.destroy(); }
  const rates = conns.map((c) => c.winBytes / win).sort((a, b) => a - b);
  const q = (p) => rates.length ? rates[Math.min(rates.length - 1, Math.floor(p * rates.length))] : 0;
  const ok = rates.filter((r) => Math.abs(r - EXP) <= 0.05 * EXP).length;
  const hdr = conns.filter((c) => c.tHdr).map((c) => c.tHdr - c.tStart).sort((a, b) => a - b);
  const hq = (p) => hdr.length ? hdr[Math.min(hdr.length - 1, Math.floor(p * hdr.length))] : null;
  const gapsTotal = conns.reduce((s, c) => s + c.gaps, 0);
  const connsWithGap = conns.filter((c) => c.gaps > 0).length;
  const maxGap = conns.reduce((m, c) => Math.max(m, c.maxGap), 0);
  const cpuAll = process.cpuUsage(cpu0);
  const out = {
    N, T_s: T / 1000, system_busy_pct_of_2_cores: +(100 * (1 - (sys1.idle - sys0.idle) / (sys1.total - sys0.total))).toFixed(1), window_s: +win.toFixed(2), expected_Bps: EXP,
    connected: hdr.length, http_status: status, errors, errSamples, ended_early: ended,
    connect_ms: { p50: hq(0.5), p99: hq(0.99), max: hdr[hdr.length - 1] },
    rate_Bps: { min: +q(0).toFixed(0), p5: +q(0.05).toFixed(0), p50: +q(0.5).toFixed(0), max: +q(1).toFixed(0) },
    frac_within_5pct: +(ok / N).toFixed(4),
    gaps_over_200ms: gapsTotal, conns_with_gap: connsWithGap, max_gap_ms: maxGap, gap_hist: gapHist,
    server: {
      cpu_pct_one_core: +((100 * (ic1 - ic0)) / win).toFixed(2),
      cpu_pct_per_100_listeners: +((100 * (ic1 - ic0)) / win / N * 100).toFixed(3),
      rss_before_MB: +(rssBefore / 1024).toFixed(1), rss_MB: +(rssAt / 1024).toFixed(1),
      rss_per_listener_KB: +((rssAt - rssBefore) / N).toFixed(1), threads_before: thrBefore, threads: thrAt,
      kernel_tcp_mem_MB_both_sides: { before: +(tcpMemBefore / 1024).toFixed(1), at: +(tcpMemAt / 1024).toFixed(1) },
    },
    client: {
      cpu_pct_window: +((100 * (ccpu1.user + ccpu1.system)) / 1e6 / win).toFixed(2),
      cpu_s_total: +((cpuAll.user + cpuAll.system) / 1e6).toFixed(2),
      rss_MB: +(process.memoryUsage().rss / 1048576).toFixed(1),
      eventloop_delay_ms: { p50: +(eld.percentile(50) / 1e6).toFixed(1), p99: +(eld.percentile(99) / 1e6).toFixed(1), max: +(eld.max / 1e6).toFixed(1) },
    },
  };
  console.log(JSON.stringify(out));
  setTimeout(() => process.exit(0), 200);
}, T);
