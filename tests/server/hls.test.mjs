// HLS (src/server/hls.c): /hls/NAME/index.m3u8 with AAC fMP4 segments.
// Independent clients: ffmpeg decodes the live stream, and the audio matches
// the station's own audio (the offline render of the same seed) with a
// correlation of at least 0.99; headless Chromium plays it through hls.js
// (embedded at /vendor/hls.mjs, page /hls.html). Also the cache headers a CDN
// relies on, and refusals of bad paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, startServer, listen, metrics, sleep } from './helpers.mjs';

const require = createRequire(import.meta.url);

async function fetchHls(port, p, ms = 30000) {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(ms) });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

function run(cmd, args, ms) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => { clearTimeout(timer); resolve({ code, out: Buffer.concat(out), err }); });
  });
}

const mono = (buf) => {
  const n = buf.length >> 2, m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = (buf.readInt16LE(4 * i) + buf.readInt16LE(4 * i + 2)) / 65536;
  return m;
};

function fft(re, im, inverse) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; [im[i], im[j]] = [im[j], im[i]]; }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (2 * Math.PI / len) * (inverse ? 1 : -1), wr = Math.cos(ang), wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const ar = re[i + k], ai = im[i + k], j = i + k + len / 2;
        const br = re[j] * cr - im[j] * ci, bi = re[j] * ci + im[j] * cr;
        re[i + k] = ar + br; im[i + k] = ai + bi; re[j] = ar - br; im[j] = ai - bi;
        const t = cr * wr - ci * wi; ci = cr * wi + ci * wr; cr = t;
      }
    }
  }
}

// Where the decoded window a sits in the reference b (cross-correlation by
// FFT over every lag), and the normalised correlation there.
function bestMatch(a, b) {
  let n = 1;
  while (n < a.length + b.length) n <<= 1;
  const ar = new Float64Array(n), ai = new Float64Array(n), br = new Float64Array(n), bi = new Float64Array(n);
  ar.set(a); br.set(b);
  fft(ar, ai, false); fft(br, bi, false);
  for (let i = 0; i < n; i++) { // B * conj(A)
    const r = br[i] * ar[i] + bi[i] * ai[i], im = bi[i] * ar[i] - br[i] * ai[i];
    br[i] = r; bi[i] = im;
  }
  fft(br, bi, true);
  let lag = 0;
  for (let l = 1; l + a.length <= b.length; l++) if (br[l] > br[lag]) lag = l;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { const x = a[i], y = b[i + lag]; ab += x * y; aa += x * x; bb += y * y; }
  return { corr: ab / Math.sqrt(aa * bb + 1e-30), lag };
}

