// Opus on the WebSocket (codec 1): framing, the --opus-bitrate range, the
// 44.1 kHz refusal, and packets equal to `auralis render x.opus` byte for
// byte (same floats, same encoder, same bitrate).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, startServer, listen, refusedUpgrade, sleep, SLACK } from './helpers.mjs';
import { oggPages, oggPackets, opusPacketsOf } from './ogg.mjs';

let srv;
before(async () => {
  srv = await startServer(['--workers', '2', '--max-clients', '8', '--opus-bitrate', '96000']);
});
after(async () => { await srv?.stop(); });

test('codec=opus: five [u16 length][packet] per 100 ms chunk, equal to auralis render .opus', { timeout: 60000 * SLACK }, async () => {
  const q = 'seed=777&key=F&mode=lydian&bpm=70&intensity=0.5&codec=opus';
  const c = listen(srv.port, q);
  await c.until(() => c.chunks.length >= 6, 5000, 'audio');
  const hello = c.ofType('hello')[0];
  assert.equal(hello.codec, 'opus');
  assert.equal(hello.sample_rate, 48000);
  c.send({ type: 'set', bpm: 90, intensity: 0.8 });
  await c.until(() => c.ofType('state').length >= 1, 3000, 'state');
  await c.until(() => c.chunks.length >= 30, 8000, '3 s of audio');
  c.close();
  const [st] = c.ofType('state');
  const chunks = c.chunks.slice(0, 30);
  const ws = [];
  chunks.forEach((ch, i) => {
    assert.equal(ch.h.magic, 'AUR1');
    assert.equal(ch.h.codec, 1);
    assert.equal(ch.h.seq, i);
    assert.equal(ch.h.pos, i * 4800);
    assert.equal(ch.h.frames, 4800);
    const pk = opusPacketsOf(ch.payload);
    assert.equal(pk.length, 5);
    ws.push(...pk);
  });
  // 96 kbit/s asked: about 12 kB/s of payload (constrained VBR)
  const bytes = chunks.reduce((a, ch) => a + ch.payload.length, 0);
  assert.ok(bytes / 3 > 9000 && bytes / 3 < 15000, `payload ${bytes / 3} B/s`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-opus-'));
  try {
    const out = path.join(dir, 'x.opus');
    execFileSync(BIN, ['render', '--seed', '777', '--key', 'F', '--mode', 'lydian',
      '--bpm', '70', '--intensity', '0.5', '--seconds', '3.2', '--opus-bitrate', '96000',
      '--change', `${st.applies_at}:bpm=90,intensity=0.8`, '--endless', '-o', out, '--quiet'],
    { timeout: 50000 * SLACK });
    const file = oggPackets(oggPages(fs.readFileSync(out)).pages);
    assert.equal(file[0].toString('ascii', 0, 8), 'OpusHead');
    const rendered = file.slice(2);
    for (let i = 0; i < ws.length; i++)
      assert.ok(ws[i].equals(rendered[i]), `packet ${i} (chunk ${Math.floor(i / 5)}) differs`);
    // and the packets decode (ffmpeg) to the music: loud enough, not silence
    const r = spawnSync('ffmpeg', ['-v', 'error', '-i', out, '-f', 's16le', '-ac', '2', '-'],
      { maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, String(r.stderr));
    const pcm = new Int16Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length >> 1);
    assert.equal(pcm.length, Math.round(3.2 * 48000) * 2);
    let e = 0;
    for (const v of pcm) e += v * v;
    assert.ok(Math.sqrt(e / pcm.length) > 100, 'decoded audio is not silent');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a station sends pcm16 and opus listeners the same chunk positions', { timeout: 20000 * SLACK }, async () => {
  const a = listen(srv.port, 'station=op&seed=5');
  await a.until(() => a.chunks.length >= 3, 5000, 'pcm16 audio');
  const b = listen(srv.port, 'station=op&codec=opus');
  await b.until(() => b.chunks.length >= 8, 5000, 'opus audio');
  a.close(); b.close();
  assert.equal(b.ofType('hello')[0].codec, 'opus');
  assert.equal(a.ofType('hello')[0].codec, 'pcm16');
  const pcmPos = new Set(a.chunks.map((ch) => ch.h.pos));
  let shared = 0;
  for (const ch of b.chunks) {
    assert.equal(ch.h.codec, 1);
    assert.equal(opusPacketsOf(ch.payload).length, 5);
    if (pcmPos.has(ch.h.pos)) shared++;
  }
  assert.ok(shared >= 5, `${shared} shared positions`);
  // a pcm16 chunk is 19200 bytes; an Opus one about a tenth
  const avg = b.chunks.reduce((s, ch) => s + ch.payload.length, 0) / b.chunks.length;
  assert.ok(avg < 19200 / 5, `opus chunk ${avg} bytes`);
});

test('codec=opus on a 44.1 kHz server is refused with 400 and why', { timeout: 20000 * SLACK }, async () => {
  const s44 = await startServer(['--rate', '44100', '--workers', '1', '--max-clients', '2']);
  try {
    const r = await refusedUpgrade(s44.port, 'codec=opus');
    assert.equal(r.status, 400);
    const j = JSON.parse(r.body);
    assert.equal(j.code, 'invalid_param');
    assert.match(j.message, /codec=opus needs a 48000 Hz server \(this one runs at 44100 Hz\)/);
    // pcm16 still works there
    const c = listen(s44.port, 'seed=3');
    await c.until(() => c.chunks.length >= 2, 5000, 'pcm16 at 44.1 kHz');
    c.close();
  } finally {
    await s44.stop();
  }
});

test('serve --opus-bitrate out of range exits 2 naming the range', () => {
  const r = spawnSync(BIN, ['serve', '--port', '0', '--opus-bitrate', '8000'], { encoding: 'utf8', timeout: 10000 * SLACK });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--opus-bitrate must be an integer between 32000 and 256000 \(got '8000'\)/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('render --opus-bitrate out of range exits 2', () => {
  const r = spawnSync(BIN, ['render', '--seconds', '1', '--opus-bitrate', 'x', '-o', '/tmp/never.opus'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--opus-bitrate must be an integer between 32000 and 256000 bits\/s \(got 'x'\)/);
});
