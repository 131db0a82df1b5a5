#!/usr/bin/env bash
# Installs the Debian packages Auralis needs to build and test, and only the
# missing ones: `apt-get update` runs only when something must be installed.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
set -euo pipefail

build_pkgs=(build-essential cmake ninja-build pkg-config
            libwebsockets-dev libsndfile1-dev libopus-dev libogg-dev
            libmp3lame-dev libjansson-dev libfluidsynth-dev fluid-soundfont-gm
            libavformat-dev libavcodec-dev libavutil-dev libshout-dev nodejs npm)
# prometheus: promtool and the prometheus binary for tests/monitor. Debian's
# package also enables and starts a system Prometheus on :9090 (systemd or
# init.d); nothing here uses that port (the tests pick ephemeral ports,
# `make monitor` defaults to 9190), so it may keep running or be disabled.
# icecast2, nginx: the Icecast relay and multi-node tests run their own
# copies on ephemeral ports, as the icecast2 user for Icecast; Debian's
# nginx package also starts a system nginx on :80, which nothing here uses.
test_pkgs=(libcmocka-dev python3 python3-mido python3-numpy python3-scipy python3-matplotlib ffmpeg sox nodejs npm chromium
           clang libclang-rt-14-dev prometheus icecast2 nginx)

want=("${build_pkgs[@]}")
case "${1:-all}" in
  build) ;;
  test|all) want+=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # node/npm may come from elsewhere (nvm, NodeSource): accept working binaries.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm)    command -v npm  >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
