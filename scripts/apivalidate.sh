#!/usr/bin/env bash
# Compares gwlab's offline API-server validation with the API server's own validators (the Go
# oracle in oracle/apivalidate, built on k8s.io/apiextensions-apiserver): generated violations of
# every schema constraint and CEL rule of the CRDs, the Gateway API examples and the scenarios.
# Fails when the agreement (verdict, messages and defaulted body) falls below --floor percent
# (default 100) or an example or scenario is refused. Skipped with its reason where Go, the CRDs
# or the examples are missing, except under CI=true, where that fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
floor=100
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --floor) floor="$2"; shift 2 ;;
    --report) extra+=(--report "$2"); shift 2 ;;
    *) echo "usage: $0 [--floor PCT] [--report FILE]" >&2; exit 2 ;;
  esac
done

skip() {
  if [[ "${CI:-}" == "true" ]]; then
    echo "apivalidate: FAIL: $1 (CI=true requires the comparison)"
    exit 1
  fi
  echo "apivalidate: skipped: $1"
  exit 0
}

command -v go >/dev/null 2>&1 || skip "go not found"
crds="${GWLAB_CRDS_DIR:-$root/../shared/crds}"
[[ -f "$crds/gateway-api/experimental-install-v1.6.1.yaml" && -d "$crds/envoy-gateway" ]] \
  || skip "CRDs not found under $crds (set GWLAB_CRDS_DIR)"

examples="${GWLAB_GATEWAY_API_EXAMPLES:-$(go env GOMODCACHE)/sigs.k8s.io/gateway-api@v1.6.1/examples}"
if [[ ! -d "$examples" ]]; then
  # The examples ship in the Gateway API module; fetch it into the module cache.
  (cd "$root/oracle/apivalidate" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download sigs.k8s.io/gateway-api@v1.6.1) \
    || skip "the Gateway API v1.6.1 module could not be downloaded"
fi
[[ -d "$examples" ]] || skip "Gateway API examples not found at $examples"

set +e
"$root/scripts/apivalidate-install.sh"
rc=$?
set -e
if [[ $rc -eq 3 ]]; then
  skip "go not found"
elif [[ $rc -ne 0 ]]; then
  echo "apivalidate: FAIL: the oracle did not build"
  exit 1
fi

cd "$root"
cargo run -q -p gwlab-apioracle -- \
  --oracle "$root/.tools/bin/apivalidate" \
  --crds "$crds" \
  --examples "$examples" \
  --floor "$floor" \
  "${extra[@]}"
