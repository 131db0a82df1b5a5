// AudioWorklet processor: the audio-thread end of the player. Audio arrives
// through a SharedArrayBuffer ring written by the main thread (when the page
// is cross-origin isolated) or as transferred Float32Arrays copied into a
// private ring. Stats go back through a shared Float64Array (SAB mode) or a
// port message every ~50 ms. Control messages (target, volume, play) are rare.
import { FrameRing } from './ring.js';
import { PlayoutCore, ST } from './playout.js';

class AuralisPlayer extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions;
    this.shared = !!o.ringBuffer;
    this.ring = new FrameRing(o.capacity, o.ringBuffer ?? null);
    this.stats = o.statsBuffer ? new Float64Array(o.statsBuffer) : new Float64Array(ST.LEN);
    this.core = new PlayoutCore(this.ring, { streamRate: o.streamRate, outRate: sampleRate });
    this.core.setTarget(o.targetMs ?? 500);
    if (o.statsBuffer) {
      const q = new Int32Array(o.statsBuffer, ST.QUIET * 8, 1);
      this.core.pollQuiet = () => Atomics.exchange(q, 0, 0);
    }
    this.blocks = 0;
    this.announced = false;
    this.announcedLoud = false;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  onMessage(m) {
    const c = this.core;
    switch (m.type) {
      case 'chunk': this.ring.write(m.data, m.frames); break; // transfer mode
      case 'target': c.setTarget(m.ms); break;
      case 'volume': c.setVolume(m.value); break;
      case 'play': c.setPlaying(m.on, m.fadeS); break;
      case 'rate': c.setStreamRate(m.sampleRate); break;
      case 'flush': c.flush(m.upTo); break;
      case 'quiet': c.setQuietStart(m.on); break;
    }
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const L = out[0], R = out[1] ?? out[0];
    const c = this.core;
    c.process(L, R, L.length);
    const s = this.stats;
    s[ST.DEPTH] = c.depthFrames; s[ST.RATE] = c.rate; s[ST.UNDERRUNS] = c.underruns;
    s[ST.SKIPS] = c.skips; s[ST.STATE] = c.state; s[ST.FRAMES_OUT] = c.framesOut;
    s[ST.CONSUMED] = c.consumed; s[ST.FIRST_OUT] = c.firstOutputFrame; s[ST.PGAIN] = c.pGain;
    s[ST.FIRST_LOUD] = c.firstLoudFrame;
    s[ST.SEQ]++;
    if (!this.announced && c.firstOutputFrame >= 0) {
      this.announced = true; // once per node: when the first stream sample played
      this.port.postMessage({ type: 'started', frame: c.firstOutputFrame, time: currentTime });
    }
    if (!this.announcedLoud && c.firstLoudFrame >= 0) {
      this.announcedLoud = true; // once per node: the first block above -40 dBFS
      this.port.postMessage({ type: 'loud', frame: c.firstLoudFrame, time: currentTime });
    }
    if (!this.shared && ++this.blocks % 20 === 0) this.port.postMessage({ type: 'stats', stats: s.slice() });
    return true;
  }
}

registerProcessor('auralis-player', AuralisPlayer);
