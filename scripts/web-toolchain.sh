# shellcheck shell=bash
# Sourced by the scripts that build the web bundle. The bundle is built with a pinned nightly
# toolchain because three unstable options make the wasm ≈ 56 KB smaller gzipped (≈ 9 %):
#   -Zbuild-std with `optimize_for_size`  the standard library rebuilt for size, with our profile;
#   -Cpanic=immediate-abort              a panic traps at once: no panic message formatting
#                                        machinery (gwlab does not panic on any input; a panic
#                                        would trap either way);
#   -Zlocation-detail=none               no file/line/column of panics in the data section.
# The core, the CLI and every native test build with stable Rust; only the web build (scripts/build-web.sh) runs under this.
GWLAB_WEB_TOOLCHAIN=nightly-2026-05-20

# Runs "$@" with the web toolchain and its flags (the flags apply to wasm32 artifacts only, not to
# build scripts or proc macros).
with_web_toolchain() {
  RUSTUP_TOOLCHAIN="$GWLAB_WEB_TOOLCHAIN" \
  CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
  CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    "$@"
}

# Downloads, once, every crate the bundle needs (ours and the standard library's own, which
# -Zbuild-std compiles from source), so the build itself runs offline.
fetch_web_deps() {
  cargo fetch --locked --offline --target wasm32-unknown-unknown >/dev/null 2>&1 ||
    cargo fetch --locked --target wasm32-unknown-unknown
  local std_manifest
  std_manifest="$(rustc +"$GWLAB_WEB_TOOLCHAIN" --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
  with_web_toolchain cargo fetch --locked --offline --target wasm32-unknown-unknown --manifest-path "$std_manifest" >/dev/null 2>&1 ||
    with_web_toolchain cargo fetch --locked --target wasm32-unknown-unknown --manifest-path "$std_manifest"
}
