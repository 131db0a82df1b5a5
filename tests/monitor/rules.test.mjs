// The alerting rules as promtool sees them: they parse (check rules) and
// their unit tests pass (test rules: docs/prometheus/alerts.test.yml), and
// the config `make monitor` writes is one Prometheus accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RULES = path.join(ROOT, 'docs/prometheus/alerts.yml');

function promtool(args, cwd = ROOT) {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 300000 });
  assert.equal(r.error, undefined, `promtool could not run: ${r.error}`);
  return r;
}

test('promtool check rules: alerts.yml is valid', () => {
  const r = promtool(['check', 'rules', RULES]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const m = /SUCCESS: (\d+) rules found/.exec(r.stdout + r.stderr);
  assert.ok(m, r.stdout + r.stderr);
  assert.equal(Number(m[1]), 12);
});

test('promtool test rules: every alert fires when it should and only then', () => {
  const r = promtool(['test', 'rules', 'alerts.test.yml'], path.join(ROOT, 'docs/prometheus'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /SUCCESS/);
});

test('every alert in alerts.yml has a unit test and a section in docs/operations.md', () => {
  const rules = fs.readFileSync(RULES, 'utf8');
  const tests = fs.readFileSync(path.join(ROOT, 'docs/prometheus/alerts.test.yml'), 'utf8');
  const ops = fs.readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  const names = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
  assert.equal(names.length, 12);
  for (const n of names) {
    assert.match(tests, new RegExp(`alertname: ${n}\\n`), `${n} has no promtool test`);
    assert.ok(ops.includes(`\`${n}\``), `${n} is not explained in docs/operations.md`);
  }
});

test('the config make monitor writes passes promtool check config', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-monitor-'));
  try {
    // --help exits before writing; run the script up to the point where it
    // would start Prometheus by giving it a fake prometheus on PATH
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'prometheus'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const r = spawnSync(path.join(ROOT, 'scripts/monitor.sh'),
      ['--target', '127.0.0.1:1', '--port', '0', '--interval', '2s', '--dir', path.join(dir, 'm')],
      { env, encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const conf = path.join(dir, 'm', 'prometheus.yml');
    assert.match(fs.readFileSync(conf, 'utf8'), /targets: \['127\.0\.0\.1:1'\]/);
    const c = promtool(['check', 'config', conf]);
    assert.equal(c.status, 0, c.stdout + c.stderr);
    assert.match(c.stdout + c.stderr, /SUCCESS: 12 rules found/);
    const bad = spawnSync(path.join(ROOT, 'scripts/monitor.sh'), ['--target', 'nowhere'],
      { env, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--target must be HOST:PORT \(got 'nowhere'\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the dashboards are what docs/grafana/dashboards.py writes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-dash-'));
  try {
    const r = spawnSync('python3', [path.join(ROOT, 'docs/grafana/dashboards.py'), dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['smooth-streaming.json', 'resource-usage.json']) {
      assert.equal(fs.readFileSync(path.join(dir, f), 'utf8'),
        fs.readFileSync(path.join(ROOT, 'docs/grafana', f), 'utf8'),
        `docs/grafana/${f} differs from what dashboards.py writes: run it`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
