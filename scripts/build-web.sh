#!/usr/bin/env bash
# Builds the web app into dist/ and prints the sizes of what a browser downloads.
#
#   scripts/build-web.sh            release build (size-optimised `web` profile, wasm-opt -Oz)
#   scripts/build-web.sh --dev      skips wasm-opt (quicker; the wasm is bigger, the budget is not checked)
#
# The steps are the ones a bundler would run, written out (see docs/web-build.md for why there is no
# trunk): the editor bundle (esbuild), the app (cargo, wasm32, pinned nightly), wasm-bindgen's glue,
# wasm-opt, then the static files, with content hashes in the names of the app's own files so a
# browser never mixes an old glue with a new module. Every asset URL is relative, so dist/ works at
# `/` and under any sub-path (GitHub Pages).
# Fails when the wasm is over its 600 KB gzipped budget (GWLAB_ALLOW_OVER_BUDGET=1 only warns).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/web-toolchain.sh
. scripts/web-toolchain.sh
export PATH="$PWD/node_modules/.bin:$PATH"   # esbuild and wasm-opt (npm binaryen) come from package.json

release=1
for arg in "$@"; do
  case "$arg" in
    --dev) release=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build-web.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

if [ ! -x node_modules/.bin/esbuild ]; then
  npm ci --no-audit --no-fund
fi
# Everything cargo needs, fetched once; the build itself never touches the network.
fetch_web_deps

target_dir="${CARGO_TARGET_DIR:-target}"
stage="$target_dir/web-stage"
rm -rf dist
mkdir -p "$stage" dist web/build

npm run -s build:editor
# Two modules, built by two cargo runs so their features stay apart: the app (without the API
# server's validation, for its size budget) and the validation alone (crates/gwlab-web-admit), which
# the page loads after its first result.
# wasm_module PACKAGE: builds it, then runs wasm-bindgen and (release) wasm-opt into $stage/PACKAGE*.
wasm_module() {
  local pkg="$1" raw stamp
  with_web_toolchain cargo build --locked -q -p "$pkg" --bin "$pkg" \
    --target wasm32-unknown-unknown --profile web
  raw="$target_dir/wasm32-unknown-unknown/web/$pkg.wasm"
  # wasm-bindgen and wasm-opt take most of a rebuild: they run again only when the module changed.
  stamp="$(sha256sum -- "$raw" | cut -c1-64) release=$release"
  if [ "$(cat "$stage/$pkg.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$stage/${pkg}_bg.wasm" ]; then
    rm -f "$stage/$pkg.stamp"
    wasm-bindgen --target web --no-typescript --out-dir "$stage" --out-name "$pkg" "$raw"
    if [ "$release" = 1 ]; then
      # -Oz, and the features rustc enables for the target.
      wasm-opt -Oz --low-memory-unused \
        --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
        --enable-reference-types --enable-multivalue \
        "$stage/${pkg}_bg.wasm" -o "$stage/${pkg}_bg.opt.wasm"
      mv "$stage/${pkg}_bg.opt.wasm" "$stage/${pkg}_bg.wasm"
    fi
    printf '%s\n' "$stamp" >"$stage/$pkg.stamp"
  fi
}
wasm_module gwlab-web
wasm_module gwlab-web-admit

# Content-hashed copy: dist/NAME-HASH.EXT (16 hex digits of the SHA-256), printed on stdout.
hashed() {
  local src="$1" base="$2" ext="$3" h
  h=$(sha256sum -- "$src" | cut -c1-16)
  cp -- "$src" "dist/$base-$h.$ext"
  printf '%s' "$base-$h.$ext"
}
wasm=$(hashed "$stage/gwlab-web_bg.wasm" gwlab-web_bg wasm)
# The glue names its wasm file only as a default that the loader below overrides.
glue=$(hashed "$stage/gwlab-web.js" gwlab-web js)
admit_wasm=$(hashed "$stage/gwlab-web-admit_bg.wasm" gwlab-web-admit_bg wasm)
admit_glue=$(hashed "$stage/gwlab-web-admit.js" gwlab-web-admit js)
css=$(hashed web/style.css style css)
icon=$(hashed web/favicon.svg favicon svg)
for f in web/build/editor.js web/sw.js web/worker.js docs/diagnostics.md web/embed-example.html; do
  cp -- "$f" dist/
done

# index.html with the assets in place of its `<!-- assets -->` line. The app's worker finds the glue
# by the modulepreload link (crates/gwlab-web/src/remote.rs).
assets=$(cat <<EOF
  <link rel="stylesheet" href="./$css" />
  <link rel="icon" href="./$icon" type="image/svg+xml" />
  <link rel="modulepreload" href="./$glue" crossorigin="anonymous" />
  <link rel="preload" href="./$wasm" as="fetch" type="application/wasm" crossorigin="anonymous" />
  <script type="module">
    import init from "./$glue";
    // The API server's validation, a module of its own: the app asks for it after its first result
    // (crates/gwlab-web/src/admit.rs) and the worker loads it from the same URLs.
    const admit = {
      glue: new URL("./$admit_glue", document.baseURI).href,
      module: new URL("./$admit_wasm", document.baseURI).href,
    };
    globalThis.gwlabAdmitAssets = admit;
    globalThis.gwlabLoadAdmit = () =>
      import(admit.glue)
        .then(async (m) => {
          await m.default({ module_or_path: admit.module });
          globalThis.gwlabAdmit = m.gwlab_admit;
        })
        .catch((e) => { globalThis.gwlabAdmitFailed = String(e); })
        .finally(() => window.dispatchEvent(new Event("gwlab-admit")));
    await init({ module_or_path: "./$wasm" });
  </script>
EOF
)
grep -q '^ *<!-- assets -->$' index.html || { echo "index.html has no '<!-- assets -->' line" >&2; exit 1; }
while IFS= read -r line; do
  if [[ "$line" =~ ^\ *\<!--\ assets\ --\>$ ]]; then printf '%s\n' "$assets"; else printf '%s\n' "$line"; fi
done <index.html >dist/index.html

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
[ "$release" = 1 ] || exit 0
wasm_gz=$(gz "dist/$wasm")
limit=600000   # 600 KB, in decimal kilobytes: the stricter reading
if [ "$wasm_gz" -gt "$limit" ]; then
  echo "wasm is $wasm_gz bytes gzipped: over the $limit byte budget (see docs/benchmarks.md for what is big)" >&2
  [ "${GWLAB_ALLOW_OVER_BUDGET:-0}" = 1 ] || exit 1
fi
echo "wasm gzipped: $wasm_gz bytes (budget $limit)"
echo "validation module (loaded after the first result) gzipped: $(gz "dist/$admit_wasm") bytes"
