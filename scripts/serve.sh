#!/usr/bin/env bash
# Installs what is missing, builds the playground and serves it on http://127.0.0.1:8080/
# (scenario 01 is loaded on first visit). Ctrl+C stops it.
# PORT=9000 scripts/serve.sh to use another port.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/web-toolchain.sh
. scripts/web-toolchain.sh
scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
port="${PORT:-8080}"
fetch_web_deps
echo "gwlab: http://127.0.0.1:$port/"
with_web_toolchain trunk serve --release --offline --address 127.0.0.1 --port "$port" --public-url /
