// The player in headless Chromium on the real server: by default it asks
// for Opus (WebCodecs AudioDecoder), decodes and plays it, and reports the
// codec and bytes per second; ?codec=pcm16 forces the raw stream. Rates and
// underruns are printed as figures (`make player-session CODEC=opus`
// measures them); asserted are the properties: codec, decoded audio in the
// output, and an Opus stream a fraction of the pcm16 one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, SLACK } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARGS = ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let srv, browser;
before(async () => {
  srv = await startServer(['--workers', '2', '--max-clients', '8', '--web-root', path.join(REPO, 'web/public')]);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});
after(async () => { await browser?.close(); await srv?.stop(); });

async function play(query) {
  const page = await browser.newPage();
  const errors = [];
  // the gallery probes /api/pieces; a server without pieces answers 404 (not a page error)
  page.on('console', (m) => { if (m.type() === 'error' && !/\/api\/pieces$/.test(m.location()?.url ?? '')) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${srv.port}/?${query}`);
  await page.waitForFunction(() => typeof window.auralis?.stats === 'function', null, { timeout: 10000 * SLACK });
  await page.click('#play');
  await page.waitForFunction(() => window.auralis.stats().state === 'playing' && window.auralis.stats().chunks >= 40,
    null, { timeout: 15000 * SLACK, polling: 100 });
  // the analyser sees the decoded audio: not silence
  await page.waitForFunction(() => {
    const a = window.auralis.player.analyser;
    const x = new Float32Array(a.fftSize);
    a.getFloatTimeDomainData(x);
    let e = 0;
    for (const v of x) e += v * v;
    return Math.sqrt(e / x.length) > 1e-3;
  }, null, { timeout: 10000 * SLACK, polling: 200 });
  const s = await page.evaluate(() => window.auralis.stats());
  await page.close();
  return { s, errors };
}

test('Chromium plays Opus over the WebSocket by default', { timeout: 60000 * SLACK }, async (t) => {
  const { s, errors } = await play('seed=42');
  t.diagnostic(`opus: ${s.bytes_per_second} B/s, chunks ${s.chunks}, underruns ${s.underruns}, buffer ${s.buffer_ms?.toFixed(0)} ms`);
  assert.deepEqual(errors, []);
  assert.equal(s.codec, 'opus');
  // 128 kbit/s Opus plus headers: far below pcm16's 192 kB/s
  assert.ok(s.bytes_per_second > 8000 && s.bytes_per_second < 40000, `${s.bytes_per_second} B/s`);
});

test('?codec=pcm16 plays the raw stream', { timeout: 60000 * SLACK }, async (t) => {
  const { s, errors } = await play('seed=42&codec=pcm16');
  t.diagnostic(`pcm16: ${s.bytes_per_second} B/s, chunks ${s.chunks}, underruns ${s.underruns}`);
  assert.deepEqual(errors, []);
  assert.equal(s.codec, 'pcm16');
  assert.ok(s.bytes_per_second > 150000, `${s.bytes_per_second} B/s`);
});
