// Wire protocol v1 helpers: header parsing, pcm16 decoding, messages, URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as P from '../public/js/protocol.js';

test('header round trip and pcm16 decode', () => {
  const x = Float32Array.from([0, 0.5, -0.5, 1, -1, 0.25]);
  const buf = P.encodeChunk(7, 2 ** 40 + 3, x);
  assert.equal(buf.byteLength, 24 + 12);
  const h = P.parseHeader(buf);
  assert.deepEqual(h, { seq: 7, position: 2 ** 40 + 3, frames: 3, codec: 0, channels: 2 });
  const y = P.decodePcm16(buf, h);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(y[i] - x[i]) < 1 / 16384, `${i}: ${y[i]}`);
  // little endian on the wire: 'AUR1', seq 7 at byte 4
  const b = new Uint8Array(buf);
  assert.deepEqual([...b.slice(0, 8)], [65, 85, 82, 49, 7, 0, 0, 0]);
});

test('malformed frames are refused, never played', () => {
  const good = P.encodeChunk(0, 0, new Float32Array(8));
  assert.throws(() => P.parseHeader(new ArrayBuffer(10)), /too short/);
  const bad = good.slice(0); new Uint8Array(bad)[0] = 66;
  assert.throws(() => P.parseHeader(bad), /magic/);
  assert.throws(() => P.parseHeader(good.slice(0, good.byteLength - 2)), /payload/);
  const mono = P.encodeChunk(0, 0, Float32Array.from([0.5, -0.5]), 1);
  const y = P.decodePcm16(mono, P.parseHeader(mono));
  assert.equal(y.length, 4);
  assert.ok(Math.abs(y[0] - 0.5) < 1e-3 && y[0] === y[1]);
});

test('server messages: hello params normalised, events tolerant, junk ignored', () => {
  const h = P.parseServerMessage('{"type":"hello","protocol":1,"sample_rate":48000,"params":{"seed":12345678901234567,"key":2,"mode":1,"bpm":60,"intensity":0.4,"pads":true,"melody":false}}');
  assert.equal(h.params.key, 'D');
  assert.equal(h.params.mode, 'dorian');
  assert.equal(h.params.melody, false);
  assert.equal(typeof h.params.seed, 'string');
  assert.equal(P.parseServerMessage('not json'), null);
  assert.equal(P.parseServerMessage('[1,2]'), null);
  const c = P.parseServerMessage('{"type":"event","event":"chord","name":"Dm9","degree":1,"position":96000}');
  assert.deepEqual([c.kind, c.name, c.degree, c.position], ['chord', 'Dm9', 1, 96000]);
  const k = P.parseServerMessage('{"type":"event","kind":"key","key":"Eb","mode":"minor","pos":5}');
  assert.deepEqual([k.kind, k.key, k.mode, k.position], ['key', 'D#', 'aeolian', 5]);
  const n = P.parseServerMessage('{"type":"event","event":"note","note":64,"velocity":90,"layer":1,"position":10}');
  assert.deepEqual([n.kind, n.note, n.layer], ['note_on', 64, 'melody']);
});

test('client messages carry only valid fields', () => {
  assert.deepEqual(JSON.parse(P.setMessage({ key: 'bb', mode: 'major', bpm: '72', intensity: 0.3, pads: 0, junk: 1, seed: 5 })),
    { type: 'set', key: 'A#', mode: 'ionian', bpm: 72, intensity: 0.3, pads: false });
  assert.deepEqual(JSON.parse(P.clientStatsMessage({ buffer_ms: 512.4, tier: 'normal', underruns: 0, jitter_ms: 3.14159 })),
    { type: 'client_stats', buffer_ms: 512, tier: 'normal', underruns: 0, jitter_ms: 3.1 });
});

test('stream URL and shareable link reproduce the piece', () => {
  const p = { seed: '18446744073709551615', key: 'F#', mode: 'lydian', bpm: 66, intensity: 0.25, pads: true, melody: false, bass: true, percussion: false, textures: true, bells: false, wander: true };
  const back = P.queryToParams(P.paramsToQuery(p));
  assert.deepEqual(back, p);
  // everything: piece and layer volumes too
  const full = { ...p, piece: 'glass-harbor', volumes: { pads: 0.5, melody: 1, bass: 0, percussion: 1, textures: 0.25, bells: 1 } };
  const q = P.paramsToQuery(full);
  assert.match(q, /vol=pads%3A50%2Cbass%3A0%2Ctextures%3A25/);
  assert.deepEqual(P.queryToParams(q), { ...full, volumes: { pads: 0.5, bass: 0, textures: 0.25 } });
  assert.equal(P.streamUrl('ws://h/ws', p), 'ws://h/ws?seed=18446744073709551615&key=F%23&mode=lydian&bpm=66&intensity=0.25&wander=true&melody=false&percussion=false&bells=false&codec=pcm16');
  assert.equal(P.streamUrl('ws://h/ws', { station: 'lobby', seed: '1' }), 'ws://h/ws?station=lobby&codec=pcm16');
  // a moment: starting parameters, timeline and position travel together
  const moment = { seed: '9', key: 'A', timeline: '48000:intensity=0.7,bass_volume=0.25;96000:key=A', position: 144000 };
  assert.deepEqual(P.queryToParams(P.paramsToQuery(moment)), moment);
  assert.equal(P.streamUrl('ws://h/ws', { ...moment, resume: 'ab'.repeat(16) }),
    `ws://h/ws?seed=9&key=A&resume=${'ab'.repeat(16)}&timeline=48000%3Aintensity%3D0.7%2Cbass_volume%3D0.25%3B96000%3Akey%3DA&position=144000&codec=pcm16`);
  assert.deepEqual(P.queryToParams('?position=-5&timeline=%00x'), {});
  // hostile values are dropped, not passed on
  assert.deepEqual(P.queryToParams('?seed=-1&key=H&mode=x&bpm=500&intensity=2&wander=maybe&piece=../x&vol=pads:900,junk:5'), { volumes: {} });
});
