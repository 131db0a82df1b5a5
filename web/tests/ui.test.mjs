// The player's page in headless Chromium against the protocol mock
// (mock-server.mjs): the gallery and performance names, settings carried by
// a copied link into a fresh browser, the sleep timer's fade states, a
// refused station shown with the server's reason (and not retried for
// ever), the installable app (manifest, icons, service worker, offline
// start), accessibility (axe-core, a contrast check of every text colour
// against what is really behind it, 44 px targets, the 390 px layout), and
// the full-screen visual. Screenshots at 1440x900 and 390x844 go to
// tests/artifacts/. Nothing here measures speed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock } from './mock-server.mjs';
import { performanceName } from '../public/js/names.js';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(REPO, 'tests/artifacts');
const AXE = require.resolve('axe-core/axe.min.js');
// generous bounds on a busy machine (the suite's common factor)
const SLACK = Number(process.env.AURALIS_TEST_SLACK ?? 6);
const ARGS = ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let browser, mock;
before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  mock = await startMock(0);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});
after(async () => {
  await browser?.close();
  await mock?.close();
});

const url = (q = '') => `http://127.0.0.1:${mock.port}/${q}`;
async function open(q, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  // the gallery probes /api/pieces; the mock has none and answers 404
  page.on('console', (m) => { if (m.type() === 'error' && !/\/api\/pieces$/.test(m.location()?.url ?? '')) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url(q));
  await page.waitForFunction(() => window.auralis && document.querySelectorAll('#presets .card').length > 0, null, { timeout: 15000 * SLACK });
  return { context, page, errors };
}
async function playing(page) {
  await page.waitForFunction(() => window.auralis.stats().state === 'playing', null, { timeout: 15000 * SLACK, polling: 100 });
}

test('gallery: cards with name, description and cover; a preset is lit only while it holds', { timeout: 360000 }, async () => {
  const { context, page, errors } = await open('?seed=42');
  try {
    const cards = await page.$$eval('#presets .card', (bs) => bs.map((b) => ({
      name: b.querySelector('.name').textContent, desc: b.querySelector('.desc').textContent,
      svg: !!b.querySelector('.cover svg rect'), w: b.getBoundingClientRect().width,
    })));
    assert.deepEqual(cards.map((c) => c.name), ['Focus', 'Meditation', 'Sleep', 'Bright']);
    for (const c of cards) { assert.ok(c.desc.length > 0, `${c.name} has a line`); assert.ok(c.svg, `${c.name} has cover art`); }
    const covers = await page.$$eval('#presets .card .cover', (cs) => cs.map((c) => c.innerHTML));
    assert.equal(new Set(covers).size, covers.length, 'every card has its own cover');
    // the performance has a name from its seed, and the seed behind it
    assert.equal(await page.textContent('#perf-name'), performanceName('42'));
    assert.equal(await page.textContent('#seed'), '42');
    await page.click('#presets .card:nth-child(3)'); // Sleep: F lydian 40 bpm
    await playing(page);
    await page.waitForFunction(() => window.auralis.params().bpm === 40 && window.auralis.params().mode === 'lydian', null, { timeout: 10000 * SLACK });
    const pressed = () => page.$$eval('#presets .card', (bs) => bs.map((b) => b.getAttribute('aria-pressed')));
    assert.deepEqual(await pressed(), ['false', 'false', 'true', 'false']);
    assert.equal(await page.textContent('#perf-name'), performanceName('42'), 'a preset changes the sound, not the performance');
    // Media Session shows the performance's name, not the changing chord
    const meta = await page.evaluate(() => ({ title: navigator.mediaSession.metadata?.title, album: navigator.mediaSession.metadata?.album }));
    assert.equal(meta.title, performanceName('42'));
    assert.doesNotMatch(meta.album, /maj7|m7|sus|add9/);
    // move one of its settings: it is no longer that preset
    await page.$eval('#bpm', (el) => { el.value = '41'; el.dispatchEvent(new Event('change')); });
    await page.waitForFunction(() => window.auralis.params().bpm === 41, null, { timeout: 10000 * SLACK });
    assert.deepEqual(await pressed(), ['false', 'false', 'false', 'false']);
    // statistics are behind a toggle; window.auralis.stats() is unchanged
    assert.equal(await page.isHidden('#readout'), true);
    await page.click('#stats-toggle');
    assert.equal(await page.isVisible('#readout'), true);
    assert.equal(await page.getAttribute('#stats-toggle', 'aria-expanded'), 'true');
    const s = await page.evaluate(() => window.auralis.stats());
    for (const k of ['state', 'tier', 'buffer_ms', 'target_ms', 'jitter_ms', 'underruns', 'playback_rate', 'chunks', 'sample_rate']) assert.ok(k in s, k);
    assert.deepEqual(errors, []);
  } finally { await context.close(); }
});

test('gallery: pieces when the server has them; a piece card starts that piece in its own key and tempo', { timeout: 360000 }, async () => {
  const pm = await startMock(0, { pieces: true });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(`http://127.0.0.1:${pm.port}/?seed=11`);
    await page.waitForFunction(() => document.querySelectorAll('#presets .card').length === 3, null, { timeout: 15000 * SLACK });
    assert.equal(await page.textContent('#gallery-title'), 'Pieces');
    assert.deepEqual(await page.$$eval('#presets .card .name', (n) => n.map((x) => x.textContent)), ['Drift', 'Rooms', 'Night']);
    assert.equal(await page.$$eval('#moods button', (b) => b.length), 4, 'the presets become moods');
    await page.click('[data-piece="night"]');
    await page.waitForFunction(() => window.auralis.stats().state === 'playing' && window.auralis.params().piece === 'night', null, { timeout: 15000 * SLACK });
    const q = new URLSearchParams(pm.queries.at(-1));
    assert.deepEqual([q.get('piece'), q.get('key'), q.get('mode'), q.get('bpm'), q.get('intensity')], ['night', 'A', 'aeolian', '44', '0.15']);
    assert.equal(q.get('seed'), null, 'a new performance');
    assert.equal(await page.getAttribute('[data-piece="night"]', 'aria-pressed'), 'true');
    assert.equal(await page.getAttribute('[data-piece="drift"]', 'aria-pressed'), 'false');
    assert.equal(await page.textContent('#piece-name'), 'Night');
    assert.match(page.url(), /piece=night/);
  } finally { await context.close(); await pm.close(); }
});

