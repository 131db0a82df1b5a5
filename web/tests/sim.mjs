// Simulated network + player for the buffering tests: chunk arrival traces
// (as the server paces them: a 500 ms burst, then 100 ms chunks) feed the
// real TierController and PlayoutCore, advanced block by block in simulated
// time. Not a test file itself (no .test.mjs suffix).
import { TierController } from '../public/js/buffering.js';
import { FrameRing } from '../public/js/ring.js';
import { PlayoutCore } from '../public/js/playout.js';

export const SR = 48000;
export const CHUNK = 4800; // 100 ms

// Small deterministic PRNG (mulberry32) for jitter in traces.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Server schedule in receiver milliseconds: chunk k leaves at burst time for
// k < 5, then every 100 ms of the sender's clock, which runs (1 + drift)
// slower than ours (drift > 0: chunks come late, the buffer would drain).
export function schedule(k, drift = 0) {
  return k < 5 ? 0 : (k - 4) * 100 * (1 + drift);
}

export const traces = {
  steady: ({ jitterMs = 2, seed = 1, drift = 0 } = {}) => {
    const r = rng(seed);
    return (k) => schedule(k, drift) + r() * jitterMs;
  },
  // Chunks held and released in groups every `groupMs` (Wi-Fi power saving,
  // TCP coalescing), plus a little noise.
  bursty: ({ groupMs = 300, seed = 2 } = {}) => {
    const r = rng(seed);
    return (k) => Math.ceil(schedule(k) / groupMs) * groupMs + r() * 5;
  },
  // Nothing arrives between atMs and atMs + stallMs; then the backlog comes
  // at once and the schedule resumes.
  stall: ({ atMs = 60000, stallMs = 2000, seed = 3 } = {}) => {
    const r = rng(seed);
    return (k) => {
      const t = schedule(k) + r() * 2;
      return t >= atMs && t < atMs + stallMs ? atMs + stallMs + r() * 2 : t;
    };
  },
};

// Runs durationS seconds of playback. arrival(k) gives chunk k's arrival time
// in ms. Returns per-second samples and counters.
export function simulate(arrival, durationS, { block = 128, outRate = SR, sine = false, onBlock = null } = {}) {
  const ring = new FrameRing(1 << 18);
  const core = new PlayoutCore(ring, { streamRate: SR, outRate });
  core.setPlaying(true);
  const tier = new TierController();
  core.setTarget(tier.target_ms);
  const outL = new Float32Array(block), outR = new Float32Array(block);
  const chunk = new Float32Array(CHUNK * 2);
  let k = 0;
  let nextArrival = arrival(0);
  let lastUnderruns = 0;
  const perSecond = []; // {t, depth_ms, rate, tier, target}
  let maxRateStep = 0;
  let nextSample = 1000, depthSum = 0, depthN = 0;
  const blocks = Math.ceil((durationS * outRate) / block);
  for (let b = 0; b < blocks; b++) {
    const now = (b * block * 1000) / outRate;
    while (nextArrival <= now) {
      if (sine) for (let i = 0; i < CHUNK; i++) chunk[2 * i] = chunk[2 * i + 1] = 0.5 * Math.sin((2 * Math.PI * 440 * (k * CHUNK + i)) / SR);
      tier.onArrival(nextArrival, k * CHUNK, SR);
      ring.write(chunk, CHUNK);
      k++;
      nextArrival = arrival(k);
    }
    core.process(outL, outR, block);
    if (core.underruns !== lastUnderruns) { lastUnderruns = core.underruns; tier.onUnderrun(now); }
    tier.tick(now);
    core.setTarget(tier.target_ms);
    if (core.state === 1 && b > 0) maxRateStep = Math.max(maxRateStep, core.lastRateStep);
    if (onBlock) onBlock(now, core, tier, outL, outR);
    depthSum += core.depthFrames; depthN++;
    if (now >= nextSample) {
      // depth_ms: mean over the second (the raw depth is a 100 ms sawtooth)
      perSecond.push({ t: now, depth_ms: (depthSum / depthN * 1000) / SR, rate: core.rate, tier: tier.name, target: tier.target_ms, score: tier.jitter.score });
      nextSample += 1000; depthSum = 0; depthN = 0;
    }
  }
  return { perSecond, underruns: core.underruns, skips: core.skips, changes: tier.changes, maxRateStep, core, tier, chunks: k };
}
