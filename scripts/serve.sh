#!/usr/bin/env bash
# Installs what serving needs (scripts/setup.sh --serve), builds the playground into dist/
# (scripts/build-web.sh) and serves it on http://127.0.0.1:8080/ with scenario 01 loaded on a first
# visit. Ctrl+C stops it. Run it again after a change: only what changed is rebuilt.
#
#   scripts/serve.sh [--dev]     --dev: skip wasm-opt (a quicker build of a bigger wasm)
#   PORT=9000 scripts/serve.sh   another port
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
scripts/setup.sh --serve
if ! command -v cargo >/dev/null 2>&1; then export PATH="$HOME/.cargo/bin:$PATH"; fi
printf '[serve] building the playground (the first build takes about 3 minutes, later ones seconds)\n'
build_start=$SECONDS
scripts/build-web.sh "$@"
printf '[serve] built in %s s\n' "$((SECONDS - build_start))"
port="${PORT:-8080}"
printf '[serve] ready after %s s: serving http://127.0.0.1:%s/ (Ctrl+C stops)\n' "$((SECONDS - start))" "$port"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
