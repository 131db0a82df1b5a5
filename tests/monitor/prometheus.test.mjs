// The monitoring, end to end on a real Prometheus: a test server on an
// ephemeral port with listeners, stations, controls and client_stats; the
// `prometheus` binary started by scripts/monitor.sh (what `make monitor`
// runs) on another ephemeral port, scraping it every second with
// docs/prometheus/alerts.yml loaded; then every panel query of both Grafana
// dashboards (docs/grafana/*.json), and their template variable, must
// return data through Prometheus's HTTP API. Everything started here is
// stopped by PID, also on failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, listen, sleep, refusedUpgrade, get } from '../server/helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DASHBOARDS = ['smooth-streaming.json', 'resource-usage.json'];
// what Grafana would put for the dashboard variables: every instance, and a
// rate window of several 1 s scrapes
const RATE_INTERVAL = '10s';

const cleanups = [];
after(async () => {
  for (const f of cleanups.reverse()) {
    try { await f(); } catch { /* keep cleaning */ }
  }
});

// Prometheus's HTTP API answers JSON (the shared helper's GET, its
// timeout scaled by SLACK like every other test's)
async function getJson(port, p) {
  return JSON.parse((await get(port, p)).body.toString());
}

// scripts/monitor.sh execs prometheus, so the child's PID is Prometheus's.
function startPrometheus(target, dir) {
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(ROOT, 'scripts/monitor.sh'),
      ['--target', target, '--port', '0', '--interval', '1s', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`prometheus did not start in 60 s:\n${log}`));
    }, 60000);
    const onData = (d) => {
      log += d;
      const m = /msg="Listening on" address=127\.0\.0\.1:(\d+)/.exec(log);
      if (m && !proc.port) {
        clearTimeout(timer);
        proc.port = Number(m[1]);
        resolve({
          proc,
          port: proc.port,
          get log() { return log; },
          async stop() {
            if (proc.exitCode !== null || proc.signalCode !== null) return;
            const done = new Promise((r) => proc.once('exit', r));
            proc.kill('SIGTERM');
            const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
            await done;
            clearTimeout(t);
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!proc.port) reject(new Error(`prometheus exited ${code}:\n${log}`));
    });
  });
}

// Every query of a dashboard: panels (also inside collapsed rows) and the
// template variable, with the variables substituted as Grafana would.
function dashboardQueries(file) {
  const d = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/grafana', file), 'utf8'));
  assert.ok(d.templating.list.some((v) => v.type === 'datasource' && v.query === 'prometheus'),
    `${file}: no Prometheus data-source variable`);
  const panels = [];
  const walk = (ps) => ps.forEach((p) => { panels.push(p); if (p.panels) walk(p.panels); });
  walk(d.panels);
  const out = [];
  for (const p of panels) {
    if (p.type === 'row') continue;
    assert.equal(p.datasource?.uid, '${datasource}', `${file}: panel "${p.title}" ignores the data-source variable`);
    assert.ok(p.targets?.length, `${file}: panel "${p.title}" has no query`);
    for (const t of p.targets) {
      const expr = t.expr
        .replaceAll('$__rate_interval', RATE_INTERVAL)
        .replaceAll('${instance}', '.*')
        .replaceAll('$instance', '.*');
      assert.doesNotMatch(expr, /\$/, `${file}: "${p.title}" uses an unknown variable: ${t.expr}`);
      out.push({ file, panel: p.title, legend: t.legendFormat, expr });
    }
  }
  return { queries: out, vars: d.templating.list.filter((v) => v.type === 'query') };
}

function finite(result) {
  return result.some((r) => {
    const vals = r.value ? [r.value] : (r.values || []);
    return vals.some(([, v]) => Number.isFinite(Number(v)));
  });
}

