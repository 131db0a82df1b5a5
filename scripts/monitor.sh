#!/usr/bin/env bash
# Starts a local Prometheus that scrapes a running Auralis server and loads
# docs/prometheus/alerts.yml (what `make monitor` runs; docs/operations.md).
# Usage: scripts/monitor.sh [--target HOST:PORT] [--port N] [--interval D]
#                           [--dir DIR]
#   --target    the auralis server (default 127.0.0.1:8000)
#   --port      Prometheus's own port on 127.0.0.1 (default 9190; 0 picks a
#               free one, printed by Prometheus as "Listening on")
#   --interval  scrape and rule evaluation interval (default 5s)
#   --dir       config and TSDB folder (default build/monitor)
# Prometheus runs in the foreground (this script execs it): Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=127.0.0.1:8000
port=9190
interval=5s
dir=$root/build/monitor
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "monitor: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$target" in
  *:[0-9]*) ;;
  *) echo "monitor: --target must be HOST:PORT (got '$target')" >&2; exit 2 ;;
esac
if ! command -v prometheus >/dev/null 2>&1; then
  echo "monitor: prometheus is not installed (scripts/install-deps.sh test)" >&2
  exit 1
fi
mkdir -p "$dir/data"
cp "$root/docs/prometheus/alerts.yml" "$dir/alerts.yml"
cat > "$dir/prometheus.yml" <<CONF
# written by scripts/monitor.sh
global:
  scrape_interval: $interval
  scrape_timeout: $interval
  evaluation_interval: $interval
rule_files:
  - alerts.yml
scrape_configs:
  - job_name: auralis
    metrics_path: /metrics
    static_configs:
      - targets: ['$target']
CONF
if command -v curl >/dev/null 2>&1 &&
   ! curl -fsS -o /dev/null --max-time 2 "http://$target/metrics"; then
  echo "monitor: warning: nothing answers on http://$target/metrics yet" \
       "(start the server: make run, or build/auralis serve)" >&2
fi
if [ "$port" != 0 ]; then
  echo "monitor: Prometheus on http://127.0.0.1:$port/ scraping" \
       "http://$target/metrics every $interval (Ctrl-C stops it);" \
       "dashboards: docs/grafana/*.json" >&2
fi
exec prometheus --config.file="$dir/prometheus.yml" \
  --storage.tsdb.path="$dir/data" --storage.tsdb.retention.time=7d \
  --web.listen-address="127.0.0.1:$port" --web.enable-lifecycle \
  --log.level=info
