// Fractional-rate stereo reader and the playback-rate controller.
// Pure logic, used inside the AudioWorklet (no allocation after construction)
// and by the node tests. One instance per playback path; not thread-safe.

// 4-point, 3rd-order Hermite (Catmull-Rom) interpolation between x0 and x1
// at fraction t in [0, 1). Exact at t = 0, continuous first derivative, so
// a slowly sliding fraction (rate near 1) produces no steps.
export function hermite4(xm1, x0, x1, x2, t) {
  const c1 = 0.5 * (x1 - xm1);
  const c2 = xm1 - 2.5 * x0 + 2 * x1 - 0.5 * x2;
  const c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
  return ((c3 * t + c2) * t + c1) * t + x0;
}

// Reads frames from a source at a fractional step (source frames per output
// frame). The source has pop(h, i): writes the next frame's left and right
// samples to h[i], h[i + 1] and returns true, or false when empty (then the
// history holds the last sample, so a shortfall never jumps).
// Latency: the output lags the input by three source frames.
export class CubicResampler {
  constructor() {
    // History, interleaved: [xm1 L, xm1 R, x0 L, x0 R, x1 L, x1 R, x2 L, x2 R]
    this.h = new Float64Array(8);
    this.frac = 0;
    this.starved = 0; // frames the source could not supply
  }

  reset() { this.h.fill(0); this.frac = 0; }

  // Source frames that process(n, step) will pop, at most.
  need(n, step) { return Math.floor(this.frac + n * step) + 1; }

  process(src, outL, outR, n, step, offset = 0) {
    const h = this.h;
    let frac = this.frac;
    for (let k = 0; k < n; k++) {
      outL[offset + k] = hermite4(h[0], h[2], h[4], h[6], frac);
      outR[offset + k] = hermite4(h[1], h[3], h[5], h[7], frac);
      frac += step;
      while (frac >= 1) {
        frac -= 1;
        h[0] = h[2]; h[1] = h[3]; h[2] = h[4]; h[3] = h[5]; h[4] = h[6]; h[5] = h[7];
        if (!src.pop(h, 6)) this.starved++; // keeps the previous x2
      }
    }
    this.frac = frac;
  }
}

export const RATE_DEFAULTS = Object.freeze({
  maxDeviation: 0.005, // +/-0.5%: about 8.6 cents, inaudible when this slow
  // Depth error is corrected over this horizon: an error of e seconds asks
  // for a rate offset of e / horizon (100 ms -> 1%, clamped to 0.5%).
  horizonS: 10,
  // The depth is a 100 ms sawtooth (one chunk per 100 ms); a 1.5 s one-pole
  // smooths it to under a millisecond of ripple before it reaches the rate.
  depthTauS: 1.5,
  // Largest rate change per second: 0.5% takes 5 s to reach, so pitch glides
  // and never steps (at 128-frame blocks, 2.7e-6 per block).
  slewPerS: 0.001,
});

// Turns measured buffer depth into a playback rate near 1 that holds the
// depth at the target: clock drift between sender and sound card, and depth
// changes when the tier changes, are absorbed by a smooth, bounded glide.
export class RateController {
  constructor(opts = {}) {
    this.opts = { ...RATE_DEFAULTS, ...opts };
    this.rate = 1;
    this.filtered = null;
  }

  // Forget the filtered depth (after a rebuffer the old depth is stale).
  reset(depthMs) { this.filtered = depthMs; }

  update(depthMs, targetMs, dtS) {
    const o = this.opts;
    if (this.filtered === null) this.filtered = depthMs;
    this.filtered += (depthMs - this.filtered) * (1 - Math.exp(-dtS / o.depthTauS));
    const errS = (this.filtered - targetMs) / 1000;
    let want = 1 + errS / o.horizonS;
    want = Math.min(1 + o.maxDeviation, Math.max(1 - o.maxDeviation, want));
    const step = o.slewPerS * dtS;
    this.rate += Math.min(step, Math.max(-step, want - this.rate));
    return this.rate;
  }
}
