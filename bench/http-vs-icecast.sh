#!/bin/bash
# usage: bench/http-vs-icecast.sh N T [RAMP] [WARMUP] [AURALIS_BIN]
# The same Node HTTP client (bench/http-load.cjs, the shared Icecast anchor's
# load.js) against Auralis's /stream/NAME.opus and against a local Icecast
# 2.4.4 (Debian icecast2) mount fed 128 kbit/s Ogg Opus by ffmpeg, one after
# the other in the same run: N listeners for T seconds each. Prints one JSON
# line per server, plus each server's CPU with no listeners (Auralis renders
# and encodes the station itself; Icecast's source is a separate ffmpeg), so
# per-listener cost = (cpu - idle cpu) / N. Ports 18610 (Auralis) and 18620
# (Icecast, its own config and folder; run as icecast2 via <changeowner>).
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
N=${1:-1000}; T=${2:-30}; RAMP=${3:-10}; WARM=${4:-6}
BIN=${5:-$HERE/../build/auralis}
DIR=$(mktemp -d -t auralis-vs-icecast.XXXXXX)
chmod 755 "$DIR"
AP=18610; IP=18620

cpu_idle() { # % of one core used by PID over 5 s
  local a b; a=$(awk '{print $14+$15}' /proc/$1/stat); sleep 5
  b=$(awk '{print $14+$15}' /proc/$1/stat); awk "BEGIN{printf \"%.2f\", ($b-$a)/5}"
}

# --- Auralis: a station started by one WebSocket listener that leaves; the
# HTTP listeners keep it alive (--station-linger covers the gap)
# all listeners come from 127.0.0.1: no per-address limit on connections
# still in their request (--max-pending-per-address, conn_guard.h)
"$BIN" serve --port $AP --max-clients $((N + 64)) --station-linger 600 \
  --max-pending-per-address 0 --quiet \
  > "$DIR/auralis.log" 2>&1 & AU=$!
sleep 1
node -e "
const WebSocket = require('$HERE/../node_modules/ws');
const ws = new WebSocket('ws://127.0.0.1:$AP/ws?station=bench&seed=7&codec=opus');
ws.on('message', (d, bin) => { if (bin) { ws.close(); process.exit(0); } });
setTimeout(() => process.exit(1), 10000);"
sleep 1
echo "auralis idle (station rendering + Opus encoding, no listener): $(cpu_idle $AU)% of one core"
echo -n "auralis: "
timeout $((T + 60)) node "$HERE/http-load.cjs" http://127.0.0.1:$AP/stream/bench.opus $N $T 16400 $AU $RAMP $WARM
kill $AU; wait $AU 2>/dev/null

# --- Icecast: its own config (port, folder), ffmpeg as the source
mkdir -p "$DIR/log" && chown -R icecast2:icecast "$DIR/log" 2>/dev/null
sed -e "s|@DIR@|$DIR|g" -e "s|<port>18500</port>|<port>$IP</port>|" \
  "$HERE/icecast-bench.xml" > "$DIR/icecast.xml"
cd "$DIR"
setsid icecast2 -c icecast.xml > icecast.stdout 2>&1 < /dev/null & IC=$!
sleep 1.5
setsid ffmpeg -hide_banner -loglevel warning -re -f lavfi -i "sine=frequency=220:sample_rate=48000" \
  -ac 2 -c:a libopus -b:a 128k -vbr off -frame_duration 20 -page_duration 20000 \
  -content_type audio/ogg -f ogg icecast://source:anchorpw@127.0.0.1:$IP/a.opus > ff.log 2>&1 < /dev/null & FF=$!
sleep 4
echo "icecast idle (source connected, no listener): $(cpu_idle $IC)% of one core"
echo -n "icecast: "
timeout $((T + 60)) node "$HERE/http-load.cjs" http://127.0.0.1:$IP/a.opus $N $T 17450 $IC $RAMP $WARM
kill $FF; sleep 1; kill $IC
for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 $IC 2>/dev/null || kill -0 $FF 2>/dev/null || break; sleep 1; done
rm -rf "$DIR"
