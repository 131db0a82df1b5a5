// Stations as HTTP streams: /stream/NAME.opus (Ogg Opus, the very packets
// WebSocket Opus listeners get) and .mp3 decoded by ffmpeg, Icecast headers
// and ICY StreamTitle blocks, playlists, /api/stations, a station kept
// alive by HTTP listeners alone, clear 400/404s, a stalled reader that
// does not hold up anyone else, and an <audio> element on another site that
// plays the stream in headless Chromium (CORP cross-origin).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import { startServer, listen, get, sleep, SLACK } from './helpers.mjs';
import { oggPages, oggPackets, opusPacketsOf } from './ogg.mjs';

let srv;
before(async () => {
  srv = await startServer(['--workers', '2', '--max-clients', '16', '--station-linger', '0']);
});
after(async () => { await srv?.stop(); });

// Reads an endless HTTP stream until `bytes` arrived (then hangs up).
function readStream(port, path, bytes, headers = {}) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let got = 0;
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`${path}: HTTP ${res.statusCode}`));
      }
      res.on('data', (d) => {
        parts.push(d);
        got += d.length;
        if (got >= bytes) { req.destroy(); resolve({ headers: res.headers, body: Buffer.concat(parts) }); }
      });
      res.on('end', () => reject(new Error(`${path} ended after ${got} bytes`)));
    });
    req.on('error', (e) => { if (got < bytes) reject(e); });
    req.setTimeout(15000 * SLACK, () => req.destroy(new Error(`${path}: timeout at ${got} bytes`)));
  });
}

function ffmpegDecode(url, seconds) {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', url, '-t', String(seconds), '-f', 's16le', '-ac', '2', '-'],
    { maxBuffer: 1 << 26, timeout: 30000 * SLACK });
  assert.equal(r.status, 0, String(r.stderr));
  return new Int16Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length >> 1);
}
const rms = (x) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / Math.max(1, x.length));

async function stations() {
  return JSON.parse((await get(srv.port, '/api/stations')).body.toString()).stations;
}

test('Ogg Opus over HTTP: decodes, and carries the WebSocket Opus packets', { timeout: 60000 * SLACK }, async () => {
  const ws = listen(srv.port, 'station=radio&seed=9&codec=opus');
  await ws.until(() => ws.chunks.length >= 3, 5000, 'station audio');
  const { headers, body } = await readStream(srv.port, '/stream/radio.opus', 40000);
  await ws.until(() => ws.chunks.length >= 30, 8000, 'more audio');
  assert.equal(headers['content-type'], 'audio/ogg');
  assert.equal(headers['icy-name'], 'Auralis radio');
  assert.match(headers['icy-description'], /station radio \(seed 9,/);
  assert.equal(headers['icy-br'], '128');
  const { pages } = oggPages(body);
  const pk = oggPackets(pages);
  assert.equal(pk[0].toString('ascii', 0, 8), 'OpusHead');
  assert.equal(pk[1].toString('ascii', 0, 8), 'OpusTags');
  assert.match(pk[1].toString('latin1'), /TITLE=radio/);
  // each data page is one 100 ms chunk: granule (k+1)*4800 holds chunk k's
  // five packets, byte for byte those of the WebSocket listener
  const byPos = new Map(ws.chunks.map((c) => [c.h.pos, opusPacketsOf(c.payload)]));
  let compared = 0;
  for (const p of pages.slice(2)) {
    const k = Number(p.granule) / 4800 - 1;
    const want = byPos.get(k * 4800);
    if (!want) continue;
    const got = oggPackets([p]);
    assert.equal(got.length, 5);
    got.forEach((g, j) => assert.ok(g.equals(want[j]), `chunk ${k} packet ${j}`));
    compared++;
  }
  assert.ok(compared >= 5, `compared ${compared} pages`);
  const pcm = ffmpegDecode(`http://127.0.0.1:${srv.port}/stream/radio.opus`, 2);
  assert.equal(pcm.length, 2 * 48000 * 2);
  assert.ok(rms(pcm) > 100, 'not silence');
  ws.close();
});

test('MP3 over HTTP decodes; ICY metadata carries StreamTitle every 16000 bytes', { timeout: 60000 * SLACK }, async () => {
  const ws = listen(srv.port, 'station=mp3st&seed=4&key=F');
  await ws.until(() => ws.chunks.length >= 3, 5000, 'station audio');
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', `http://127.0.0.1:${srv.port}/stream/mp3st.mp3`],
    { encoding: 'utf8', timeout: 30000 * SLACK });
  assert.match(probe.stdout, /codec_name=mp3/);
  assert.match(probe.stdout, /sample_rate=48000/);
  const pcm = ffmpegDecode(`http://127.0.0.1:${srv.port}/stream/mp3st.mp3`, 2);
  assert.ok(pcm.length >= 2 * 48000 * 2 * 0.95, `${pcm.length} samples`);
  assert.ok(rms(pcm) > 100, 'not silence');

  const { headers, body } = await readStream(srv.port, '/stream/mp3st.mp3', 16000 + 400, { 'Icy-MetaData': '1' });
  assert.equal(headers['content-type'], 'audio/mpeg');
  assert.equal(headers['icy-metaint'], '16000');
  const n = body[16000] * 16;
  assert.ok(n > 0, 'a metadata block after 16000 bytes');
  const meta = body.subarray(16001, 16001 + n).toString('latin1').replace(/\0+$/, '');
  assert.match(meta, /^StreamTitle='Auralis mp3st: F dorian, 60 bpm';$/);
  // without the request header: no metaint, plain MP3
  const plain = await readStream(srv.port, '/stream/mp3st.mp3', 100);
  assert.equal(plain.headers['icy-metaint'], undefined);
  ws.close();
});