test('settings round-trip through a copied link into a fresh browser', { timeout: 360000 }, async () => {
  const a = await open('?seed=7');
  let link;
  try {
    await a.page.click('#play');
    await playing(a.page);
    await a.page.selectOption('#key', 'F#');
    await a.page.selectOption('#mode', 'lydian');
    await a.page.$eval('#bpm', (el) => { el.value = '77'; el.dispatchEvent(new Event('change')); });
    await a.page.$eval('#intensity', (el) => { el.value = '0.3'; el.dispatchEvent(new Event('change')); });
    await a.page.click('#wander');
    await a.page.click('[data-layer="bells"]');
    await a.page.click('[data-layer="percussion"]');
    await a.page.waitForFunction(() => window.auralis.mixer(), null, { timeout: 10000 * SLACK });
    await a.page.$eval('[data-volume="pads"]', (el) => { el.value = '0.5'; el.dispatchEvent(new Event('input')); el.dispatchEvent(new Event('change')); });
    await a.page.waitForFunction(() => {
      const p = window.auralis.params();
      return p.key === 'F#' && p.mode === 'lydian' && p.bpm === 77 && p.intensity === 0.3 && p.wander === true && p.bells === false && p.percussion === false && p.volumes?.pads === 0.5;
    }, null, { timeout: 10000 * SLACK });
    assert.equal(await a.page.getAttribute('#wander', 'aria-checked'), 'true');
    link = await a.page.evaluate(() => window.auralis.shareLink());
    assert.equal(a.page.url(), link, 'the address bar carries the same link');
  } finally { await a.context.close(); }

  // a fresh browser (no saved settings) opens the link: everything comes back
  const b = await open(link.slice(link.indexOf('?')));
  try {
    assert.equal(await b.page.inputValue('#key'), 'F#');
    assert.equal(await b.page.inputValue('#mode'), 'lydian');
    assert.equal(await b.page.textContent('#bpm-out'), '77');
    assert.equal(await b.page.textContent('#intensity-out'), '0.30');
    assert.equal(await b.page.getAttribute('#wander', 'aria-checked'), 'true');
    assert.equal(await b.page.getAttribute('[data-layer="bells"]', 'aria-pressed'), 'false');
    assert.equal(await b.page.getAttribute('[data-layer="percussion"]', 'aria-pressed'), 'false');
    assert.equal(await b.page.getAttribute('[data-layer="pads"]', 'aria-pressed'), 'true');
    assert.equal(await b.page.inputValue('[data-volume="pads"]'), '0.5');
    assert.equal(await b.page.textContent('#perf-name'), performanceName('7'));
    await b.page.click('#play');
    await playing(b.page);
    const q = new URLSearchParams(mock.queries.at(-1));
    assert.deepEqual([q.get('seed'), q.get('key'), q.get('mode'), q.get('bpm'), q.get('intensity'), q.get('wander'), q.get('bells'), q.get('percussion'), q.get('pads_volume')],
      ['7', 'F#', 'lydian', '77', '0.3', 'true', 'false', 'false', '0.5'], 'the stream is asked for all of it');
    const p = await b.page.evaluate(() => window.auralis.params());
    assert.deepEqual([p.seed, p.key, p.bpm, p.wander, p.bells, p.percussion, p.volumes.pads], ['7', 'F#', 77, true, false, false, 0.5]);
    // and the history remembers it
    assert.match(await b.page.textContent('#recent'), new RegExp(performanceName('7')));
    assert.deepEqual(b.errors, []);
  } finally { await b.context.close(); }
});

