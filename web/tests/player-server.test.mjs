// The player in headless Chromium against the real `auralis serve`, for
// what needs the server's side of issue 11: the mixer reaching `state`,
// "save what I heard" (the downloaded FLAC equals an offline render of the
// same timeline), resume after a pause and after a server restart at the
// same position, and a shared moment reopening the same audio.
// Skips (with a message) when the binary has no `serve` or no exports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WEB_ROOT = path.join(REPO, 'web/public');
const ARTIFACTS = path.join(REPO, 'tests/artifacts');
const BIN = process.env.AURALIS_BIN;
const SLACK = Number(process.env.AURALIS_TEST_SLACK ?? 6);
const CHUNK = 4800;
const ARGS = ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

function support() {
  if (!BIN) return 'AURALIS_BIN is not set';
  const r = spawnSync(BIN, ['serve', '--help'], { encoding: 'utf8', timeout: 10000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (!/--port/.test(out)) return `${BIN} has no 'serve'`;
  if (!/--export/.test(out)) return `${BIN} serve has no exports yet`;
  return null;
}
const skip = support();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
async function startServer(port) {
  const proc = spawn(BIN, ['serve', '--port', String(port), '--web-root', WEB_ROOT, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => proc.on('exit', (code, sig) => r({ code, sig })));
  for (let i = 0; i < 100 * SLACK; i++) {
    if (proc.exitCode !== null) throw new Error(`auralis serve exited (${proc.exitCode}): ${log}`);
    try { if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) return { proc, exited, log: () => log }; } catch { /* not yet */ }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`auralis serve did not start: ${log}`);
}
async function stopServer(s) {
  if (!s || s.proc.exitCode !== null) return;
  s.proc.kill('SIGTERM');
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 5000);
  await s.exited;
  clearTimeout(t);
}

let browser, port, server, tmp;
before(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-player-'));
  port = await freePort();
  server = await startServer(port);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});
