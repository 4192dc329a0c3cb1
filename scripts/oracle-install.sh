#!/usr/bin/env bash
# Installs the differential-testing oracle: Envoy Gateway's egctl, pinned, into <repo>/.tools/bin.
# Skipped when that binary is already the pinned version. Exit codes: 0 installed or present,
# 3 Go is missing (the differential step is then skipped), other codes: the install failed.
set -euo pipefail

VERSION="v1.9.0"
MODULE="github.com/envoyproxy/gateway"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$root/.tools/bin"
egctl="$bin_dir/egctl"

if ! command -v go >/dev/null 2>&1; then
  echo "oracle-install: skipped: go not found"
  exit 3
fi

# `egctl version` prints nothing useful offline; the build info names the module version.
if [[ -x "$egctl" ]] && go version -m "$egctl" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+$MODULE[[:space:]]+$VERSION([[:space:]]|$)"; then
  echo "oracle-install: egctl $VERSION already present at $egctl"
  exit 0
fi

mkdir -p "$bin_dir"
echo "oracle-install: installing egctl $VERSION into $bin_dir (go install; several minutes on a cold module cache)"
GOBIN="$bin_dir" go install "$MODULE/cmd/egctl@$VERSION"
echo "oracle-install: egctl $VERSION installed at $egctl"
