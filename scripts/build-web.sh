#!/usr/bin/env bash
# Builds the web app into dist/ (release, size-optimised `web` profile, relative asset URLs so it works
# from any sub-path) and prints the sizes of what a browser downloads.
# Usage: scripts/build-web.sh [extra trunk build args]
# Fails when the wasm is over its 600 KB gzipped budget (GWLAB_ALLOW_OVER_BUDGET=1 only warns).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/web-toolchain.sh
. scripts/web-toolchain.sh
export PATH="$PWD/node_modules/.bin:$PATH"   # esbuild and wasm-opt (npm binaryen) come from package.json

if [ ! -x node_modules/.bin/esbuild ]; then
  npm ci --no-audit --no-fund
fi
# Everything cargo needs, fetched once; the build itself never touches the network.
fetch_web_deps

with_web_toolchain trunk build --release --offline --public-url ./ "$@"

gz() { gzip -9c "$1" | wc -c; }
printf '\n%-28s %12s %12s\n' "dist/ file" "bytes" "gzip -9"
total=0
for f in dist/*.wasm dist/*.js dist/*.css dist/index.html; do
  [ -f "$f" ] || continue
  g=$(gz "$f")
  total=$((total + g))
  printf '%-28s %12s %12s\n' "$(basename "$f" | sed -E 's/-[0-9a-f]{16}//')" "$(wc -c <"$f")" "$g"
done
printf '%-28s %12s %12s\n' "total" "" "$total"
wasm=$(ls dist/*_bg.wasm)
wasm_gz=$(gz "$wasm")
limit=600000   # 600 KB, in decimal kilobytes: the stricter reading
if [ "$wasm_gz" -gt "$limit" ]; then
  echo "wasm is $wasm_gz bytes gzipped: over the $limit byte budget (see docs/benchmarks.md for what is big)" >&2
  [ "${GWLAB_ALLOW_OVER_BUDGET:-0}" = 1 ] || exit 1
fi
echo "wasm gzipped: $wasm_gz bytes (budget $limit)"