after(async () => {
  await browser?.close();
  await stopServer(server);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function open(q) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/${q}`);
  await page.waitForFunction(() => typeof window.auralis?.stats === 'function', null, { timeout: 15000 * SLACK });
  return { context, page, errors };
}
const until = (page, fn, arg, ms, what) => page.waitForFunction(fn, arg, { timeout: ms * SLACK, polling: 100 })
  .catch(async (e) => { throw new Error(`${what}: ${e.message}; stats ${JSON.stringify(await page.evaluate(() => window.auralis.stats()).catch(() => null))}`); });

test('mixer reaches state; save what I heard = an offline render of the same timeline', { skip: skip ?? false, timeout: 600000 }, async () => {
  const { context, page, errors } = await open('?seed=777&key=E&mode=lydian&bpm=66');
  try {
    await page.click('#play');
    await until(page, () => window.auralis.stats().state === 'playing', null, 15000, 'playing');
    await until(page, () => window.auralis.mixer(), null, 5000, 'the mixer (hello has volumes)');
    // a layer volume from the page's slider comes back in `state`
    await page.$eval('[data-volume="pads"]', (el) => { el.value = '0.4'; el.dispatchEvent(new Event('input')); el.dispatchEvent(new Event('change')); });
    await until(page, () => window.auralis.params().volumes?.pads === 0.4, null, 10000, 'pads volume in state');
    assert.match(page.url(), /vol=pads%3A40/, 'and in the address');
    await page.$eval('#intensity', (el) => { el.value = '0.7'; el.dispatchEvent(new Event('change')); });
    await until(page, () => window.auralis.params().intensity === 0.7, null, 10000, 'intensity in state');
    await until(page, () => window.auralis.stats().chunks >= 40, null, 20000, '4 s of audio');
    const pf = await page.evaluate(() => window.auralis.performance());
    assert.match(pf.id, /^[0-9a-f]{32}$/);
    assert.match(pf.timeline, /pads_volume=0\.4/);
    assert.match(pf.timeline, /intensity=0\.7/);
    assert.ok(await page.isVisible('#share-moment'));
    // save the whole session as FLAC
    await page.selectOption('#save-range', 'all');
    await page.selectOption('#save-format', 'flac');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60000 * SLACK }),
      page.click('#save'),
    ]);
    const name = await page.textContent('#perf-name');
    const piece = await page.textContent('#piece-name'); // "" on a server without pieces
    assert.equal(download.suggestedFilename(), `${piece ? `${piece} ` : ''}${name}.flac`.replace(/ /g, '-'), 'named after the piece and performance');
    const flac = path.join(tmp, 'saved.flac');
    await download.saveAs(flac);
    await until(page, () => /^Saved /.test(document.getElementById('save-note').textContent), null, 5000, 'saved note');
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', flac, '-f', 's16le', '-'], { maxBuffer: 1 << 28 });
    assert.ok(pcm.length >= 30 * CHUNK * 4, `${pcm.length / 4} frames saved`);
    assert.equal((pcm.length / 4) % CHUNK, 0, 'whole chunks');
    // the offline render of the same starting parameters and timeline
    const s = pf.start;
    const raw = path.join(tmp, 'offline.raw');
    const seconds = String(Math.ceil(pcm.length / 4 / 48000) + 1);
    execFileSync(BIN, ['render', ...(s.piece ? ['--piece', s.piece] : []), '--seed', String(s.seed), '--key', s.key, '--mode', s.mode, '--bpm', String(s.bpm),
      '--intensity', String(s.intensity), '--timeline', pf.timeline, '--seconds', seconds, '--endless', '--quiet', '-o', raw]);
    const offline = fs.readFileSync(raw);
    assert.ok(pcm.equals(offline.subarray(0, pcm.length)), 'the saved FLAC is the offline render, sample for sample');
    assert.deepEqual(errors, []);
  } finally { await context.close(); }
});

test('resume: after a pause and after a server restart, the same performance where it left', { skip: skip ?? false, timeout: 600000 }, async () => {
  const { context, page, errors } = await open('?seed=31337&key=A&mode=aeolian');
  try {
    await page.click('#play');
    await until(page, () => window.auralis.stats().state === 'playing', null, 15000, 'playing');
    await page.$eval('#bpm', (el) => { el.value = '72'; el.dispatchEvent(new Event('change')); });
    await until(page, () => window.auralis.params().bpm === 72, null, 10000, 'bpm');
    await until(page, () => window.auralis.stats().chunks >= 40, null, 20000, '4 s of audio');

    // pause: after the fade the stream closes; play resumes where it paused
    const connects0 = await page.evaluate(() => window.auralis.metrics().connects);
    await page.click('#play');
    await until(page, () => window.auralis.stats().state === 'paused' && !window.auralis.player.ws, null, 10000, 'paused and closed');
    const pausedAt = await page.evaluate(() => window.auralis.player.pausePosition);
    await sleep(1500); // the live stream would have moved on by now
    await page.click('#play');
    await until(page, (c) => window.auralis.metrics().connects > c && window.auralis.stats().state === 'playing', connects0, 20000, 'resumed after pause');
    const p1 = await page.evaluate(() => ({ perf: window.auralis.player.perf, bpm: window.auralis.params().bpm }));
    assert.equal(p1.perf.resumed, true, 'the server resumed it');
    assert.ok(Math.abs(p1.perf.helloPosition - pausedAt) <= CHUNK, `resumed at ${p1.perf.helloPosition}, paused at ${pausedAt}`);
    assert.equal(p1.bpm, 72, 'with the parameters in force there');

    // the server restarts: the player comes back to the same performance,
    // right after the last chunk it had (the new server knows only the link)
    await until(page, () => window.auralis.stats().chunks >= 80, null, 20000, 'more audio');
    const before = await page.evaluate(() => ({ end: window.auralis.player.lastEnd, connects: window.auralis.metrics().connects, seed: window.auralis.params().seed }));
    await stopServer(server);
    const lastEnd = await page.evaluate(() => window.auralis.player.lastEnd);
    await sleep(1000);
    server = await startServer(port);
    await until(page, (c) => window.auralis.metrics().connects > c && window.auralis.stats().state === 'playing', before.connects, 30000, 'resumed after restart');
    const p2 = await page.evaluate(() => ({ perf: window.auralis.player.perf, params: window.auralis.params() }));
    assert.equal(p2.params.seed, before.seed, 'the same performance');
    assert.equal(p2.perf.resumed, true);
    assert.ok(Math.abs(p2.perf.helloPosition - lastEnd) <= CHUNK, `resumed at ${p2.perf.helloPosition}, left at ${lastEnd} (within one chunk)`);
    assert.equal(p2.params.bpm, 72);

    // a reload resumes too, where the page was left (saved as it went)
    await page.reload();
    await page.waitForFunction(() => typeof window.auralis?.stats === 'function');
    const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('auralis.resume.v1')));
    await page.click('#play');
    await until(page, () => window.auralis.stats().state === 'playing' && window.auralis.player.perf?.resumed, null, 30000, 'resumed after reload');
    const p3 = await page.evaluate(() => window.auralis.player.perf.helloPosition);
    assert.ok(Math.abs(p3 - saved.position) <= CHUNK, `reload resumed at ${p3}, saved ${saved.position}`);
    assert.deepEqual(errors, []);
  } finally { await context.close(); }
});

test('screenshots with the real music at 1440x900 and 390x844', { skip: skip ?? false, timeout: 600000 }, async () => {
  for (const [w, h] of [[1440, 900], [390, 844]]) {
    const context = await browser.newContext({ viewport: { width: w, height: h } });
    const page = await context.newPage();
    try {
      await page.goto(`http://127.0.0.1:${port}/?seed=2026`);
      await page.waitForFunction(() => typeof window.auralis?.stats === 'function', null, { timeout: 15000 * SLACK });
      await page.click('#play');
      await until(page, () => window.auralis.stats().state === 'playing', null, 15000, 'playing');
      await page.waitForTimeout(8000); // chords, notes and spectrum on the stage
      await page.screenshot({ path: path.join(ARTIFACTS, `player-server-${w}x${h}.png`) });
      await page.evaluate(() => window.auralis.immersive(true));
      await page.waitForTimeout(6000); // the controls fade away
      await page.screenshot({ path: path.join(ARTIFACTS, `player-server-${w}x${h}-fullscreen.png`) });
    } finally { await context.close(); }
  }
});

