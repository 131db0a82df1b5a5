// Performance names, cover art and the station-name rule (pure modules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performanceName, seedHue, stationNameProblem, useStationRule, resetStationRule, stationRule } from '../public/js/names.js';
import { coverSvg, hash32 } from '../public/js/cover.js';

test('a performance name is readable, deterministic and follows the seed', () => {
  const a = performanceName('42');
  assert.match(a, /^[A-Z][a-z]+ [A-Z][a-z]+ [0-9A-F]{4}$/);
  assert.equal(performanceName(42), a, 'number and string seeds agree');
  assert.equal(performanceName('42'), a);
  assert.notEqual(performanceName('43'), a);
  assert.match(performanceName('18446744073709551615'), /^\w+ \w+ [0-9A-F]{4}$/, 'the largest seed');
  assert.equal(performanceName('18446744073709551616'), '', 'beyond 64 bits: no name');
  assert.equal(performanceName('abc'), '');
  // neighbouring seeds get different names (no shared prefix pattern)
  const names = new Set();
  for (let s = 0; s < 1000; s++) names.add(performanceName(String(s)));
  assert.equal(names.size, 1000);
  const hues = new Set();
  for (let s = 0; s < 100; s++) hues.add(Math.floor(seedHue(String(s)) / 30));
  assert.ok(hues.size >= 8, 'hues spread over the circle');
});

test('the station rule is the server\'s: 1 to 32 of A-Z a-z 0-9 . _ -, no leading dot', () => {
  for (const ok of ['lobby', 'a', 'x'.repeat(32), 'my.room_2-b', '-x', '_']) assert.equal(stationNameProblem(ok), null, ok);
  for (const bad of ['', 'x'.repeat(33), 'white space', 'ümlaut', 'a/b', '.hidden', '..', null]) {
    assert.match(stationNameProblem(bad), /^station must be 1 to 32 characters of A-Z a-z 0-9 \. _ -/, String(bad));
  }
  // the server's published rule replaces the built-in copy
  assert.equal(useStationRule({ pattern: '^[a-z]{1,4}$', max_length: 4, rule: 'station must be 1 to 4 of a-z' }), true);
  assert.equal(stationNameProblem('abcd'), null);
  assert.equal(stationNameProblem('abcde'), "station must be 1 to 4 of a-z (got 'abcde')");
  assert.equal(stationRule().max, 4);
  assert.equal(useStationRule({ pattern: '(' }), false, 'a malformed rule is ignored');
  assert.equal(stationRule().max, 4);
  resetStationRule();
  assert.equal(stationRule().max, 32);
});

test('cover art is a deterministic SVG that differs between pieces', () => {
  const a = coverSvg('Focus', '1');
  assert.equal(coverSvg('Focus', '1'), a);
  assert.notEqual(coverSvg('Sleep', '1'), a);
  assert.notEqual(coverSvg('Focus', '2'), a);
  assert.match(a, /^<svg [^>]*viewBox="0 0 100 100"/);
  assert.ok(!/NaN|undefined/.test(a));
  assert.match(coverSvg('<b>&"', '', { title: 'x<y' }), /<title>x&#60;y<\/title>/);
  assert.equal(hash32(''), 0x811c9dc5);
});