test('every dashboard panel query returns data from a real Prometheus scraping a live server',
  { timeout: 600000 }, async () => {
    const srv = await startServer(['--workers', '2', '--max-clients', '64']);
    cleanups.push(() => srv.stop());

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auralis-prom-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const prom = await startPrometheus(`127.0.0.1:${srv.port}`, dir);
    cleanups.push(() => prom.stop());

    // the traffic every panel needs: two stations, personal streams, live
    // controls, players reporting buffer depth, jitter and underruns, some
    // refused messages and one refused upgrade
    const clients = [];
    const queries = ['station=monitor-a', 'station=monitor-a', 'station=monitor-a',
      'station=monitor-b', 'station=monitor-b', 'seed=7&bpm=120', 'seed=8&intensity=0.9'];
    for (const q of queries) clients.push(listen(srv.port, q));
    cleanups.push(() => clients.forEach((c) => c.close()));
    for (const c of clients) await c.until(() => c.chunks.length > 0, 20000, 'first chunk');
    const refused = await refusedUpgrade(srv.port, 'bpm=999');
    assert.equal(refused.status, 400);

    let tick = 0;
    const underruns = clients.map(() => 0);
    const drive = setInterval(() => {
      tick++;
      clients.forEach((c, i) => {
        if (c.ws.readyState !== 1) return;
        if (tick % 7 === i) underruns[i]++;
        c.send({ type: 'client_stats', buffer_ms: 200 + ((tick * 37 + i * 101) % 900),
          tier: 'good', underruns: underruns[i], jitter_ms: 1 + ((tick + i) % 25) });
        if (tick % 4 === 0) c.send({ type: 'set', intensity: ((tick + i) % 10) / 10 });
        if (tick % 9 === 0) c.send({ type: 'ping', t: tick });
        if (tick % 13 === 0) c.send({ type: 'set', bpm: 500 });
      });
    }, 500);
    cleanups.push(() => clearInterval(drive));

    // Prometheus ready (it listens before its storage is open, and answers
    // 503 "Service Unavailable" until then: seen beside stress-ng), then
    // the target healthy
    const deadline0 = Date.now() + 120000;
    for (;;) {
      const ready = await get(prom.port, '/-/ready');
      if (ready.status === 200) break;
      assert.ok(Date.now() < deadline0, `prometheus never ready: ${ready.status} ${ready.body}\n${prom.log}`);
      await sleep(500);
    }
    for (;;) {
      const r = await getJson(prom.port, '/api/v1/query?query=' + encodeURIComponent('up{job="auralis"}'));
      if (r.data?.result?.[0]?.value?.[1] === '1') break;
      assert.ok(Date.now() < deadline0, `target never came up:\n${JSON.stringify(r)}\n${prom.log}`);
      await sleep(1000);
    }

    // the rules loaded and evaluate without errors
    const rules = await getJson(prom.port, '/api/v1/rules');
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    assert.equal(loaded.length, 12);

    const all = DASHBOARDS.map(dashboardQueries);
    const panelQueries = all.flatMap((d) => d.queries);
    assert.ok(panelQueries.length >= 40, `only ${panelQueries.length} queries`);

    // wait (generously: a busy machine) until every query has data
    let missing = panelQueries;
    const deadline = Date.now() + 300000;
    while (missing.length) {
      const still = [];
      for (const q of missing) {
        const r = await getJson(prom.port, '/api/v1/query?query=' + encodeURIComponent(q.expr));
        assert.equal(r.status, 'success', `${q.file} "${q.panel}": ${q.expr}: ${JSON.stringify(r)}`);
        if (!finite(r.data.result)) still.push(q);
      }
      missing = still;
      if (!missing.length) break;
      if (Date.now() > deadline) {
        assert.fail('no data after 300 s for:\n' +
          missing.map((q) => `  ${q.file} "${q.panel}" [${q.legend}]: ${q.expr}`).join('\n'));
      }
      await sleep(2000);
    }

    // the template variable lists the server
    for (const { vars } of all) {
      for (const v of vars) {
        const m = /^label_values\((\w+), *(\w+)\)$/.exec(v.definition);
        assert.ok(m, `unexpected variable query ${v.definition}`);
        const r = await getJson(prom.port,
          `/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(m[1])}`);
        assert.deepEqual(r.data, [`127.0.0.1:${srv.port}`]);
      }
    }

    // rule evaluation found every metric it needs well-formed
    const rules2 = await getJson(prom.port, '/api/v1/rules');
    for (const r of rules2.data.groups.flatMap((g) => g.rules))
      assert.notEqual(r.health, 'err', `${r.name}: ${r.lastError}`);

    // what players sent arrived: underruns and client jitter were counted
    const u = await getJson(prom.port, '/api/v1/query?query=auralis_client_underruns_total');
    assert.ok(Number(u.data.result[0].value[1]) > 0);
  });