test('sleep timer: counts down, says it is fading while it fades, ends paused; cancel restores', { timeout: 360000 }, async () => {
  const { context, page, errors } = await open('?seed=3');
  try {
    await page.click('#play');
    await playing(page);
    await page.evaluate(() => window.auralis.sleep(20, 15)); // fades from 5 s to 20 s
    assert.match(await page.textContent('#sleep-left'), /^Sleep in \d+ s$/);
    assert.equal(await page.isVisible('#sleep-cancel'), true);
    await page.waitForFunction(() => window.auralis.sleepState().fading, null, { timeout: 10000 * SLACK, polling: 100 });
    await page.waitForFunction(() => window.auralis.sleepState().gain < 0.9, null, { timeout: 10000 * SLACK, polling: 100 });
    const st = await page.evaluate(() => ({ s: window.auralis.sleepState(), state: window.auralis.stats().state, status: document.getElementById('status-text').textContent }));
    assert.notEqual(st.state, 'paused', 'still playing while it fades');
    assert.match(st.s.text, /^Fading out, \d+ s left$/);
    if (st.state === 'playing') assert.match(st.status, /Fading out/); // (a busy machine may show Buffering)
    assert.doesNotMatch(st.status, /Paused/);
    await page.waitForFunction(() => window.auralis.sleepState().ended, null, { timeout: 15000 * SLACK, polling: 100 });
    await page.waitForFunction(() => window.auralis.stats().state === 'paused', null, { timeout: 10000 * SLACK });
    assert.match(await page.textContent('#status-text'), /Paused · sleep timer ended/);
    assert.equal(await page.getAttribute('#play', 'aria-label'), 'Play');

    // a custom duration from the page, cancelled in the middle of its fade
    await page.click('#play');
    await playing(page);
    await page.selectOption('#sleep', 'custom');
    assert.equal(await page.isVisible('#sleep-custom'), true);
    await page.fill('#sleep-custom', '0');
    await page.click('#sleep-start');
    await page.waitForFunction(() => /1 to 720 minutes/.test(document.getElementById('toast').textContent));
    await page.fill('#sleep-custom', '25');
    await page.click('#sleep-start');
    assert.match(await page.textContent('#sleep-left'), /^Sleep in 25 min$/);
    await page.evaluate(() => window.auralis.sleep(4, 4)); // fading from the start
    await page.waitForFunction(() => window.auralis.sleepState().gain < 0.8, null, { timeout: 10000 * SLACK, polling: 100 });
    await page.click('#sleep-cancel');
    await page.waitForFunction(() => window.auralis.sleepState().gain === 1, null, { timeout: 10000 * SLACK, polling: 100 });
    assert.equal(await page.textContent('#sleep-left'), '');
    await page.waitForTimeout(4500);
    assert.equal(await page.evaluate(() => window.auralis.player.wantPlaying), true, 'a cancelled timer does not pause');
    assert.notEqual(await page.evaluate(() => window.auralis.stats().state), 'paused');
    assert.deepEqual(errors, []);
  } finally { await context.close(); }
});

test('stations: the server\'s rule in the page, a refusal shown with the server\'s reason and not retried', { timeout: 360000 }, async () => {
  const { context, page } = await open('');
  try {
    await page.fill('#station', 'no spaces allowed');
    await page.click('#join');
    await page.waitForFunction(() => !document.getElementById('toast').hidden);
    assert.match(await page.textContent('#toast'), /station must be 1 to 32 characters of A-Z a-z 0-9 \. _ -/);
    assert.equal(await page.getAttribute('#station', 'maxlength'), '32');
  } finally { await context.close(); }
  // a link with a name the server refuses (the page would have refused it too)
  const bad = 'x'.repeat(40);
  const b = await open(`?station=${bad}`);
  try {
    const before = mock.queries.length;
    await b.page.click('#play');
    await b.page.waitForFunction(() => document.getElementById('status').dataset.state === 'error', null, { timeout: 20000 * SLACK, polling: 100 });
    assert.match(await b.page.textContent('#status-text'), /station must be 1 to 32 characters/);
    const tries = mock.queries.length;
    assert.ok(tries - before >= 1 && tries - before <= 5, `a few attempts, then the reason (${tries - before})`);
    await b.page.waitForTimeout(3000);
    assert.equal(mock.queries.length, tries, 'no more attempts after the refusal');
  } finally { await b.context.close(); }
});

