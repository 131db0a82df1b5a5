// Which codec the player asks for, and Opus decoding (docs/protocol.md,
// codec 1): each chunk's five 20 ms packets go to a WebCodecs AudioDecoder
// and come back as interleaved stereo Float32Array, 960 frames at a time,
// with their stream position. Where the browser has no AudioDecoder (or no
// Opus in it) the player asks for pcm16 instead. Main thread only; one
// OpusStream per connection (a new stream needs a fresh decoder state).

import { HEADER_BYTES } from './protocol.js';

export const OPUS_RATE = 48000;
const CONFIG = { codec: 'opus', sampleRate: OPUS_RATE, numberOfChannels: 2 };

// null until isConfigSupported answers (a few ms after load); false also
// after a decoder failed in this page.
let opusOk = typeof AudioDecoder === 'function' ? null : false;
export const opusCheck = opusOk === false
  ? Promise.resolve(false)
  : AudioDecoder.isConfigSupported(CONFIG).then((r) => (opusOk = opusOk !== false && !!r.supported),
    () => (opusOk = false));

// 'opus' where WebCodecs decodes it, else 'pcm16'. pref: 'auto' (Opus where
// possible), 'opus' or 'pcm16' (a page may force either, e.g. ?codec=pcm16).
export function chooseCodec(pref = 'auto') {
  if (pref === 'pcm16') return 'pcm16';
  return (opusOk ?? typeof AudioDecoder === 'function') ? 'opus' : 'pcm16';
}

// After a decoder error: pcm16 from now on in this page.
export function opusFailed() { opusOk = false; }

// The packets of a codec-1 frame: [u16 little-endian length][packet] after
// the 24-byte header. Throws if the lengths do not tile the payload.
export function opusPackets(buf, offset = HEADER_BYTES) {
  const dv = new DataView(buf);
  const out = [];
  let o = offset;
  while (o + 2 <= buf.byteLength) {
    const n = dv.getUint16(o, true);
    if (n === 0 || o + 2 + n > buf.byteLength) throw new Error(`bad Opus packet length ${n} at ${o}`);
    out.push(new Uint8Array(buf, o + 2, n));
    o += 2 + n;
  }
  if (o !== buf.byteLength) throw new Error('codec-1 payload does not end on a packet');
  return out;
}

// Stream position (48 kHz frames) <-> WebCodecs timestamps (microseconds):
// exact for multiples of 960 frames (20 ms = 20000 us).
const toUs = (pos) => Math.round((pos * 1e6) / OPUS_RATE);
const toPos = (us) => Math.round((us * OPUS_RATE) / 1e6);

export class OpusStream {
  // onPcm(interleaved Float32Array, frames, position); onError(message)
  constructor(onPcm, onError) {
    this.onPcm = onPcm;
    this.closed = false;
    this.dec = new AudioDecoder({
      output: (ad) => this.output(ad),
      error: (e) => { if (!this.closed) onError(`Opus decoder: ${e.message ?? e}`); },
    });
    this.dec.configure(CONFIG);
  }

  // A parsed header h and its frame buf (ArrayBuffer).
  decode(buf, h) {
    const packets = opusPackets(buf);
    const each = Math.round(h.frames / packets.length);
    packets.forEach((data, j) => {
      this.dec.decode(new EncodedAudioChunk({ type: 'key', timestamp: toUs(h.position + j * each), duration: toUs(each), data }));
    });
  }

  output(ad) {
    try {
      if (this.closed) return;
      const n = ad.numberOfFrames;
      const chans = ad.numberOfChannels;
      const out = new Float32Array(n * 2);
      const plane = new Float32Array(n);
      for (let c = 0; c < 2; c++) {
        ad.copyTo(plane, { planeIndex: Math.min(c, chans - 1), format: 'f32-planar' });
        for (let i = 0; i < n; i++) out[2 * i + c] = plane[i];
      }
      this.onPcm(out, n, toPos(ad.timestamp));
    } finally {
      ad.close();
    }
  }

  close() {
    this.closed = true;
    try { this.dec.close(); } catch { /* already closed */ }
  }
}

// Bytes received per second over the last few seconds (the stats figure).
export class ByteRate {
  constructor(windowMs = 5000) { this.windowMs = windowMs; this.items = []; this.sum = 0; }
  add(bytes, now = performance.now()) {
    this.items.push([now, bytes]);
    this.sum += bytes;
    this.trim(now);
  }
  trim(now) {
    while (this.items.length && now - this.items[0][0] > this.windowMs) this.sum -= this.items.shift()[1];
  }
  perSecond(now = performance.now()) {
    this.trim(now);
    if (this.items.length < 2) return 0;
    const span = Math.max(now - this.items[0][0], 1000);
    return (this.sum * 1000) / span;
  }
}
