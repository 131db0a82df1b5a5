// A long listening session in headless Chromium against the real server:
// presses play, samples window.auralis.stats() every second and prints the
// figures issue 5 asks for (press-to-audible time, underruns over the
// session, tier changes, buffer depth and playback-rate ranges).
//   node bench/player-session.mjs [--seconds 600] [--bin build/auralis]
// Talks only to 127.0.0.1; stops by itself after --seconds.
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
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await new Promise((resolve, reject) => {
  const s = net.createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => resolve(p)); });
});
const server = spawn(BIN, ['serve', '--port', String(port), '--quiet'], { stdio: 'ignore' });
const cleanup = () => { try { server.kill('SIGTERM'); } catch { /* gone */ } };
process.on('exit', cleanup);
for (let i = 0; ; i++) {
  try { if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) break; } catch { /* not yet */ }
  if (i > 100) throw new Error('server did not start');
  await sleep(100);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
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
  const range = (xs) => `${Math.min(...xs).toFixed(1)}..${Math.max(...xs).toFixed(1)}`;
  const out = {
    seconds: SECONDS,
    click_to_first_audible_ms: Number(m.first_audible_ms?.toFixed(1)),
    press_to_audible_ms: Number(m.press_to_audible_ms?.toFixed(1)),
    underruns: last.underruns,
    skips: last.skips ?? null,
    chunks: last.chunks,
    tiers,
    buffer_ms_after_30s: range(after30.map((s) => s.buffer_ms)),
    playback_rate_range: range(samples.map((s) => (s.playback_rate - 1) * 100)) + ' %',
    jitter_ms_max: Math.max(...samples.map((s) => s.jitter_ms)),
    page_errors: errors.length,
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  await browser.close();
  cleanup();
}