test('installable: manifest, icons, favicon, a service worker that opens the player offline', { timeout: 360000 }, async () => {
  const { context, page, errors } = await open('?seed=5');
  const missing = [];
  page.on('response', (r) => { if (r.status() === 404 && !r.url().endsWith('/api/pieces')) missing.push(r.url()); });
  try {
    const m = await page.evaluate(async () => {
      const href = document.querySelector('link[rel=manifest]').href;
      const r = await fetch(href);
      const j = await r.json();
      const icons = [];
      for (const i of j.icons) {
        const ir = await fetch(new URL(i.src, href));
        icons.push({ src: i.src, sizes: i.sizes, status: ir.status, type: ir.headers.get('content-type') });
      }
      const fav = await fetch('/favicon.ico');
      const linkIcon = await fetch(document.querySelector('link[rel=icon]').href);
      return { type: r.headers.get('content-type'), name: j.name, display: j.display, start: j.start_url, icons, fav: fav.status, linkIcon: linkIcon.status };
    });
    assert.equal(m.type, 'application/manifest+json');
    assert.equal(m.name, 'Auralis');
    assert.equal(m.display, 'standalone');
    assert.ok(m.icons.some((i) => i.sizes === '192x192' && i.status === 200 && i.type === 'image/png'), JSON.stringify(m.icons));
    assert.ok(m.icons.some((i) => i.sizes === '512x512' && i.status === 200 && i.type === 'image/png'));
    assert.ok(m.icons.every((i) => i.status === 200));
    assert.equal(m.fav, 200);
    assert.equal(m.linkIcon, 200);
    // the service worker takes over and keeps the player
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 15000 * SLACK });
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const c = await caches.open(keys.find((k) => k.startsWith('auralis-player-')));
      return (await c.keys()).map((r) => new URL(r.url).pathname);
    });
    for (const f of ['/', '/style.css', '/js/app.js', '/js/worklet.js', '/manifest.webmanifest']) assert.ok(cached.includes(f), `${f} cached: ${cached}`);
    // offline: the player still opens (and says it cannot reach the server)
    await context.setOffline(true);
    await page.goto(url('?seed=5'));
    await page.waitForFunction(() => typeof window.auralis?.stats === 'function', null, { timeout: 15000 * SLACK });
    assert.equal(await page.textContent('#perf-name'), performanceName('5'));
    await context.setOffline(false);
    assert.deepEqual(missing, [], 'no 404 for anything the page asks for');
    void errors; // offline loads log fetch failures; the page itself must not throw
    assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
  } finally { await context.close(); }
});

