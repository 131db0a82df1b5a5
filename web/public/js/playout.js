// The playout core that runs inside the AudioWorklet: reads the ring through
// the fractional resampler at a drift-correcting rate, fades around underruns
// and overflows, and applies the play/pause fade and the smoothed volume.
// Pure logic (no Web Audio API), so node tests drive it with simulated
// arrival traces. process() allocates nothing. One thread (the audio thread).

import { CubicResampler, RateController } from './resampler.js';

export const STATE = Object.freeze({ PREBUFFER: 0, PLAY: 1 });

// Layout of the Float64Array the worklet publishes its stats in.
export const ST = Object.freeze({
  SEQ: 0, DEPTH: 1, RATE: 2, UNDERRUNS: 3, SKIPS: 4, STATE: 5, FRAMES_OUT: 6,
  CONSUMED: 7, FIRST_OUT: 8, PGAIN: 9, FIRST_LOUD: 10, LEN: 16,
  // the last slot, as an Int32 written by the main thread with Atomics
  // before it publishes the first chunk: 1 quiet start, 2 not (0 unknown)
  QUIET: 15,
});

export const PLAYOUT_DEFAULTS = Object.freeze({
  fadeOutMs: 5, // underrun / skip fade: short, but ramps, so no click
  fadeInMs: 25,
  playFadeS: 1, // pause (and play when no length is given)
  // A block whose RMS (both channels, after every gain) is above this is
  // "audible": -40 dBFS, the threshold the press-to-audible figure uses.
  loudRms: 0.01,
  volumeTauS: 0.03,
  // A start at the very beginning of a performance (position 0) is from
  // silence: the engine's own start envelope is the fade-in, so the play
  // fade is only this long (an anti-click ramp); any other start (a
  // station joined mid-music, a resume, a start that had to drop more than
  // quietStartMaxSkipMs of the burst) fades over the play fade.
  quietStartFadeS: 0.03,
  quietStartMaxSkipMs: 150,
  // ...and its first frames whose peaks stay below -50 dBFS (the engine's
  // first notes rising from silence: 60-100 ms of a render from position 0)
  // are skipped, up to this much: nothing audible is lost and the first
  // sound comes that much sooner.
  quietHeadMaxMs: 120,
  quietHeadLevel: 0.00316,
  startMs: 300, // first start: play as soon as this much is buffered...
  resumeFraction: 0.75, // ...after an underrun: this fraction of the target
  // Deeper than target + max(this, target) (e.g. after a network burst):
  // fade out, drop the excess, fade in, so latency stays bounded.
  skipExtraMs: 1000,
  // ...keeping this much above the target: after a stall the late burst is
  // the cushion the (probably escalated) tier will want.
  skipKeepMs: 300,
});

export class PlayoutCore {
  constructor(ring, { streamRate = 48000, outRate = 48000, ...opts } = {}) {
    this.o = { ...PLAYOUT_DEFAULTS, ...opts };
    this.ring = ring;
    this.streamRate = streamRate;
    this.outRate = outRate;
    this.resampler = new CubicResampler();
    this.rateCtl = new RateController(opts.rate);
    this.state = STATE.PREBUFFER;
    this.targetMs = 500;
    this.everStarted = false;
    // gains
    this.uGain = 0; this.uTarget = 1; // underrun/skip fade
    this.pGain = 0; this.playing = false; this.pStep = 1 / (this.o.playFadeS * outRate);
    this.vGain = 1; this.volume = 1;
    this.vCoef = 1 - Math.exp(-1 / (this.o.volumeTauS * outRate));
    this.skipping = false;
    this.flushUpTo = null;
    this.quiet = false; // the next first start is at a performance's start
    this.pollQuiet = null; // () => 0 | 1 | 2: the same from shared memory
    this.headSkipped = 0; // near-silent frames skipped at a quiet start
    // stats
    this.rate = 1;
    this.depthFrames = 0;
    this.underruns = 0;
    this.skips = 0;
    this.framesOut = 0;
    this.consumed = 0; // source frames taken from the ring since construction
    this.firstOutputFrame = -1; // framesOut when the first stream sample played
    this.firstLoudFrame = -1; // framesOut when a block first reached loudRms
    this.lastRateStep = 0; // |rate change| in the last block (tests bound it)
  }

  setTarget(ms) { this.targetMs = ms; }
  setVolume(v) { this.volume = Math.max(0, Math.min(1, v)); }
  setStreamRate(sr) { this.streamRate = sr; }
  // Whether the audio about to start is a performance's first frames.
  setQuietStart(on) { this.quiet = !!on; }
  // Fade to playing or silent over fadeS seconds (pause: 1 s, sleep: 60 s).
  setPlaying(on, fadeS = this.o.playFadeS) {
    this.playing = on;
    this.pStep = 1 / (Math.max(0.005, fadeS) * this.outRate);
  }
  // Drop what was buffered up to the producer's frame count upTo (a new
  // piece replaces the old one; frames written after the request survive).
  // While playing, fades out first.
  flush(upTo = Infinity) {
    this.flushUpTo = upTo;
    this.uTarget = 0;
    if (this.state === STATE.PREBUFFER) this._doFlush();
  }
  _doFlush() {
    this.ring.beginRead();
    const n = Math.min(this.ring.cachedAvailable(), this.flushUpTo - this.consumed);
    this.consumed += this.ring.skip(n);
    this.ring.endRead();
    this.flushUpTo = null;
    this.state = STATE.PREBUFFER;
    this.everStarted = false; // a new piece starts like the first one
  }

