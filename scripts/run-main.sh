#!/usr/bin/env bash
# The main job of `make run`. Until the server exists: compose a 10-minute
# piece to out/ and print its path.
set -euo pipefail
bin=${1:-build/auralis}
mkdir -p out
"$bin" compose --minutes 10 -o out/piece.mid
echo "$(pwd)/out/piece.mid"
