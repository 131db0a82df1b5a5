// "Same notes for MIDI" (issue 11, docs/protocol.md "Export"): a live
// session with changes (tempo, intensity, key and mode, a layer volume) is
// exported as MIDI, and its notes are compared one by one with the notes
// the server sent as note_on/note_off events over the WebSocket: the same
// pitch on the layer's channel, the start within one tick, the duration
// within one tick. The other way round, every MIDI note is one the stream
// sent, except in chunks where the stream hit its cap of 12 note_on
// events (the rest are not sent by design). The piece is drift (its own
// instruments play the composer's pitches; a SoundFont piece's layers play
// them moved into the instrument's register, in the audio and the MIDI
// file alike, while note events carry the composer's pitch). Exports place
// MIDI events by their sample positions (au_midi_set_clock), so the file's
// times are the stream's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, listen, get, post, sleep, SLACK } from './helpers.mjs';

const CHANNEL = { pads: 0, melody: 1, bass: 2, textures: 3, bells: 4, percussion: 9 };
const PPQ = 480;


// A Standard MIDI File: its tempo map and its notes (channel, pitch,
// start and end in ticks).
function parseSmf(buf) {
  assert.equal(buf.toString('ascii', 0, 4), 'MThd');
  const ntracks = buf.readUInt16BE(10);
  assert.equal(buf.readUInt16BE(12), PPQ);
  let off = 14;
  const tempos = [];
  const notes = [];
  for (let t = 0; t < ntracks; t++) {
    assert.equal(buf.toString('ascii', off, off + 4), 'MTrk');
    const end = off + 8 + buf.readUInt32BE(off + 4);
    let p = off + 8, tick = 0, status = 0;
    const open = new Map();
    const vlq = () => {
      let v = 0, b;
      do { b = buf[p++]; v = (v << 7) | (b & 0x7f); } while (b & 0x80);
      return v;
    };
    while (p < end) {
      tick += vlq();
      let s = buf[p];
      if (s & 0x80) p++; else s = status;
      if (s === 0xff) {
        const type = buf[p++], len = vlq();
        if (type === 0x51) tempos.push({ tick, us: buf.readUIntBE(p, 3) });
        p += len;
      } else if (s === 0xf0 || s === 0xf7) {
        p += vlq();
      } else {
        status = s;
        const kind = s & 0xf0, ch = s & 0x0f;
        const d1 = buf[p++], d2 = kind === 0xc0 || kind === 0xd0 ? 0 : buf[p++];
        const key = `${ch}:${d1}`;
        if (kind === 0x90 && d2 > 0) {
          if (!open.has(key)) open.set(key, []);
          open.get(key).push(tick);
        } else if (kind === 0x80 || (kind === 0x90 && d2 === 0)) {
          const q = open.get(key);
          if (q?.length) notes.push({ ch, pitch: d1, on: q.shift(), off: tick });
        }
      }
    }
    off = end;
  }
  tempos.sort((a, b) => a.tick - b.tick);
  // seconds at a tick, through the tempo map
  const seconds = (tick) => {
    let s = 0, t0 = 0, us = 1e6; // 60 bpm until the first tempo event
    for (const e of tempos) {
      if (e.tick >= tick) break;
      s += ((e.tick - t0) * us) / PPQ / 1e6;
      t0 = e.tick;
      us = e.us;
    }
    return { s: s + ((tick - t0) * us) / PPQ / 1e6, tickS: us / PPQ / 1e6 };
  };
  return { tempos, notes, seconds };
}

let srv;
after(async () => { await srv?.stop(); });

