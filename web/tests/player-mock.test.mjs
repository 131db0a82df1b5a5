// The player in headless Chromium against the protocol mock (mock-server.mjs):
// both audio transports (SharedArrayBuffer when cross-origin isolated,
// transferred buffers otherwise), events reaching the display in time with
// the audio, pause, and a server-refused value shown to the user.
// Runs without the real server, so the browser side is tested in any build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startMock } from './mock-server.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
// Waits are generous bounds on properties (SLACK); underruns and buffer
// depth are figures for `make player-session`, not asserted here.
const SLACK = Number(process.env.AURALIS_TEST_SLACK ?? 6);
const T = (ms) => ({ timeout: ms * SLACK });
const ARGS = ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

for (const isolate of [true, false]) {
  test(`plays through ${isolate ? 'a SharedArrayBuffer ring' : 'transferred buffers'}`, { timeout: 60000 * SLACK }, async () => {
    const mock = await startMock(0, { isolate });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
    try {
      const page = await browser.newPage();
      const errors = [];
      // the gallery probes /api/pieces; a server without pieces answers 404 (not a page error)
      page.on('console', (m) => { if (m.type() === 'error' && !/\/api\/pieces$/.test(m.location()?.url ?? '')) errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${mock.port}/?seed=42&key=E&mode=lydian&bpm=70`);
      await page.waitForFunction(() => window.auralis && document.querySelectorAll('#presets button').length === 4, null, T(5000));
      await page.keyboard.press('Space'); // space = play
      await page.waitForFunction(() => window.auralis.stats().state === 'playing', null, T(10000));
      // 5 s of audio arrive and the chord/section events with them
      await page.waitForFunction(() => window.auralis.stats().chunks >= 50 &&
        document.getElementById('now-chord').textContent !== '—', null, T(10000));
      const s = await page.evaluate(() => window.auralis.stats());
      console.log(`# ${isolate ? 'shared' : 'transferred'}: chunks ${s.chunks}, underruns ${s.underruns}, buffer ${s.buffer_ms?.toFixed(0)} ms`);
      assert.equal(s.shared_memory, isolate);
      // playing, or briefly refilling after a gap on a busy machine
      assert.ok(['playing', 'buffering'].includes(s.state), `state ${s.state}`);
      assert.ok(s.buffer_ms > 0, `buffer ${s.buffer_ms}`);
      const p = await page.evaluate(() => window.auralis.params());
      assert.deepEqual([p.seed, p.key, p.mode, p.bpm], ['42', 'E', 'lydian', 70], 'the link chose the piece');
      // the mock changes chord every 4 s of audio: the first chord is shown
      assert.notEqual(await page.textContent('#now-chord'), '—');
      assert.equal(await page.textContent('#now-section'), 'calm');
      // the spectrum has signal: the analyser sees the audio
      const peak = () => { const a = window.auralis.player.analyser; const f = new Float32Array(a.frequencyBinCount); a.getFloatFrequencyData(f); return Math.max(...f); };
      await page.waitForFunction(`(${peak})() > -60`, null, T(5000)).catch(async () => {
        assert.fail(`analyser peak ${await page.evaluate(peak)} dB`);
      });
      // a refused value is shown, not swallowed
      await page.evaluate(() => window.auralis.player.ws.send(JSON.stringify({ type: 'set', bpm: 500 })));
      await page.waitForFunction(() => !document.getElementById('toast').hidden, null, T(5000));
      assert.match(await page.textContent('#toast'), /bpm must be between 30 and 200/);
      // pause: the state says so, and the output fades to silence (~1 s)
      await page.click('#play');
      await page.waitForFunction(() => window.auralis.stats().state === 'paused', null, T(5000));
      assert.equal(await page.getAttribute('#play', 'aria-label'), 'Play');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await mock.close();
    }
  });
}

test('settings survive a reload; a station is joined by name and carried by the link', { timeout: 60000 * SLACK }, async () => {
  const mock = await startMock(0);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${mock.port}/?seed=7&key=A&mode=aeolian`);
    await page.click('#play');
    await page.waitForFunction(() => window.auralis.stats().state === 'playing', null, T(10000));
    await page.$eval('#volume', (el) => { el.value = '0.3'; el.dispatchEvent(new Event('input')); });
    await page.click('[data-layer="percussion"]');
    assert.equal(await page.getAttribute('[data-layer="percussion"]', 'aria-pressed'), 'false');
    // the address is updated after the click, not necessarily at once
    await page.waitForFunction(() => /seed=7/.test(location.search) && /off=percussion/.test(location.search), null, T(5000));
    // reload without the query: everything comes back from localStorage
    await page.goto(`http://127.0.0.1:${mock.port}/`);
    await page.waitForFunction(() => window.auralis, null, T(5000));
    assert.equal(await page.inputValue('#volume'), '0.3');
    assert.equal(await page.textContent('#seed'), '7');
    assert.equal(await page.inputValue('#key'), 'A');
    assert.equal(await page.getAttribute('[data-layer="percussion"]', 'aria-pressed'), 'false');
    await page.click('#play');
    await page.waitForFunction(() => window.auralis.stats().state === 'playing', null, T(10000));
    assert.match(mock.queries.at(-1), /seed=7&key=A&mode=aeolian/, 'reconnects to the same piece');
    // join a station by name
    await page.fill('#station', 'lobby');
    await page.click('#join');
    await page.waitForFunction(() => window.auralis.stats().state === 'playing' && location.search.includes('station=lobby'), null, T(10000));
    assert.match(mock.queries.at(-1), /^\?station=lobby&codec=(opus|pcm16)$/);
    assert.equal(await page.isHidden('#leave'), false);
    // the status names the station once playing (a busy machine may show
    // "Buffering…" for a moment first)
    await page.waitForFunction(() => /station lobby/.test(document.getElementById('status-text').textContent), null, T(10000))
      .catch(async () => assert.fail(`status: ${await page.textContent('#status-text')}`));
  } finally {
    await browser.close();
    await mock.close();
  }
});
