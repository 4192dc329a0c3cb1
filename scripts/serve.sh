#!/usr/bin/env bash
# Installs what is missing, builds the playground and serves it on http://127.0.0.1:8080/
# (scenario 01 is loaded on first visit). Ctrl+C stops it.
# PORT=9000 scripts/serve.sh to use another port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
port="${PORT:-8080}"
cargo fetch --locked --offline --target wasm32-unknown-unknown >/dev/null 2>&1 ||
  cargo fetch --locked --target wasm32-unknown-unknown
echo "gwlab: http://127.0.0.1:$port/"
exec trunk serve --release --offline --address 127.0.0.1 --port "$port" --public-url /
