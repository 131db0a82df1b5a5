// Resampler quality (sine error at fixed and gliding rates), the rate
// controller's bounds, and click-free fades in the playout core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CubicResampler, RateController, hermite4 } from '../public/js/resampler.js';
import { FrameRing } from '../public/js/ring.js';
import { PlayoutCore } from '../public/js/playout.js';
import { simulate, traces } from './sim.mjs';

const SR = 48000;
function sineSource(freq, sr = SR) {
  let i = 0;
  return { pop(h, j) { const v = Math.sin((2 * Math.PI * freq * i) / sr); h[j] = v; h[j + 1] = -v; i++; return true; } };
}
// Signal-to-error ratio in dB of resampling a sine at a fixed step. Output k
// sits at source position k*step - 3 (three frames of latency).
function snr(freq, step, n = 24000) {
  const r = new CubicResampler();
  const L = new Float32Array(n), R = new Float32Array(n);
  r.process(sineSource(freq), L, R, n, step);
  let se = 0, ss = 0;
  for (let k = 100; k < n; k++) {
    const ref = Math.sin((2 * Math.PI * freq * (k * step - 3)) / SR);
    se += (L[k] - ref) ** 2 + (R[k] + ref) ** 2;
    ss += 2 * ref * ref;
  }
  return 10 * Math.log10(ss / se);
}

test('hermite4 is exact at the knots and on straight lines and parabolas', () => {
  assert.equal(hermite4(1, 2, 3, 4, 0), 2);
  assert.ok(Math.abs(hermite4(1, 2, 3, 4, 0.37) - 2.37) < 1e-12);
  const f = (x) => 3 * x * x - x + 1; // Catmull-Rom reproduces quadratics
  assert.ok(Math.abs(hermite4(f(-1), f(0), f(1), f(2), 0.5) - f(0.5)) < 1e-12);
});

test('interpolation quality: sine error well below audibility at the rates used', () => {
  // Measured on this implementation (Catmull-Rom, float32 out):
  // ~110 dB at 440 Hz, ~90 dB at 1 kHz, ~73 dB at 2 kHz, ~47 dB at 5 kHz.
  for (const step of [1.005, 0.995, 48000 / 44100, 44100 / 48000]) {
    assert.ok(snr(440, step) > 100, `440 Hz at ${step}: ${snr(440, step)}`);
    assert.ok(snr(1000, step) > 85, `1 kHz at ${step}: ${snr(1000, step)}`);
    assert.ok(snr(2000, step) > 68, `2 kHz at ${step}: ${snr(2000, step)}`);
    assert.ok(snr(5000, step) > 42, `5 kHz at ${step}: ${snr(5000, step)}`);
  }
});

test('nearest-sample reading would be far worse (the test can tell)', () => {
  // sanity check of the measurement: shift by half a sample without
  // interpolation gives ~35 dB at 1 kHz; cubic is > 50 dB better.
  let se = 0, ss = 0;
  for (let k = 0; k < 24000; k++) {
    const ref = Math.sin((2 * Math.PI * 1000 * (k + 0.5)) / SR);
    se += (Math.sin((2 * Math.PI * 1000 * k) / SR) - ref) ** 2;
    ss += ref * ref;
  }
  const nearest = 10 * Math.log10(ss / se);
  assert.ok(snr(1000, 1.005) - nearest > 50, `cubic ${snr(1000, 1.005)} vs nearest ${nearest}`);
});

test('gliding rate: output follows the integrated phase with no discontinuity', () => {
  const r = new CubicResampler();
  const src = sineSource(440);
  const L = new Float32Array(128), R = new Float32Array(128);
  let pos = -3, rate = 1, maxErr = 0;
  for (let b = 0; b < 2000; b++) {
    rate = 1 + 0.005 * Math.sin(b / 300); // full +/-0.5% swing
    r.process(src, L, R, 128, rate);
    for (let k = 0; k < 128; k++) {
      if (b > 0) maxErr = Math.max(maxErr, Math.abs(L[k] - Math.sin((2 * Math.PI * 440 * pos) / SR)));
      pos += rate;
    }
  }
  assert.ok(maxErr < 2e-5, `max error ${maxErr}`);
});

