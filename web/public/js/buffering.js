// Adaptive buffering: arrival-jitter tracking and the four buffer tiers.
// Pure logic (no DOM, no audio): the player feeds it chunk arrivals and
// underruns with timestamps in milliseconds, and reads back the target depth.
// Runs on the main thread; not shared between threads.

export const TIERS = Object.freeze([
  Object.freeze({ name: 'minimal', target_ms: 300 }),
  Object.freeze({ name: 'normal', target_ms: 500 }),
  Object.freeze({ name: 'stable', target_ms: 800 }),
  Object.freeze({ name: 'defensive', target_ms: 1200 }),
]);

export const START_TIER = 1; // normal

export const BUFFERING_DEFAULTS = Object.freeze({
  alpha: 0.1, // EMA weight of each new jitter sample
  // A tier absorbs jitter up to this fraction of its target depth: the rest
  // covers the chunk granularity (100 ms) and the rate controller's slack.
  marginFraction: 0.6,
  // Step down only when jitter is below this fraction of the LOWER tier's
  // margin: the gap between the up and down thresholds is the hysteresis.
  downFraction: 0.5,
  calmMs: 30000, // sustained calm needed before each step down
  // After an escalation, give the deeper buffer time to work before the same
  // incident escalates again (an underrun and the late burst that follows it
  // are one incident, not two).
  cooldownMs: 3000,
  // The reference (earliest possible) arrival schedule may creep later by this
  // many ms per ms, so sender clock drift is not mistaken for jitter.
  refRise: 0.002,
});

// Lateness of each chunk relative to the lower envelope of
// (arrival time - media time), smoothed as an EMA with its variance.
// A steady stream scores ~0 whatever its latency; a chunk held back by
// 200 ms scores 200. The initial burst only lowers the envelope.
export class JitterTracker {
  constructor(opts = {}) {
    this.alpha = opts.alpha ?? BUFFERING_DEFAULTS.alpha;
    this.refRise = opts.refRise ?? BUFFERING_DEFAULTS.refRise;
    this.mean = 0;
    this.variance = 0;
    this.samples = 0;
    this.newStream();
  }

  // A new stream (reconnect) restarts positions: forget the reference
  // schedule, keep the learned jitter (the network is the same).
  newStream() {
    this.ref = null;
    this.lastNow = null;
  }

  get dev() { return Math.sqrt(this.variance); }
  // What the buffer must absorb: mean plus two deviations.
  get score() { return this.mean + 2 * this.dev; }

  // nowMs: arrival time; positionFrames: media position of the chunk's first
  // frame; sampleRate: frames per second. Returns the lateness sample in ms.
  arrival(nowMs, positionFrames, sampleRate) {
    const x = nowMs - (positionFrames * 1000) / sampleRate;
    if (this.ref === null) {
      this.ref = x;
    } else {
      const crept = this.ref + this.refRise * Math.max(0, nowMs - this.lastNow);
      this.ref = Math.min(x, crept);
    }
    this.lastNow = nowMs;
    const late = x - this.ref;
    // Incremental EMA of mean and variance (West 1979 form).
    const d = late - this.mean;
    this.mean += this.alpha * d;
    this.variance = (1 - this.alpha) * (this.variance + this.alpha * d * d);
    this.samples++;
    return late;
  }
}

// Chooses the tier. Escalates one tier on an underrun or when the jitter
// score outgrows the current tier's margin; steps down one tier after calmMs
// of continuous calm (score under downFraction of the lower tier's margin, no
// underrun). Every change restarts the calm clock, so it cannot flap faster
// than once per calmMs downwards.
export class TierController {
  constructor(opts = {}) {
    this.opts = { ...BUFFERING_DEFAULTS, ...opts };
    this.jitter = new JitterTracker(this.opts);
    this.index = opts.startTier ?? START_TIER;
    this.calmSince = null;
    this.lastEscalation = -Infinity;
    this.changes = []; // {t, from, to, why}: history for tests and display
  }

  get tier() { return TIERS[this.index]; }
  get name() { return TIERS[this.index].name; }
  get target_ms() { return TIERS[this.index].target_ms; }
  margin(index) { return TIERS[index].target_ms * this.opts.marginFraction; }

  newStream() { this.jitter.newStream(); }

  onArrival(nowMs, positionFrames, sampleRate) {
    const late = this.jitter.arrival(nowMs, positionFrames, sampleRate);
    if (this.jitter.score > this.margin(this.index))
      this._escalate(nowMs, 'jitter');
    this.tick(nowMs);
    return late;
  }

  onUnderrun(nowMs) {
    this._escalate(nowMs, 'underrun');
    this.calmSince = null;
  }

  // Call regularly (each arrival and from a timer) to let calm accumulate.
  tick(nowMs) {
    if (this.index === 0) { this.calmSince = null; return; }
    const calm = this.jitter.score < this.opts.downFraction * this.margin(this.index - 1);
    if (!calm) { this.calmSince = null; return; }
    if (this.calmSince === null) { this.calmSince = nowMs; return; }
    if (nowMs - this.calmSince >= this.opts.calmMs) {
      this._change(nowMs, this.index - 1, 'calm');
      this.calmSince = nowMs; // the next step needs another full calm period
    }
  }

  _escalate(nowMs, why) {
    this.calmSince = null;
    if (this.index >= TIERS.length - 1) return;
    if (nowMs - this.lastEscalation < this.opts.cooldownMs) return;
    this.lastEscalation = nowMs;
    this._change(nowMs, this.index + 1, why);
  }

  _change(nowMs, to, why) {
    this.changes.push({ t: nowMs, from: TIERS[this.index].name, to: TIERS[to].name, why });
    if (this.changes.length > 64) this.changes.shift();
    this.index = to;
  }
}