test('playlists, /api/stations, and bad stream URLs', { timeout: 30000 * SLACK }, async () => {
  const ws = listen(srv.port, 'station=lists&seed=3');
  await ws.until(() => ws.chunks.length >= 2, 5000, 'station audio');
  const m3u = await get(srv.port, '/stream/lists.m3u');
  assert.equal(m3u.status, 200);
  assert.equal(m3u.headers['content-type'], 'audio/x-mpegurl');
  assert.match(m3u.body.toString(), new RegExp(`^#EXTM3U\\n#EXTINF:-1,Auralis lists\\nhttp://127\\.0\\.0\\.1:${srv.port}/stream/lists\\.mp3\\n$`));
  const pls = await get(srv.port, '/stream/lists.pls');
  assert.match(pls.body.toString(), /File2=http:\/\/127\.0\.0\.1:\d+\/stream\/lists\.opus/);

  const st = (await stations()).find((s) => s.name === 'lists');
  assert.ok(st, 'listed');
  assert.equal(st.params.seed, 3);
  assert.equal(st.piece, 'drift');
  assert.deepEqual(st.listeners, { websocket: 1, http_opus: 0, http_mp3: 0, total: 1 });
  // every URL the station plays at (no --icecast here: no mount)
  assert.deepEqual(st.urls, { websocket: '/ws?station=lists', websocket_opus: '/ws?station=lists&codec=opus',
    opus: '/stream/lists.opus', mp3: '/stream/lists.mp3', m3u: '/stream/lists.m3u', pls: '/stream/lists.pls',
    hls: '/hls/lists/index.m3u8', icecast: null });
  // ... and each of them answers (the WebSocket ones upgrade)
  for (const k of ['opus', 'mp3']) {
    const r = await readStream(srv.port, st.urls[k], 2000); // rejects unless 200
    assert.ok(r.body.length >= 2000, `${k}: audio bytes`);
  }
  for (const k of ['m3u', 'pls', 'hls']) assert.equal((await get(srv.port, st.urls[k])).status, 200, k);
  for (const k of ['websocket', 'websocket_opus']) {
    const l = listen(srv.port, st.urls[k].split('?')[1]);
    await l.until(() => l.chunks.length >= 1, 5000, `${k}: audio`);
    l.close();
  }

  let r = await get(srv.port, '/stream/nosuch.opus');
  assert.equal(r.status, 404);
  assert.match(JSON.parse(r.body).error, /no station 'nosuch' is playing/);
  r = await get(srv.port, '/stream/lists.flac');
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).error, /unknown stream format '\.flac'/);
  r = await get(srv.port, '/stream/lists');
  assert.equal(r.status, 400);
  r = await get(srv.port, '/stream/a%20b.mp3');
  assert.equal(r.status, 400);
  ws.close();
});

test('HTTP listeners keep a station alive; a stalled reader holds up no one', { timeout: 60000 * SLACK }, async () => {
  const ws = listen(srv.port, 'station=alive&seed=8');
  await ws.until(() => ws.chunks.length >= 2, 5000, 'station audio');
  // a reader that connects and never reads
  const stalled = http.get({ host: '127.0.0.1', port: srv.port, path: '/stream/alive.opus', agent: false }, (res) => res.pause());
  stalled.on('error', () => {});
  let got = 0;
  const reader = http.get({ host: '127.0.0.1', port: srv.port, path: '/stream/alive.opus', agent: false }, (res) => res.on('data', (d) => { got += d.length; }));
  reader.on('error', () => {});
  await sleep(500);
  ws.close(); // linger 0: only the HTTP listeners keep it now
  await sleep(1500);
  const st = (await stations()).find((s) => s.name === 'alive');
  assert.ok(st, 'the station still plays');
  assert.equal(st.listeners.websocket, 0);
  assert.equal(st.listeners.http_opus, 2);
  const at = got;
  for (let i = 0; i < 40 * SLACK && got < at + 30000; i++) await sleep(100);
  assert.ok(got >= at + 30000, `the reading listener kept receiving (${got - at} bytes)`);
  reader.destroy();
  stalled.destroy();
  // with no listener of any kind left, the station goes
  let gone = false;
  for (let i = 0; i < 50 * SLACK && !gone; i++) {
    gone = !(await stations()).some((s) => s.name === 'alive');
    if (!gone) await sleep(100);
  }
  assert.ok(gone, 'station freed after its last HTTP listener left');
});