test('rate controller: bounded at +/-0.5% and slew-limited whatever the error', () => {
  const c = new RateController();
  let prev = 1, maxStep = 0;
  for (let i = 0; i < 20000; i++) {
    const depth = i < 10000 ? 5000 : 0; // absurd errors both ways
    const r = c.update(depth, 500, 128 / SR);
    maxStep = Math.max(maxStep, Math.abs(r - prev));
    prev = r;
    assert.ok(r <= 1.005 + 1e-12 && r >= 0.995 - 1e-12);
  }
  assert.ok(maxStep <= 0.001 * (128 / SR) + 1e-12, `step ${maxStep}`);
  assert.ok(Math.abs(prev - 0.995) < 1e-9, 'reaches the bound when far below target');
});

function maxDelta(a) { let m = 0; for (let i = 1; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - a[i - 1])); return m; }

test('underrun and recovery fade with no click; the underrun is counted and playback resumes', () => {
  const all = [];
  const r = simulate(traces.stall({ atMs: 5000, stallMs: 2000 }), 12, {
    sine: true,
    onBlock: (now, core, tier, L) => { for (let k = 0; k < L.length; k++) all.push(L[k]); },
  });
  assert.equal(r.underruns, 1);
  // a 440 Hz sine at 0.5 moves at most 0.029 per sample; a click would jump
  const sineStep = 0.5 * 2 * Math.PI * 440 / SR;
  assert.ok(maxDelta(all) <= sineStep * 1.02, `max sample step ${maxDelta(all)} vs sine ${sineStep}`);
  // there was silence (the stall) and there is sound again at the end
  const tail = all.slice(-4800);
  assert.ok(Math.max(...tail.map(Math.abs)) > 0.45, 'sound after recovery');
  const mid = all.slice(Math.round(6.5 * SR), Math.round(6.6 * SR));
  assert.ok(Math.max(...mid.map(Math.abs)) < 1e-6, 'silence during the stall');
});

test('pause fades over about 1 s, play fades back in; volume changes are smoothed', () => {
  const ring = new FrameRing(1 << 18);
  const core = new PlayoutCore(ring, { streamRate: SR, outRate: SR });
  const dc = new Float32Array(SR * 2 * 2).fill(0.5);
  ring.write(dc, SR * 2); // 2 s of constant 0.5
  core.setTarget(500);
  core.setPlaying(true);
  const L = new Float32Array(128), R = new Float32Array(128);
  const run = (blocks) => { const out = []; for (let b = 0; b < blocks; b++) { ring.write(dc, 128); core.process(L, R, 128); out.push(...L); } return out; };
  const up = run(Math.ceil(1.2 * SR / 128));
  const reach = up.findIndex((v) => v >= 0.5 * 0.999);
  assert.ok(reach > 0.95 * SR && reach < 1.05 * SR, `fade in took ${reach / SR} s`);
  core.setVolume(0.2);
  const vol = run(120); // 320 ms: ten time constants of the 30 ms smoother
  assert.ok(maxDelta(vol) < 0.01, `volume step ${maxDelta(vol)} per sample`);
  assert.ok(Math.abs(vol[vol.length - 1] - 0.1) < 1e-3, 'settles at the new volume');
  core.setPlaying(false);
  const down = run(Math.ceil(1.2 * SR / 128));
  const silent = down.findIndex((v) => v < 1e-6);
  assert.ok(silent > 0.95 * SR && silent < 1.05 * SR, `fade out took ${silent / SR} s`);
  assert.ok(maxDelta(down) < 1e-4);
  assert.equal(core.underruns, 0);
});

