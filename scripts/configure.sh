#!/usr/bin/env bash
# Configures a CMake build directory once: Ninja when it is installed, and
# whatever generator the directory already uses otherwise (a directory first
# configured before ninja was installed keeps working).
# Usage: scripts/configure.sh BUILD_DIR [cmake -D options...]
set -euo pipefail
dir=$1
shift
if [ -f "$dir/CMakeCache.txt" ]; then
  exec cmake -S . -B "$dir" "$@" >/dev/null
fi
gen=()
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
exec cmake -S . -B "$dir" "${gen[@]}" "$@" >/dev/null
