#!/bin/bash
# usage: bench/http-vs-icecast.sh N T [RAMP] [WARMUP] [AURALIS_BIN]
#        RUNS=3 (environment): runs of each server, medians printed at the end
# The same Node HTTP client (bench/http-load.cjs, the shared Icecast anchor's
# load.js) against Auralis's /stream/NAME.opus and against a local Icecast
# 2.4.4 (Debian icecast2) mount fed 128 kbit/s Ogg Opus by ffmpeg, one after
# the other, RUNS times (each run starts fresh servers, so RSS growth is
# that run's listeners): N listeners for T seconds each. Prints one JSON
# line per run and server, each server's CPU with no listener (Auralis
# renders and encodes the station itself; Icecast's source is a separate
# ffmpeg), so per-listener cost = (cpu - idle cpu) / N, and last a summary:
# the median over the runs of each figure, side by side. Ports 18610
# (Auralis) and 18620 (Icecast, its own config and folder; run as icecast2
# via <changeowner>). `make bench-http` runs it from a fresh clone.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
N=${1:-1000}; T=${2:-30}; RAMP=${3:-10}; WARM=${4:-6}
BIN=${5:-$HERE/../build/auralis}
RUNS=${RUNS:-3}
DIR=$(mktemp -d -t auralis-vs-icecast.XXXXXX)
chmod 755 "$DIR"
AP=18610; IP=18620
AU=; IC=; FF=
cleanup() {
  for p in $FF $IC $AU; do kill "$p" 2>/dev/null; done
  for i in 1 2 3 4 5 6 7 8 9 10; do
    alive=0; for p in $FF $IC $AU; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 1
  done
  rm -rf "$DIR"
}
trap cleanup EXIT
for t in node ffmpeg icecast2; do
  command -v $t >/dev/null || { echo "$t is needed (scripts/install-deps.sh all)"; exit 1; }
done
[ -x "$BIN" ] || { echo "no $BIN: build it first (make)"; exit 1; }
[ -d "$HERE/../node_modules/ws" ] || { echo "no node_modules/ws: run scripts/install-node-deps.sh"; exit 1; }

cpu_idle() { # % of one core used by PID over 5 s
  local a b; a=$(awk '{print $14+$15}' /proc/$1/stat); sleep 5
  b=$(awk '{print $14+$15}' /proc/$1/stat); awk "BEGIN{printf \"%.2f\", ($b-$a)/5}"
}

run_auralis() { # $1: run number
  # a station started by one WebSocket listener that leaves; the HTTP
  # listeners keep it alive (--station-linger covers the gap). All listeners
  # come from 127.0.0.1: no per-address limit on connections still in their
  # request (--max-pending-per-address, conn_guard.h)
  "$BIN" serve --port $AP --max-clients $((N + 64)) --station-linger 600 \
    --max-pending-per-address 0 --quiet > "$DIR/auralis.log" 2>&1 & AU=$!
  sleep 1
  node -e "
const WebSocket = require('$HERE/../node_modules/ws');
const ws = new WebSocket('ws://127.0.0.1:$AP/ws?station=bench&seed=7&codec=opus');
ws.on('message', (d, bin) => { if (bin) { ws.close(); process.exit(0); } });
setTimeout(() => process.exit(1), 10000);" || echo "auralis: the station did not start"
  sleep 1
  local idle; idle=$(cpu_idle $AU)
  echo "auralis run $1 idle (station rendering + Opus encoding, no listener): $idle% of one core"
  echo "$idle" > "$DIR/auralis-idle-$1"
  echo -n "auralis run $1: "
  timeout $((T + 60)) node "$HERE/http-load.cjs" http://127.0.0.1:$AP/stream/bench.opus $N $T 16400 $AU $RAMP $WARM \
    | tee "$DIR/auralis-$1.json"
  kill $AU; wait $AU 2>/dev/null; AU=
}

