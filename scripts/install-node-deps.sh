#!/usr/bin/env bash
# Installs the npm packages pinned in package-lock.json (hls.js, embedded in
# the binary by the build; ws and playwright-core, test clients), only when
# node_modules is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f package-lock.json ] || exit 0
stamp=node_modules/.lock-stamp
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "install-node-deps: npm ci" >&2
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