test('share this moment: the link reopens the same audio at that point', { skip: skip ?? false, timeout: 600000 }, async () => {
  const a = await open('?seed=4040&key=C&mode=dorian');
  let link, heard;
  try {
    await a.page.click('#play');
    await until(a.page, () => window.auralis.stats().state === 'playing', null, 15000, 'playing');
    await a.page.$eval('#intensity', (el) => { el.value = '0.8'; el.dispatchEvent(new Event('change')); });
    await until(a.page, () => window.auralis.params().intensity === 0.8, null, 10000, 'intensity');
    await until(a.page, () => window.auralis.stats().chunks >= 30, null, 20000, 'audio');
    link = await a.page.evaluate(() => window.auralis.momentLink());
    heard = new URL(link).searchParams;
    assert.match(heard.get('timeline'), /intensity=0\.8/);
    assert.ok(Number(heard.get('position')) > 0);
  } finally { await a.context.close(); }
  const b = await open(link.slice(link.indexOf('?')));
  try {
    await b.page.click('#play');
    await until(b.page, () => window.auralis.stats().state === 'playing' && window.auralis.player.perf?.resumed, null, 30000, 'the moment playing');
    const p = await b.page.evaluate(() => ({ perf: window.auralis.player.perf, params: window.auralis.params() }));
    assert.ok(Math.abs(p.perf.helloPosition - Number(heard.get('position'))) <= CHUNK);
    assert.equal(p.params.intensity, 0.8, 'with the change that was in force');
    assert.equal(String(p.params.seed), '4040');
    assert.deepEqual(b.errors, []);
  } finally { await b.context.close(); }
});