test('HLS: playlist, segments, cache headers, ffmpeg decodes the station', async () => {
  const srv = await startServer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-hls-'));
  try {
    // the station exists first, with a known seed, through a WebSocket join
    const ws = listen(srv.port, 'station=hlstest&seed=4242');
    await ws.until(() => ws.ofType('hello').length > 0, 10000, 'hello');
    assert.equal(ws.ofType('hello')[0].params.seed, 4242);

    const pl = await fetchHls(srv.port, '/hls/hlstest/index.m3u8');
    assert.equal(pl.status, 200);
    assert.equal(pl.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(pl.headers.get('cache-control'), 'public, max-age=1');
    assert.equal(pl.headers.get('access-control-allow-origin'), '*');
    const text = pl.body.toString();
    assert.match(text, /^#EXTM3U/);
    assert.match(text, /#EXT-X-TARGETDURATION:4/);
    assert.doesNotMatch(text, /#EXT-X-ENDLIST/);
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)[1];
    const seg = /#EXTINF:([\d.]+),\n(\S+)/.exec(text);
    assert.ok(Number(seg[1]) >= 2 && Number(seg[1]) <= 6, `segment of ${seg[1]} s`);
    const i = await fetchHls(srv.port, `/hls/hlstest/${init}`);
    assert.equal(i.status, 200);
    assert.equal(i.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(i.body.toString('latin1', 4, 8), 'ftyp');
    const s = await fetchHls(srv.port, `/hls/hlstest/${seg[2]}`);
    assert.equal(s.status, 200);
    assert.equal(s.headers.get('content-type'), 'audio/mp4');
    assert.equal(s.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.ok(s.body.includes(Buffer.from('moof')));

    // refusals: unknown segment, bad names, traversal, a segment of a
    // station that has no HLS output (never creates one)
    for (const p of ['/hls/hlstest/nope-1.m4s', '/hls/bad%20name/index.m3u8', '/hls/hlstest/../index.html',
      '/hls/hlstest/', '/hls/nostation/x-init.mp4', '/hls/' + 'x'.repeat(40) + '/index.m3u8']) {
      const r = await fetchHls(srv.port, p);
      assert.equal(r.status, 404, p);
    }
    assert.equal((await metrics(srv.port)).stations, 1, 'a segment request created no station');

    // ffmpeg, an independent HLS client, decodes 8 s of the live stream
    const dec = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i',
      `http://127.0.0.1:${srv.port}/hls/hlstest/index.m3u8`, '-t', '8', '-f', 's16le', '-ac', '2', '-ar', '48000', '-'], 120000);
    assert.equal(dec.code, 0, dec.err);
    assert.equal(dec.out.length, 8 * 48000 * 4, 'ffmpeg decoded 8 s');

    // ... and it is the station's audio: the offline render of its seed
    const ref = path.join(tmp, 'ref.raw');
    const r = await run(BIN, ['render', '--quiet', '--endless', '--seed', '4242', '--seconds', '20', '-o', ref], 300000);
    assert.equal(r.code, 0, r.err);
    // 5 s from the middle of the decoded audio, found in the first 20 s of
    // the render (the station is younger than that)
    const m = bestMatch(mono(dec.out).subarray(2 * 48000, 7 * 48000),
      mono(fs.readFileSync(ref)).subarray(0, 20 * 48000));
    assert.ok(m.corr >= 0.99, `correlation ${m.corr.toFixed(4)} at lag ${m.lag}`);
    console.log(`# HLS vs offline render: correlation ${m.corr.toFixed(4)} at ${(m.lag / 48000).toFixed(3)} s`);

    const met = await metrics(srv.port);
    assert.equal(met.hls.outputs, 1);
    assert.ok(met.hls.segments >= 2);
    ws.close();
  } finally {
    await srv.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('HLS: Chromium plays a station through hls.js', async () => {
  const { chromium } = require('playwright-core');
  const srv = await startServer();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // start the station's HLS output first, so hls.js's own manifest
    // timeouts never meet the first-segment wait on a busy machine
    assert.equal((await fetchHls(srv.port, '/hls/hlschrome/index.m3u8', 60000)).status, 200);
    await page.goto(`http://127.0.0.1:${srv.port}/hls.html?station=hlschrome`);
    // plays, and keeps playing: currentTime passes 6 s of audio
    await page.waitForFunction(() => window.hlsState.error || document.getElementById('audio').currentTime > 6,
      null, { timeout: 90000, polling: 250 });
    const st = await page.evaluate(() => ({ ...window.hlsState, t: document.getElementById('audio').currentTime }));
    assert.equal(st.error, null);
    assert.equal(st.engine, 'hls.js');
    assert.equal(st.playing, true);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await srv.stop();
  }
});

test('HLS: a playlist request that would start a station is within the render budget', async () => {
  const srv = await startServer(['--max-streams-per-address', '1']);
  try {
    assert.equal((await fetchHls(srv.port, '/hls/first/index.m3u8', 60000)).status, 200);
    const r = await fetchHls(srv.port, '/hls/second/index.m3u8');
    assert.equal(r.status, 503);
    assert.match(r.body.toString(), /max-streams-per-address/);
    // joining the existing station needs no budget
    assert.equal((await fetchHls(srv.port, '/hls/first/index.m3u8')).status, 200);
    assert.equal((await metrics(srv.port)).stations, 1);
  } finally {
    await srv.stop();
  }
});
