#!/usr/bin/env bash
# Builds the API-server validation oracle (oracle/apivalidate, Kubernetes' own apiextensions-apiserver
# code) into <repo>/.tools/bin/apivalidate. Skipped when the binary was built from the current
# sources (a hash of them is kept beside it). Exit codes: 0 built or present, 3 Go is missing (the
# comparison is then skipped), other codes: the build failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/oracle/apivalidate"
bin_dir="$root/.tools/bin"
bin="$bin_dir/apivalidate"
stamp="$bin_dir/apivalidate.sources"

if ! command -v go >/dev/null 2>&1; then
  echo "apivalidate-install: skipped: go not found"
  exit 3
fi

sources_hash() {
  (cd "$src" && cat go.mod go.sum ./*.go | sha256sum | cut -d' ' -f1)
}

want="$(sources_hash)"
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "apivalidate-install: present and up to date at $bin"
  exit 0
fi

mkdir -p "$bin_dir"
echo "apivalidate-install: building $bin (a minute or two on a warm module cache)"
# The machine's own Go builds it (no toolchain download); go.sum pins every module.
(cd "$src" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$bin" .)
echo "$want" >"$stamp"
echo "apivalidate-install: built $bin"
