// A long listening session in headless Chromium against the real server:
// presses play, samples window.auralis.stats() every second and prints the
// figures issue 5 asks for (press-to-audible time, underruns over the
// session, tier changes, buffer depth and playback-rate ranges).
// First, --presses N fresh pages each press play once and the time from the
// press (pointerdown) to the first 128-frame block above -40 dBFS RMS is
// printed (median, min, max): the press-to-audible figure of issue 11.
// With --compare DIR, a second server serves the player files in DIR
// (`auralis serve --web-root DIR`, e.g. an older web/public from git) and the
// presses alternate between the two, side by side: both medians printed.
//   node bench/player-session.mjs [--seconds 600] [--presses 5] [--bin build/auralis] [--codec auto|opus|pcm16]
//                                 [--compare DIR] [--web-root DIR]
// Talks only to 127.0.0.1; stops by itself after --seconds.
// buffer_ms_after_30s is the buffer depth's range once settled (samples after
// the first 30 s): null on a run of 30 s or less, with buffer_ms_after_30s_why
// saying so.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(REPO, 'package.json'));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const SECONDS = Math.max(5, Math.min(24 * 3600, Number(opt('--seconds', '600'))));
const BIN = path.resolve(opt('--bin', path.join(REPO, 'build/auralis')));
const PRESSES = Math.max(0, Math.min(50, Number(opt('--presses', '5'))));
// auto: the player's choice (Opus where WebCodecs decodes it)
const CODEC = opt('--codec', 'auto');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await new Promise((resolve, reject) => {
  const s = net.createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => resolve(p)); });
});
const COMPARE = opt('--compare', null);
const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => resolve(p)); });
});
const servers = [];
const cleanup = () => { for (const s of servers) { try { s.kill('SIGTERM'); } catch { /* gone */ } } };
process.on('exit', cleanup);
async function startServer(p, extra) {
  servers.push(spawn(BIN, ['serve', '--port', String(p), '--quiet', ...extra], { stdio: 'ignore' }));
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${p}/api/health`)).ok) break; } catch { /* not yet */ }
    if (i > 100) throw new Error('server did not start');
    await sleep(100);
  }
}
// --web-root DIR: this player's files from DIR instead of the binary's copy
const WEB_ROOT = opt('--web-root', null);
await startServer(port, WEB_ROOT ? ['--web-root', path.resolve(WEB_ROOT)] : []);
const comparePort = COMPARE ? await freePort() : null;
if (COMPARE) await startServer(comparePort, ['--web-root', path.resolve(COMPARE)]);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-quic'],
});
const median = (xs) => { const v = [...xs].sort((a, b) => a - b); return v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : null; };
const presses = [];
const comparePresses = [];
try {
  for (let i = 0; i < PRESSES * (COMPARE ? 2 : 1); i++) {
    const other = COMPARE && i % 2 === 1;
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`http://127.0.0.1:${other ? comparePort : port}/`);
    await p.waitForFunction(() => typeof window.auralis?.stats === 'function');
    await p.waitForTimeout(500); // the page settled, as a person would find it
    await p.click('#play'); // pointerdown, then click
    await p.waitForFunction(() => window.auralis.metrics().press_to_loud_ms !== null, null, { timeout: 20000 });
    const m = await p.evaluate(() => window.auralis.metrics());
    (other ? comparePresses : presses).push({ press_to_loud_ms: m.press_to_loud_ms, press_to_first_sample_ms: m.press_to_audible_ms, first_chunk_ms: m.first_chunk_ms });
    await ctx.close();
  }
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/${CODEC === 'auto' ? '' : `?codec=${CODEC}`}`);
  await page.waitForFunction(() => typeof window.auralis?.stats === 'function');
  await page.click('#play');
  await page.waitForFunction(() => window.auralis.stats().state === 'playing', null, { timeout: 10000 });
  const m = await page.evaluate(() => window.auralis.metrics());
  const samples = [];
  let lastTier = null;
  const tiers = [];
  for (let t = 1; t <= SECONDS; t++) {
    await sleep(1000);
    const s = await page.evaluate(() => window.auralis.stats());
    samples.push(s);
    if (s.tier !== lastTier) { tiers.push(`${t}s:${s.tier}`); lastTier = s.tier; }
    if (t % 60 === 0)
      console.error(`${t} s: underruns ${s.underruns}, tier ${s.tier}, buffer ${s.buffer_ms.toFixed(0)} ms, rate ${s.playback_rate.toFixed(5)}`);
  }
  const last = samples[samples.length - 1];
  const after30 = samples.slice(30);
  // min..max (reduce: a day's 86,400 samples are too many to spread)
  const range = (xs) => `${xs.reduce((a, x) => Math.min(a, x)).toFixed(1)}..${xs.reduce((a, x) => Math.max(a, x)).toFixed(1)}`;
  const figures = (ps) => {
    const pl = ps.map((x) => x.press_to_loud_ms).filter(Number.isFinite);
    return {
      press_to_above_minus40dBFS_ms: pl.length ? { median: Number(median(pl).toFixed(1)), min: Number(Math.min(...pl).toFixed(1)), max: Number(Math.max(...pl).toFixed(1)), all: pl.map((x) => Math.round(x)) } : null,
      press_to_first_sample_ms_median: ps.length ? Number(median(ps.map((x) => x.press_to_first_sample_ms)).toFixed(1)) : null,
    };
  };
  const out = {
    presses: presses.length,
    ...figures(presses),
    ...(COMPARE ? { compare: { web_root: COMPARE, presses: comparePresses.length, ...figures(comparePresses) } } : {}),
    seconds: SECONDS,
    codec: last.codec ?? null,
    bytes_per_second: last.bytes_per_second ?? null,
    click_to_first_audible_ms: Number(m.first_audible_ms?.toFixed(1)),
    press_to_audible_ms: Number(m.press_to_audible_ms?.toFixed(1)),
    session_press_to_above_minus40dBFS_ms: Number(m.press_to_loud_ms?.toFixed(1)),
    underruns: last.underruns,
    skips: last.skips ?? null,
    chunks: last.chunks,
    tiers,
    // the buffer once settled; a run of 30 s or less has no such samples
    buffer_ms_after_30s: after30.length ? range(after30.map((s) => s.buffer_ms)) : null,
    ...(after30.length ? {} : { buffer_ms_after_30s_why: `n/a: the run was ${SECONDS} s, 31 s or more gives it` }),
    playback_rate_range: range(samples.map((s) => (s.playback_rate - 1) * 100)) + ' %',
    jitter_ms_max: samples.reduce((a, s) => Math.max(a, s.jitter_ms), 0),
    page_errors: errors.length,
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  await browser.close();
  cleanup();
}