test('a 44.1 kHz server serves MP3 and refuses .opus with why', { timeout: 60000 * SLACK }, async () => {
  const s44 = await startServer(['--rate', '44100', '--workers', '1', '--max-clients', '4']);
  try {
    const ws = listen(s44.port, 'station=low&seed=2');
    await ws.until(() => ws.chunks.length >= 2, 5000, 'audio');
    const r = await get(s44.port, '/stream/low.opus');
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).error, /Opus streams need a 48000 Hz server \(this one runs at 44100 Hz\)/);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', `http://127.0.0.1:${s44.port}/stream/low.mp3`],
      { encoding: 'utf8', timeout: 30000 * SLACK });
    assert.match(probe.stdout, /sample_rate=44100/);
    const st = JSON.parse((await get(s44.port, '/api/stations')).body).stations[0];
    assert.equal(st.urls.opus, null);
    assert.equal(st.urls.websocket_opus, null);
    assert.equal(st.urls.mp3, '/stream/low.mp3');
    ws.close();
  } finally {
    await s44.stop();
  }
});

test('HTTP stream listeners are listeners, not idle connections (per-address pending limit)', { timeout: 60000 * SLACK }, async () => {
  const s = await startServer(['--workers', '1', '--max-clients', '32', '--max-pending-per-address', '4']);
  try {
    const ws = listen(s.port, 'station=many&seed=1');
    await ws.until(() => ws.chunks.length >= 2, 5000, 'audio');
    // ten listeners held open at once from 127.0.0.1, over a limit of 4
    const conns = [];
    for (let i = 0; i < 10; i++) {
      const c = { bytes: 0, status: 0 };
      c.req = http.get({ host: '127.0.0.1', port: s.port, path: '/stream/many.opus', agent: false }, (res) => {
        c.status = res.statusCode;
        res.on('data', (d) => { c.bytes += d.length; });
      });
      c.req.on('error', () => {});
      conns.push(c);
      await sleep(100); // one at a time: each becomes a listener before the next
    }
    for (let i = 0; i < 50 * SLACK && conns.some((c) => c.bytes < 2000); i++) await sleep(100);
    assert.deepEqual(conns.map((c) => c.status), Array(10).fill(200));
    assert.ok(conns.every((c) => c.bytes >= 2000), conns.map((c) => c.bytes).join(' '));
    for (const c of conns) c.req.destroy();
    ws.close();
  } finally {
    await s.stop();
  }
});

test('an HTTP stream outlives the server\'s request timeout (endless response)', { timeout: 60000 * SLACK }, async () => {
  const ws = listen(srv.port, 'station=long&seed=6');
  await ws.until(() => ws.chunks.length >= 2, 5000, 'audio');
  // about 9 s of 128 kbit/s Opus: longer than lws's 5 s request timeout
  const { body } = await readStream(srv.port, '/stream/long.opus', 150000);
  assert.ok(body.length >= 150000);
  ws.close();
});

// Another site embeds the stream in a plain <audio> element (a no-cors
// request): Chromium refuses it unless the response's
// Cross-Origin-Resource-Policy allows other origins (it did not: the
// stream failed with ERR_BLOCKED_BY_RESPONSE.NotSameOrigin). The page comes
// from a second local server, so its origin differs by port only.
test('an <audio> element on another site plays the Opus and MP3 streams (Chromium)', { timeout: 180000 * SLACK }, async () => {
  const { chromium } = createRequire(import.meta.url)('playwright-core');
  const ws = listen(srv.port, 'station=embed&seed=8');
  await ws.until(() => ws.chunks.length >= 2, 5000, 'audio');
  const site = http.createServer((req, res) => {
    const ext = req.url === '/mp3.html' ? 'mp3' : 'opus';
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>embed</title><audio id="a" autoplay
      src="http://127.0.0.1:${srv.port}/stream/embed.${ext}"></audio>`);
  });
  await new Promise((ok) => site.listen(0, '127.0.0.1', ok));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    for (const ext of ['opus', 'mp3']) {
      const page = await browser.newPage();
      const failed = [];
      page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
      await page.goto(`http://127.0.0.1:${site.address().port}/${ext}.html`);
      // plays: currentTime passes 2 s of audio, or the element fails
      await page.waitForFunction(() => { const a = document.getElementById('a'); return a.error || a.currentTime > 2; },
        null, { timeout: 60000 * SLACK, polling: 250 });
      const st = await page.evaluate(() => { const a = document.getElementById('a'); return { error: a.error && a.error.code, t: a.currentTime }; });
      assert.deepEqual(failed, [], `${ext}: failed requests`);
      assert.equal(st.error, null, `${ext}: media error`);
      assert.ok(st.t > 2, `${ext}: currentTime ${st.t}`);
      await page.close();
    }
  } finally {
    await browser.close();
    await new Promise((ok) => site.close(ok));
    ws.close();
  }
});