test('start fades: a performance\'s first frame (quiet start) ramps over 30 ms, any other start over the play fade', () => {
  // time for the output of a constant 0.5 to reach 99.9% after playback starts
  const reachS = ({ quiet, preload, viaPoll = false }) => {
    const ring = new FrameRing(1 << 18);
    const core = new PlayoutCore(ring, { streamRate: SR, outRate: SR });
    const dc = new Float32Array(SR * 2 * 2).fill(0.5);
    core.setTarget(500);
    core.setPlaying(true, 0.2); // what play() asks for
    if (viaPoll) { let q = quiet ? 1 : 2; core.pollQuiet = () => { const v = q; q = 0; return v; }; }
    else core.setQuietStart(quiet);
    ring.write(dc, Math.round(preload * SR));
    const L = new Float32Array(128), R = new Float32Array(128);
    let start = -1, first = -1, prev = 0, maxStep = 0;
    for (let b = 0; b < Math.ceil(0.5 * SR / 128); b++) {
      ring.write(dc, 128);
      core.process(L, R, 128);
      for (let k = 0; k < 128; k++) {
        const i = b * 128 + k;
        if (start < 0 && L[k] > 0) start = i;
        if (first < 0 && L[k] >= 0.5 * 0.999) first = i;
        maxStep = Math.max(maxStep, Math.abs(L[k] - prev));
        prev = L[k];
      }
    }
    return { s: (first - start) / SR, maxStep };
  };
  const quiet = reachS({ quiet: true, preload: 0.5 });
  assert.ok(quiet.s > 0.025 && quiet.s < 0.035, `quiet start ramp ${quiet.s} s`);
  // a ramp, not a step: at most ~2x the slope of a linear 30 ms ramp of 0.5
  assert.ok(quiet.maxStep < (2 * 0.5) / (0.03 * SR), `largest sample step ${quiet.maxStep}`);
  assert.ok(Math.abs(reachS({ quiet: true, preload: 0.5, viaPoll: true }).s - quiet.s) < 1e-3, 'the shared-memory flag does the same');
  const loud = reachS({ quiet: false, preload: 0.5 });
  assert.ok(loud.s > 0.19 && loud.s < 0.21, `start mid-music ramp ${loud.s} s`);
  assert.ok(reachS({ quiet: false, preload: 0.5, viaPoll: true }).s > 0.19);
  // a start that had to drop more than 150 ms of the burst is mid-music
  const skipped = reachS({ quiet: true, preload: 0.9 });
  assert.ok(skipped.s > 0.19, `quiet start after dropping 400 ms: ${skipped.s} s`);
});

test('quiet start: near-silent first frames (peaks below -50 dBFS) are skipped, at most 120 ms, nothing louder', () => {
  const run = (silentMs, quiet = true) => {
    const ring = new FrameRing(1 << 18);
    const core = new PlayoutCore(ring, { streamRate: SR, outRate: SR });
    core.setTarget(500);
    core.setPlaying(true, 0.2);
    core.setQuietStart(quiet);
    const n = Math.round(0.5 * SR), silent = Math.round((silentMs * SR) / 1000);
    const x = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) x[2 * i] = x[2 * i + 1] = i < silent ? 0.003 : 0.3;
    ring.write(x, n);
    const L = new Float32Array(128), R = new Float32Array(128);
    core.process(L, R, 128);
    return core.headSkipped;
  };
  assert.equal(run(80), Math.round(0.08 * SR)); // all of the quiet head
  assert.equal(run(300), Math.round(0.12 * SR)); // at most 120 ms
  assert.equal(run(0), 0); // sound from the first frame: nothing skipped
  assert.equal(run(80, false), 0); // mid-music starts skip nothing
});

test('ring: wraps around, drops what does not fit, skip and depth are exact', () => {
  const ring = new FrameRing(8);
  const h = new Float64Array(2);
  const x = Float32Array.from({ length: 12 }, (_, i) => i);
  assert.equal(ring.write(x, 6), 6);
  ring.beginRead();
  for (let i = 0; i < 5; i++) { assert.ok(ring.pop(h, 0)); assert.deepEqual([...h], [2 * i, 2 * i + 1]); }
  ring.endRead();
  assert.equal(ring.write(x, 6), 6); // wraps
  assert.equal(ring.write(x, 6), 1); // only one slot left
  assert.equal(ring.available(), 8);
  ring.beginRead();
  assert.ok(ring.pop(h, 0)); assert.deepEqual([...h], [10, 11]);
  assert.equal(ring.skip(6), 6);
  assert.ok(ring.pop(h, 0)); assert.deepEqual([...h], [0, 1]);
  assert.equal(ring.pop(h, 0), false);
  ring.endRead();
  assert.equal(ring.available(), 0);
});