test('MIDI export: the notes the stream sent, note for note', { timeout: 120000 * SLACK }, async () => {
  srv = await startServer(['--workers', '1']);
  const RATE = 48000, CHUNK = 4800, N = 200;
  // three minutes in (a replay to there), where the piece is busy: the
  // intro is a few pad notes
  const P = 3 * 60 * RATE;
  const a = listen(srv.port, `seed=2718&intensity=0.9&bpm=90&position=${P}`);
  await a.until(() => a.chunks.length >= 15, 30000, 'audio');
  assert.equal(a.chunks[0].h.pos, P);
  a.send({ type: 'set', bpm: 100, intensity: 0.8 });
  await a.until(() => a.chunks.length >= 45, 20000, 'audio');
  a.send({ type: 'set', key: 'E', mode: 'aeolian', volumes: { melody: 0.5 } });
  await a.until(() => a.chunks.length >= 80, 20000, 'audio');
  a.send({ type: 'set', intensity: 0.5, bpm: 70 });
  await a.until(() => a.chunks.length >= N + 2, 30000, 'audio');
  const id = a.ofType('hello')[0].resume.id;
  assert.ok(a.ofType('state').length >= 3, 'the changes were applied');
  const to = P + N * CHUNK;

  // the stream's notes: note_on .. note_off pairs, within [0, to)
  const sent = [];
  const onsPerChunk = new Map();
  const sounding = new Map();
  const ons = [];
  for (const ev of a.ofType('event')) {
    if (ev.position >= to) continue;
    const key = `${ev.layer}:${ev.note}`;
    if (ev.event === 'note_on') {
      ons.push({ ch: CHANNEL[ev.layer], pitch: ev.note, s: ev.position / RATE });
      const k = Math.floor(ev.position / CHUNK);
      onsPerChunk.set(k, (onsPerChunk.get(k) ?? 0) + 1);
      if (!sounding.has(key)) sounding.set(key, []);
      sounding.get(key).push(ev.position);
    } else if (ev.event === 'note_off') {
      const q = sounding.get(key);
      if (q?.length) sent.push({ layer: ev.layer, pitch: ev.note, on: q.shift(), off: ev.position });
    }
  }
  // how many depends on where the changes land (the worker renders ahead)
  assert.ok(sent.length >= 10, `enough notes to compare (${sent.length})`);

  const r = await post(srv.port, `/api/export?stream=${id}&format=midi&to=${to}`);
  assert.equal(r.status, 202, r.body);
  const job = JSON.parse(r.body).job;
  let st;
  for (let i = 0; i < 600 * SLACK; i++) {
    st = JSON.parse((await get(srv.port, `/api/export/${job}`)).body.toString());
    if (st.status === 'done' || st.status === 'failed') break;
    await sleep(100);
  }
  assert.equal(st.status, 'done', JSON.stringify(st));
  const smf = parseSmf((await get(srv.port, st.download_url)).body);
  assert.ok(smf.tempos.length >= 2, 'the tempo change is in the file');
  const midi = smf.notes.map((n) => {
    const on = smf.seconds(n.on), off = smf.seconds(n.off);
    return { ...n, onS: on.s, offS: off.s, tickS: on.tickS, used: false };
  });

  // every sent note is in the file: pitch, channel, start and duration
  // within one tick (plus a microsecond of float rounding)
  let worstStart = 0, worstDur = 0;
  for (const n of sent) {
    const onS = n.on / RATE, durS = (n.off - n.on) / RATE;
    const m = midi.find((x) => !x.used && x.ch === CHANNEL[n.layer] && x.pitch === n.pitch &&
      Math.abs(x.onS - onS) <= x.tickS + 1e-6);
    if (!m) {
      const near = midi.filter((x) => x.ch === CHANNEL[n.layer] && Math.abs(x.onS - onS) < 0.5)
        .map((x) => `${x.pitch}@${x.onS.toFixed(4)}${x.used ? '(used)' : ''}`);
      assert.fail(`${n.layer} note ${n.pitch} at ${n.on} (${onS.toFixed(4)} s) is not in the MIDI file; near it: ${near.join(' ')}`);
    }
    m.used = true;
    worstStart = Math.max(worstStart, Math.abs(m.onS - onS) / m.tickS);
    worstDur = Math.max(worstDur, Math.abs((m.offS - m.onS) - durS) / m.tickS);
    assert.ok(Math.abs((m.offS - m.onS) - durS) <= m.tickS + 1e-6,
      `${n.layer} note ${n.pitch} at ${n.on}: ${(m.offS - m.onS).toFixed(4)} s in the file, ${durS.toFixed(4)} s streamed`);
  }
  // and the file has no note the stream did not send (but where the
  // stream's per-chunk cap dropped some, and notes still sounding at `to`)
  let extra = 0;
  for (const m of midi) {
    if (m.used || m.onS < P / RATE + m.tickS || m.offS >= to / RATE - m.tickS) continue;
    const chunks = [Math.floor((m.onS - m.tickS) * 10), Math.floor((m.onS + m.tickS) * 10)];
    const capped = chunks.some((k) => (onsPerChunk.get(k) ?? 0) >= 12);
    // two overlapping notes of one pitch on a layer: the stream sends both
    // note_on but one note_off (docs/protocol.md: a note_off only for a
    // sounding note), so the second has no streamed end to compare
    const overlapped = ons.some((o) => o.ch === m.ch && o.pitch === m.pitch && Math.abs(o.s - m.onS) <= m.tickS + 1e-6);
    if (overlapped) { extra++; continue; }
    assert.ok(capped, `note ${m.pitch} on channel ${m.ch + 1} at ${m.onS.toFixed(4)} s is in the file but was never streamed`);
    extra++;
  }
  console.log(`# ${sent.length} streamed notes all in the MIDI file (worst start ${worstStart.toFixed(2)} ticks, ` +
    `duration ${worstDur.toFixed(2)} ticks); ${extra} more in chunks at the 12-note cap or overlapping one of the same pitch; ${smf.tempos.length} tempo events`);
  a.close();
});