run_icecast() { # $1: run number; its own config (port, folder), ffmpeg as the source
  mkdir -p "$DIR/log" && chown -R icecast2:icecast "$DIR/log" 2>/dev/null
  sed -e "s|@DIR@|$DIR|g" -e "s|<port>18500</port>|<port>$IP</port>|" \
    "$HERE/icecast-bench.xml" > "$DIR/icecast.xml"
  (cd "$DIR" && exec setsid icecast2 -c icecast.xml > icecast.stdout 2>&1 < /dev/null) & IC=$!
  sleep 1.5
  (cd "$DIR" && exec setsid ffmpeg -hide_banner -loglevel warning -re -f lavfi -i "sine=frequency=220:sample_rate=48000" \
    -ac 2 -c:a libopus -b:a 128k -vbr off -frame_duration 20 -page_duration 20000 \
    -content_type audio/ogg -f ogg icecast://source:anchorpw@127.0.0.1:$IP/a.opus > ff.log 2>&1 < /dev/null) & FF=$!
  sleep 4
  local idle; idle=$(cpu_idle $IC)
  echo "icecast run $1 idle (source connected, no listener): $idle% of one core"
  echo "$idle" > "$DIR/icecast-idle-$1"
  echo -n "icecast run $1: "
  timeout $((T + 60)) node "$HERE/http-load.cjs" http://127.0.0.1:$IP/a.opus $N $T 17450 $IC $RAMP $WARM \
    | tee "$DIR/icecast-$1.json"
  kill $FF; sleep 1; kill $IC
  for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 $IC 2>/dev/null || kill -0 $FF 2>/dev/null || break; sleep 1; done
  IC=; FF=
}

for r in $(seq 1 "$RUNS"); do
  run_auralis "$r"
  run_icecast "$r"
done

node - "$DIR" "$RUNS" "$N" <<'JS'
const fs = require('fs');
const [dir, runs, n] = process.argv.slice(2);
const med = (a) => { a = a.filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  return a.length ? (a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2) : null; };
const rows = {};
for (const who of ['auralis', 'icecast']) {
  const js = [], idle = [];
  for (let r = 1; r <= +runs; r++) {
    try { js.push(JSON.parse(fs.readFileSync(`${dir}/${who}-${r}.json`, 'utf8'))); } catch { /* a failed run */ }
    try { idle.push(+fs.readFileSync(`${dir}/${who}-idle-${r}`, 'utf8')); } catch { /* none */ }
  }
  const f = (g) => med(js.map(g));
  const cpu = f((j) => j.server.cpu_pct_one_core), idl = med(idle);
  rows[who] = {
    runs: js.length, connected: f((j) => j.connected),
    server_cpu_pct_one_core: cpu, idle_cpu_pct: idl,
    cpu_pct_per_100_listeners_above_idle: cpu === null || idl === null ? null : +((cpu - idl) / n * 100).toFixed(3),
    rss_per_listener_KiB: f((j) => j.server.rss_per_listener_KB),
    // the same growth over the listeners that connected (a server that
    // refused some looks cheaper per N than it is)
    rss_per_connected_KiB: f((j) => j.connected ? +((j.server.rss_MB - j.server.rss_before_MB) * 1024 / j.connected).toFixed(2) : NaN),
    gaps_over_200ms: f((j) => j.gaps_over_200ms), max_gap_ms: f((j) => j.max_gap_ms),
    rate_p50_Bps: f((j) => j.rate_Bps.p50), frac_within_5pct: f((j) => j.frac_within_5pct),
    system_busy_pct: f((j) => j.system_busy_pct_of_2_cores),
  };
}
console.log(`summary: medians of ${runs} runs, ${n} listeners each`);
console.log(JSON.stringify(rows));
const k = Object.keys(rows.auralis);
console.log(['figure', 'auralis', 'icecast'].join('\t'));
for (const x of k) console.log([x, rows.auralis[x], rows.icecast[x]].join('\t'));
JS
