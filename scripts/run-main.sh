#!/usr/bin/env bash
# The main job of `make run`: start the streaming server on 127.0.0.1:8000
# (it prints http://127.0.0.1:8000/; open it in a browser). Ctrl-C stops it.
# HOST and PORT may be overridden: make run PORT=8080
set -euo pipefail
bin=${1:-build/auralis}
exec "$bin" serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
