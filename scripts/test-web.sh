#!/usr/bin/env bash
# Browser tests: runs the web crate's unit tests and builds the app (unless SKIP_BUILD=1), serves dist/ under a sub-path on 127.0.0.1 and
# drives Debian's Chromium with playwright-core. Prints `N passed, M failed`; exits 1 on any failure.
# Screenshots go to tests/browser/out/screenshots/ (scripts/update-screenshots.sh updates the committed
# ones), timings are printed (never asserted).
set -euo pipefail
cd "$(dirname "$0")/.."
# Installs whatever is missing (wasm-bindgen, Chromium, npm packages); a second run costs seconds.
scripts/setup.sh
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  # The web crate's own tests (native): among them, the worker's results read back into the same view.
  cargo test -q -p gwlab-web
  scripts/build-web.sh
fi

root=$(mktemp -d)
ln -s "$PWD/dist" "$root/gwlab"         # served at /gwlab/: proves the build works from a sub-path
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root" >"$root/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
for _ in $(seq 50); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "http://127.0.0.1:$port/gwlab/" 2>/dev/null; then break; fi
  sleep 0.1
done

GWLAB_URL="http://127.0.0.1:$port/gwlab/" node tests/browser/run.mjs "$@"
