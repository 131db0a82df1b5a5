#!/usr/bin/env bash
# The soak: the load test (load.c) against a server started here, with the
# server's own leak detector (/api/metrics: rss_bytes and
# rss_slope_bytes_per_hour) sampled every minute beside its RSS.
# Usage: bench/soak.sh AURALIS OUT [SECONDS LISTENERS STATIONS PERSONAL WARMUP]
# Writes OUT/soak.json (load figures) and OUT/soak-rss.csv (the samples).
set -euo pipefail
bin=$1 out=$2
secs=${3:-1800} listeners=${4:-1000} stations=${5:-4} personal=${6:-50}
warmup=${7:-10}
mkdir -p "$out"
log=$out/soak-server.log
"$bin" serve --port 0 --max-clients $((listeners + personal + 16)) \
  >"$log" 2>&1 &
srv=$!
sampler=
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  kill -TERM "$srv" 2>/dev/null || true
  wait "$srv" 2>/dev/null || true
}
trap cleanup EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "soak: the server did not start:"; cat "$log"; exit 1; }

python3 - "$port" "$out/soak-rss.csv" <<'PY' &
import json, sys, time, urllib.request
port, path = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
with open(path, "w") as f:
    f.write("elapsed_s,rss_mib,slope_mb_per_h,recent_mb_per_h,samples,"
            "window_s,listeners\n")
    while True:
        try:
            m = json.load(urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/metrics", timeout=10))
            f.write("%.0f,%.2f,%.3f,%.3f,%d,%.0f,%d\n" % (
                time.monotonic() - t0, m["rss_bytes"] / 2**20,
                m["rss_slope_bytes_per_hour"] / 1e6,
                m["rss_slope_recent_bytes_per_hour"] / 1e6,
                m["rss_slope_samples"],
                m["rss_slope_window_seconds"], m["listeners"]))
            f.flush()
        except Exception as e:  # a busy server: try again next minute
            print("soak: sample failed:", e, file=sys.stderr)
        time.sleep(60)
PY
sampler=$!

"$out/load" --port "$port" --pid "$srv" --stations "$listeners" \
  --station-count "$stations" --personal "$personal" --seconds "$secs" \
  --warmup "$warmup" --json "$out/soak.json"
kill "$sampler" 2>/dev/null || true
sampler=
echo
echo "server RSS and its leak detector, one row a minute ($out/soak-rss.csv):"
column -s, -t "$out/soak-rss.csv" 2>/dev/null || cat "$out/soak-rss.csv"
grep -i "warning" "$log" || echo "(no leak warning logged)"
