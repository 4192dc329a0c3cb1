#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian 12 machine.
# Each step is skipped when the right version is already present, so repeated runs cost seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

want_web=1
for arg in "$@"; do
  case "$arg" in
    --core-only) want_web=0 ;;
  esac
done

log() { printf '[setup] %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
  log "installing Rust with rustup"
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$want_web" = 1 ]; then
  # shellcheck source=scripts/web-toolchain.sh
  . scripts/web-toolchain.sh
  if ! rustup component list --installed --toolchain "$GWLAB_WEB_TOOLCHAIN" 2>/dev/null | grep -q '^rust-src'; then
    log "installing the web bundle's toolchain $GWLAB_WEB_TOOLCHAIN with rust-src"
    rustup toolchain install "$GWLAB_WEB_TOOLCHAIN" --profile minimal --component rust-src
  fi
fi

apt_pkgs=()
# A C compiler: the linker driver for Rust, and it builds mimalloc (the CLI's allocator).
command -v cc >/dev/null 2>&1 || apt_pkgs+=(gcc libc6-dev)
command -v shellcheck >/dev/null 2>&1 || apt_pkgs+=(shellcheck)
command -v jq >/dev/null 2>&1 || apt_pkgs+=(jq)
if [ "$want_web" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || apt_pkgs+=(chromium-driver)
  command -v node >/dev/null 2>&1 || apt_pkgs+=(nodejs npm)
fi
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  log "apt-get install ${apt_pkgs[*]}"
  apt-get update -qq
  apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

if [ "$want_web" = 1 ]; then
  if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
    log "cargo install trunk $TRUNK_VERSION (slow, once)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --locked trunk --version "$TRUNK_VERSION"
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (slow, once)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  if [ -f package.json ]; then
    if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
      log "npm ci"
      if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
      touch node_modules
    fi
  fi
fi
log "done"
