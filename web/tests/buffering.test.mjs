// Tier logic and the playout path against simulated arrival traces:
// steady, bursty, a 2-second stall and a 0.1% clock drift (web/tests/sim.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIERS, TierController, JitterTracker } from '../public/js/buffering.js';
import { simulate, traces, SR } from './sim.mjs';

const meanOf = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const window = (r, fromS, toS) => r.perSecond.filter((s) => s.t >= fromS * 1000 && s.t < toS * 1000);
// 128-frame blocks: a rate change of at most 1e-3 per second is 2.67e-6 per
// block; 3e-6 bounds it (0.005 cents per block: a glide, never a step).
const MAX_RATE_STEP = 3e-6;

test('tiers are the four specified depths, starting at normal', () => {
  assert.deepEqual(TIERS.map((t) => [t.name, t.target_ms]),
    [['minimal', 300], ['normal', 500], ['stable', 800], ['defensive', 1200]]);
  const t = new TierController();
  assert.equal(t.name, 'normal');
  assert.equal(t.target_ms, 500);
});

test('jitter EMA: steady arrivals score near zero whatever the latency, bursts score their spread', () => {
  const j = new JitterTracker();
  for (let k = 0; k < 200; k++) j.arrival(5000 + k * 100 + (k % 2), k * 4800, SR);
  assert.ok(j.score < 3, `steady score ${j.score}`);
  const b = new JitterTracker();
  // pairs: every second chunk arrives 100 ms late together with the next
  for (let k = 0; k < 200; k++) b.arrival(Math.ceil(k / 2) * 200, k * 4800, SR);
  assert.ok(b.mean > 30 && b.mean < 70, `mean ${b.mean}`);
  assert.ok(b.dev > 30 && b.dev < 70, `dev ${b.dev}`);
  // alpha 0.1: one 1 s late chunk moves the mean by 100 ms
  const s = new JitterTracker();
  for (let k = 0; k < 100; k++) s.arrival(k * 100, k * 4800, SR);
  const before = s.mean;
  s.arrival(100 * 100 + 1000, 100 * 4800, SR);
  assert.ok(Math.abs(s.mean - before - 100) < 1, `mean moved ${s.mean - before}`);
});

test('steady localhost: no underrun, settles at minimal after 30 s of calm, depth on target', () => {
  const r = simulate(traces.steady(), 120);
  assert.equal(r.underruns, 0);
  assert.equal(r.skips, 0);
  assert.deepEqual(r.changes.map((c) => [c.from, c.to, c.why]), [['normal', 'minimal', 'calm']]);
  assert.ok(Math.abs(r.changes[0].t - 30000) < 1500, `stepped down at ${r.changes[0].t} ms`);
  const d = meanOf(window(r, 90, 120).map((s) => s.depth_ms));
  assert.ok(Math.abs(d - 300) < 25, `mean depth ${d} ms vs target 300`);
  assert.ok(r.maxRateStep <= MAX_RATE_STEP, `rate step ${r.maxRateStep}`);
});

for (const drift of [0.001, -0.001]) {
  test(`0.1% clock drift (${drift > 0 ? 'sender slow' : 'sender fast'}): rate absorbs it, depth stays near target, no steps`, () => {
    const r = simulate(traces.steady({ drift }), 600);
    assert.equal(r.underruns, 0);
    assert.equal(r.skips, 0);
    const late = window(r, 300, 600);
    // the rate settles at 1 - drift (within a tenth of the drift)...
    const rate = meanOf(late.map((s) => s.rate));
    assert.ok(Math.abs(rate - (1 - drift)) < 1e-4, `rate ${rate}`);
    // ...and the depth stays within 30 ms of the target (without correction
    // it would have moved by 600 ms and underrun)
    for (const s of late) assert.ok(Math.abs(s.depth_ms - s.target) < 30, `depth ${s.depth_ms} at ${s.t}`);
    for (const s of r.perSecond) assert.ok(Math.abs(s.rate - 1) <= 0.005 + 1e-12);
    assert.ok(r.maxRateStep <= MAX_RATE_STEP, `rate step ${r.maxRateStep}`);
  });
}

test('mildly bursty (300 ms groups): stays at normal, never steps down, no underrun', () => {
  const r = simulate(traces.bursty({ groupMs: 300 }), 150);
  assert.equal(r.underruns, 0);
  assert.deepEqual(r.changes, []);
});

test('bursty (400 ms groups): escalates to stable in the first seconds by jitter alone, then holds without flapping', () => {
  const r = simulate(traces.bursty({ groupMs: 400 }), 150);
  assert.equal(r.underruns, 0);
  assert.deepEqual(r.changes.map((c) => [c.to, c.why]), [['stable', 'jitter']]);
  assert.ok(r.changes[0].t < 5000, `escalated at ${r.changes[0].t}`);
});

test('2-second stall: one underrun, escalates, recovers by one tier per 30 s calm, then steady again', () => {
  const r = simulate(traces.stall({ atMs: 60000, stallMs: 2000 }), 200);
  assert.equal(r.underruns, 1, 'the stall is longer than the buffer: one underrun, counted');
  const after = r.changes.filter((c) => c.t >= 60000);
  const ups = after.filter((c) => c.why !== 'calm');
  const downs = after.filter((c) => c.why === 'calm');
  assert.ok(ups.length >= 1 && ups.length <= 2, JSON.stringify(after));
  assert.equal(ups[0].why, 'underrun');
  assert.ok(ups[0].t < 61000, `escalated at ${ups[0].t}`);
  // all escalations come before any step down (no flapping), and step downs
  // are at least 30 s apart and 30 s after the incident
  assert.ok(Math.max(...ups.map((c) => c.t)) < Math.min(...downs.map((c) => c.t)));
  let prev = Math.max(...ups.map((c) => c.t));
  for (const d of downs) { assert.ok(d.t - prev >= 30000 - 1, `step down ${d.t - prev} ms after previous change`); prev = d.t; }
  assert.equal(r.tier.name, 'minimal', 'back to where it was before the stall');
  assert.equal(downs.length, ups.length);
  // playback resumed by itself and ran without further underruns
  assert.ok(window(r, 70, 200).every((s) => s.depth_ms > 200));
});

test('stall while at normal from the start: resumes by itself after refill', () => {
  const r = simulate(traces.stall({ atMs: 5000, stallMs: 2000 }), 40);
  assert.equal(r.underruns, 1);
  assert.equal(r.core.state, 1, 'playing again');
  const s = window(r, 20, 40);
  assert.ok(s.every((x) => x.depth_ms > 300), 'buffer refilled');
});