  process(outL, outR, n) {
    const ring = this.ring;
    const o = this.o;
    let avail = ring.beginRead();
    this.depthFrames = avail;
    const depthMs = (avail * 1000) / this.streamRate;
    if (this.state === STATE.PREBUFFER) {
      const need = this.everStarted ? this.targetMs * o.resumeFraction : Math.min(o.startMs, this.targetMs);
      if (depthMs < need || avail < 8) {
        outL.fill(0, 0, n); outR.fill(0, 0, n);
        this.framesOut += n;
        ring.endRead();
        return;
      }
      this.state = STATE.PLAY;
      this.uGain = 0; this.uTarget = 1;
      // More than the target arrived while nothing played (the audio device
      // was still starting, or a burst came in): start from the target depth
      // rather than drain the excess at 0.5% for half a minute. Nothing is
      // sounding yet, so dropping it is silent.
      // After an underrun, keep some of the late burst as extra cushion.
      const keepMs = this.targetMs + (this.everStarted ? o.skipKeepMs : 0);
      const excess = avail - Math.round((keepMs * this.streamRate) / 1000);
      if (excess > 0) { this.consumed += ring.skip(excess); avail -= excess; }
      if (!this.everStarted) {
        // read after beginRead: the main thread wrote it before the chunks
        if (this.pollQuiet) { const q = this.pollQuiet(); if (q) this.quiet = q === 1; }
        this.everStarted = true;
        this.firstOutputFrame = this.framesOut;
        const skippedMs = excess > 0 ? (excess * 1000) / this.streamRate : 0;
        if (this.quiet && this.playing && skippedMs <= o.quietStartMaxSkipMs) {
          this.pStep = 1 / (o.quietStartFadeS * this.outRate);
          this.uGain = 1; // the play fade is the only ramp needed
          const max = Math.min(Math.round((o.quietHeadMaxMs * this.streamRate) / 1000), avail - 8);
          const head = max > 0 ? ring.leadingQuiet(max, o.quietHeadLevel) : 0;
          if (head > 0) { this.consumed += ring.skip(head); avail -= head; this.headSkipped = head; }
        }
        this.quiet = false;
      }
      this.rateCtl.reset((avail * 1000) / this.streamRate);
    }

    const prevRate = this.rate;
    this.rate = this.rateCtl.update((avail * 1000) / this.streamRate, this.targetMs, n / this.outRate);
    this.lastRateStep = Math.abs(this.rate - prevRate);
    const step = (this.streamRate / this.outRate) * this.rate;
    const need = this.resampler.need(n, step);
    const fadeOutFrames = (o.fadeOutMs / 1000) * this.outRate;
    // Not enough left for this block plus a whole fade-out: start fading now,
    // while there is still sound to fade.
    const low = fadeOutFrames * step + n * step + 2;
    if (this.uTarget === 1 && avail - need < low) this.uTarget = 0;
    // Data came back before the fade finished: a dip, not an underrun.
    else if (this.uTarget === 0 && !this.skipping && this.flushUpTo === null && avail - need >= 4 * low) this.uTarget = 1;
    const skipAbove = this.targetMs + Math.max(o.skipExtraMs, this.targetMs);
    if (!this.skipping && depthMs > skipAbove) { this.skipping = true; this.uTarget = 0; }

    this.resampler.process(ring, outL, outR, n, step);
    this.consumed += avail - ring.cachedAvailable();

    const uDown = 1 / fadeOutFrames;
    const uUp = 1000 / (o.fadeInMs * this.outRate);
    const pTarget = this.playing ? 1 : 0;
    let u = this.uGain, p = this.pGain, v = this.vGain, e = 0;
    for (let k = 0; k < n; k++) {
      if (u !== this.uTarget) u = this.uTarget > u ? Math.min(1, u + uUp) : Math.max(0, u - uDown);
      if (p !== pTarget) p = pTarget > p ? Math.min(1, p + this.pStep) : Math.max(0, p - this.pStep);
      v += (this.volume - v) * this.vCoef;
      const g = u * p * p * v; // p squared: a fade that sounds even
      outL[k] *= g;
      outR[k] *= g;
      e += outL[k] * outL[k] + outR[k] * outR[k];
    }
    this.uGain = u; this.pGain = p; this.vGain = v;
    if (this.firstLoudFrame < 0 && e > this.o.loudRms * this.o.loudRms * 2 * n) this.firstLoudFrame = this.framesOut;
    this.framesOut += n;

    if (this.uTarget === 0 && u === 0) {
      if (this.flushUpTo !== null) {
        ring.endRead();
        this._doFlush();
        this.depthFrames = ring.available();
        return;
      } else if (this.skipping) {
        const keep = Math.round(((this.targetMs + o.skipKeepMs) * this.streamRate) / 1000);
        this.consumed += ring.skip(ring.cachedAvailable() - keep);
        this.skipping = false;
        this.skips++;
        this.uTarget = 1;
        this.rateCtl.reset(this.targetMs + o.skipKeepMs);
      } else {
        this.state = STATE.PREBUFFER;
        // An empty ring while paused (or disconnected on purpose) is silence
        // nobody hears, not an underrun.
        if (p > 0) this.underruns++;
      }
    }
    this.depthFrames = ring.cachedAvailable();
    ring.endRead();
  }
}
