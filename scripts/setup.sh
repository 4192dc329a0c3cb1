#!/usr/bin/env bash
# Installs what gwlab's build and tests need on a Debian 12 machine, and skips what is present, so a
# second run costs a second or two. Each step prints its name and how long it took.
#
#   scripts/setup.sh            everything the test suite needs
#   scripts/setup.sh --serve    only what building and serving the playground needs
#   scripts/setup.sh --core     only what the native core and CLI need
#
# Debian packages are installed with apt-get, through sudo when not run as root. The first run on a
# fresh 2-core machine takes about 5 minutes for --serve (almost all of it compiling
# wasm-bindgen-cli) and about 2 more for the test tools (Chromium is a large download).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130

mode=all
for arg in "$@"; do
  case "$arg" in
    --serve) mode=serve ;;
    --core|--core-only) mode=core ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*"; }
# Runs a named step and prints how long it took.
timed() {
  local what="$1"; shift
  local start=$SECONDS
  log "$what"
  "$@"
  log "  done in $((SECONDS - start)) s"
}

# apt-get as root: directly, through sudo, or a clear message when neither is possible.
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "setup.sh: installing Debian packages needs root; run as root, install sudo, or install them yourself: ${apt_pkgs[*]}" >&2
    return 1
  fi
}
apt_install() {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

apt_pkgs=()
need() { command -v "$1" >/dev/null 2>&1 || apt_pkgs+=("${@:2}"); }
# A C compiler: the linker driver for Rust, and it builds mimalloc (the CLI's allocator).
need cc gcc libc6-dev
need curl curl
if [ "$mode" != core ]; then
  need node nodejs
  need npm npm
  need python3 python3          # serves dist/ (python3 -m http.server)
fi
if [ "$mode" = all ]; then
  need shellcheck shellcheck   # the exported scripts are checked with it
  need jq jq
  need chromium chromium       # browser tests (Debian's Chromium; no tool downloads a browser)
  need chromedriver chromium-driver
  need kubectl kubernetes-client   # the export's injection test runs the generated scripts with a real kubectl
fi
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  timed "apt-get install ${apt_pkgs[*]}" apt_install "${apt_pkgs[@]}"
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  install_rust() {
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  }
  timed "installing Rust with rustup (about 1 minute)" install_rust
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

[ "$mode" = core ] && { log "done"; exit 0; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  timed "adding the wasm32-unknown-unknown target" rustup target add wasm32-unknown-unknown
fi
# shellcheck source=scripts/web-toolchain.sh
. scripts/web-toolchain.sh
if ! rustup component list --installed --toolchain "$GWLAB_WEB_TOOLCHAIN" 2>/dev/null | grep -q '^rust-src'; then
  timed "installing the web bundle's toolchain $GWLAB_WEB_TOOLCHAIN with rust-src (about 30 s)" \
    rustup toolchain install "$GWLAB_WEB_TOOLCHAIN" --profile minimal --component rust-src
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  # Only the `wasm-bindgen` binary, without its default TLS features (they serve the test runner's
  # downloads, which gwlab never uses): about half the compile of a full install. Not --locked: its
  # lock file pins a crate version the registry no longer serves.
  install_wasm_bindgen() {
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --no-default-features --bin wasm-bindgen
  }
  timed "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (once; about 4 minutes on 2 cores)" install_wasm_bindgen
fi

if [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules ]; then
  timed "npm ci (the editor bundle's packages, wasm-opt, playwright-core; about 30 s)" \
    npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
log "done"