// Every element with text of its own, its colour against the background
// actually behind it: the panel colours composited over the page's darkest
// and lightest background, or over the stage the pixels of the visual
// under the text (the brightest of them).
async function contrastFailures(page) {
  return page.evaluate(() => {
    const parse = (c) => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return null;
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
    const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
    const PAGE = [[13, 20, 48], [7, 10, 22], [37, 38, 90]]; // body gradient: top, bottom, the lit corner
    const canvas = document.getElementById('roll');
    const cctx = canvas.getContext('2d');
    const cr = canvas.getBoundingClientRect();
    const fails = [];
    let checked = 0;
    const els = [...document.querySelectorAll('body *')].filter((el) => {
      if (el.closest('[aria-hidden="true"], svg, canvas, script, style')) return false;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') return false;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      return own || el.matches('input, select');
    });
    for (const el of els) {
      const cs = getComputedStyle(el);
      if (Number(cs.opacity) === 0) continue;
      const colors = [parse(cs.color)];
      if (el.matches('input[placeholder]') && !el.value) colors.push(parse(getComputedStyle(el, '::placeholder').color));
      const layers = [];
      let inStage = false;
      for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
        const bg = parse(getComputedStyle(a).backgroundColor);
        if (bg && bg[3] > 0) layers.unshift(bg);
        if (a.id === 'stage') { inStage = true; break; }
      }
      let bases = PAGE;
      if (inStage) {
        const r = el.getBoundingClientRect();
        const sx = canvas.width / cr.width, sy = canvas.height / cr.height;
        const x0 = Math.max(0, Math.floor((r.left - cr.left) * sx)), y0 = Math.max(0, Math.floor((r.top - cr.top) * sy));
        const w = Math.min(canvas.width - x0, Math.ceil(r.width * sx)), h = Math.min(canvas.height - y0, Math.ceil(r.height * sy));
        let best = [10, 15, 36];
        if (w > 0 && h > 0) {
          const d = cctx.getImageData(x0, y0, w, h).data;
          let bl = -1;
          for (let i = 0; i < d.length; i += 4) { const c = [d[i], d[i + 1], d[i + 2]]; const l = lum(c); if (l > bl) { bl = l; best = c; } }
        }
        bases = [best];
      }
      for (const col of colors) {
        if (!col) continue;
        for (const base of bases) {
          let bg = base;
          for (const l of layers) bg = over(l, bg);
          const fg = over(col, bg);
          const r = ratio(fg, bg);
          checked++;
          if (r < 4.5) fails.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} "${(el.textContent || el.placeholder || '').trim().slice(0, 30)}" ${cs.color} on rgb(${bg.map(Math.round)}) = ${r.toFixed(2)}`);
        }
      }
    }
    return { fails, checked };
  });
}

async function tapTargetsBelow44(page) {
  return page.evaluate(() => [...document.querySelectorAll('button, select, input, a[href]')].filter((el) => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('[hidden]')) return false;
    return r.height < 44 - 0.5 || r.width < 44 - 0.5;
  }).map((el) => `${el.tagName.toLowerCase()}#${el.id}[${el.dataset.layer ?? el.dataset.volume ?? ''}] ${el.getBoundingClientRect().width.toFixed(0)}x${el.getBoundingClientRect().height.toFixed(0)}`));
}

for (const [w, h] of [[1440, 900], [390, 844]]) {
  test(`accessibility and layout at ${w}x${h}: axe, contrast of every text colour, 44 px targets; screenshots`, { timeout: 480000 }, async () => {
    const { context, page, errors } = await open('?seed=42', { width: w, height: h });
    try {
      await page.click('#play');
      await playing(page);
      await page.click('#stats-toggle'); // check the statistics too
      await page.click('#fav');
      await page.waitForTimeout(6000); // chords, notes and the spectrum on screen
      const axePath = AXE;
      await page.addScriptTag({ path: axePath });
      const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      const v = res.violations.map((x) => `${x.id}: ${x.help} (${x.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')})`);
      assert.deepEqual(v, [], 'axe-core finds nothing');
      const c = await contrastFailures(page);
      assert.ok(c.checked > 40, `checked ${c.checked} text colours`);
      assert.deepEqual(c.fails, [], 'every text colour is at least 4.5:1');
      assert.deepEqual(await tapTargetsBelow44(page), [], 'every control is at least 44 px');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
      // the visual fills the stage: no empty strip between labels and picture
      const fill = await page.evaluate(() => {
        const s = document.getElementById('stage').getBoundingClientRect(), c = document.getElementById('roll').getBoundingClientRect();
        return { top: c.top - s.top, bottom: s.bottom - c.bottom, w: c.width / s.width };
      });
      assert.ok(fill.top <= 1 && fill.bottom <= 1 && fill.w > 0.99, JSON.stringify(fill));
      await page.screenshot({ path: path.join(ARTIFACTS, `player-${w}x${h}.png`) });
      await page.screenshot({ path: path.join(ARTIFACTS, `player-${w}x${h}-full.png`), fullPage: true });
      // full-screen visual: the stage fills the window; its controls fade away
      await page.evaluate(() => window.auralis.immersive(true));
      await page.waitForTimeout(500);
      const box = await page.$eval('#stage', (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; });
      assert.deepEqual(box.map(Math.round), [0, 0, w, h]);
      assert.equal(await page.isVisible('#imm-exit'), true);
      await page.waitForFunction(() => document.body.classList.contains('idle'), null, { timeout: 15000 * SLACK });
      // the fade itself: a CSS transition, which a loaded machine may run late
      await page.waitForFunction(() => getComputedStyle(document.querySelector('.imm-bar')).opacity === '0',
        null, { timeout: 15000 * SLACK });
      await page.screenshot({ path: path.join(ARTIFACTS, `player-${w}x${h}-fullscreen.png`) });
      await page.mouse.move(w / 2, h / 2);
      await page.mouse.move(w / 3, h / 3);
      await page.waitForFunction(() => !document.body.classList.contains('idle'));
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.body.classList.contains('immersive'));
      assert.deepEqual(errors, []);
    } finally { await context.close(); }
  });
}
