#!/usr/bin/env bash
# The project test command. Every step prints `ok`, `FAIL` or `skipped: <reason>`, and the run ends
# with `steps: N passed, M failed, K skipped`. It exits non-zero when a step fails.
#
#   scripts/test.sh [--no-setup]
#
# Steps that need data or tools the repository does not hold (the two corpora, Go for the oracles)
# are skipped with their reason on a user's machine; with CI=true a skip is a failure, so CI never
# passes without them. With CI=true the run also checks a fresh clone (scripts/fresh-clone-check.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

setup=1
for arg in "$@"; do
  case "$arg" in
    --no-setup) setup=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
in_ci=0
[ "${CI:-}" = true ] && in_ci=1
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then export PATH="$HOME/.cargo/bin:$PATH"; fi

passed=0 failed=0 skipped=0
summary=()
step() {
  local name="$1"; shift
  printf '\n==> %s\n' "$name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); summary+=("  ok       $name ($((SECONDS - start)) s)")
  else
    failed=$((failed + 1)); summary+=("  FAIL     $name ($((SECONDS - start)) s)")
  fi
}
# A step that cannot run here: a skip on a user's machine, a failure in CI.
skip() {
  local name="$1" why="$2"
  printf '\n==> %s\nskipped: %s\n' "$name" "$why"
  if [ "$in_ci" = 1 ]; then
    failed=$((failed + 1)); summary+=("  FAIL     $name (CI=true and $why)")
  else
    skipped=$((skipped + 1)); summary+=("  skipped  $name: $why")
  fi
}

# Where the corpora and the CRDs are: the same defaults as the code (docs/corpora.md), made
# absolute, because each test runs in its own crate's folder.
absolute() { if [ -d "$1" ]; then (cd -- "$1" && pwd); else printf '%s\n' "$1"; fi; }
conformance_dir=$(absolute "${GWLAB_CONFORMANCE_DIR:-../shared/conformance}")
goldens_dir=$(absolute "${GWLAB_GOLDENS_DIR:-${GWLAB_EG_GOLDENS:-../shared/eg-goldens}}")
crds_dir=$(absolute "${GWLAB_CRDS_DIR:-../shared/crds}")

if [ "$setup" = 1 ]; then
  step "setup (scripts/setup.sh)" scripts/setup.sh
fi
step "format (cargo fmt --check)" cargo fmt --all --check
step "lints (cargo clippy, warnings are errors)" cargo clippy -q --all-targets -- -D warnings
step "cargo test (default members)" cargo test --no-fail-fast
step "gwlab core builds for wasm32-unknown-unknown" cargo build -q -p gwlab --target wasm32-unknown-unknown
step "build the gwlab CLI" cargo build -q -p gwlab-cli
step "scenario expectations (gwlab test)" target/debug/gwlab test --quiet scenarios/*/expect.yaml

# The corpus gates are `#[ignore]`d tests (a plain `cargo test` reports them as ignored); here they
# run when their data is found, and print the per-category figures.
if [ -d "$conformance_dir" ] && [ -f "$goldens_dir/_fixtures.json" ]; then
  export GWLAB_CONFORMANCE_DIR="$conformance_dir" GWLAB_GOLDENS_DIR="$goldens_dir"
  step "corpus floors: conformance and goldens (tests/corpus/floors.json)" \
    cargo test -q -p gwlab-corpus --test floors -- --ignored --nocapture
  step "corpus floor: Envoy Gateway policy status (goldens)" \
    cargo test -q -p gwlab --test eg_goldens -- --ignored --nocapture policy_status
  step "documented corpus commands (docs/cli.md)" \
    cargo test -q -p gwlab-cli --test doc_commands -- --ignored
else
  why="corpus not found (conformance: $conformance_dir, goldens: $goldens_dir); set GWLAB_CONFORMANCE_DIR and GWLAB_GOLDENS_DIR (docs/corpora.md)"
  skip "corpus floors: conformance and goldens" "$why"
  skip "corpus floor: Envoy Gateway policy status" "$why"
  skip "documented corpus commands" "$why"
fi

# The API-server validation tables are generated from the official CRDs, which the repository
# does not hold either.
if [ -d "$crds_dir" ]; then
  step "CRD validation tables are up to date with the CRDs" \
    env GWLAB_CRDS_DIR="$crds_dir" cargo test -q -p gwlab-crdgen --test up_to_date -- --ignored
else
  skip "CRD validation tables are up to date with the CRDs" "CRDs not found at $crds_dir; set GWLAB_CRDS_DIR"
fi

# The translator oracle (egctl v1.9.0, installed by scripts/oracle-install.sh) on generated
# configurations; floors just below the agreement measured on these seeds (docs/differential.md).
if command -v go >/dev/null 2>&1; then
  step "differential check against egctl v1.9.0 (seeds 1..300)" \
    env GWLAB_DIFFERENTIAL_REQUIRED=1 scripts/differential.sh --seeds 300 --floor-status 99.9 --floor-probes 99.9
else
  skip "differential check against egctl v1.9.0" "go not found (the oracle is installed with go install; docs/differential.md)"
fi

# The API server's own validators (oracle/apivalidate, built on k8s.io/apiextensions-apiserver)
# against gwlab's offline validation: generated violations of every schema constraint and CEL
# rule, the Gateway API examples, the scenarios (docs/api-validation.md).
if ! command -v go >/dev/null 2>&1; then
  skip "API-server validation against k8s.io/apiextensions-apiserver" "go not found (the oracle is built with go; docs/api-validation.md)"
elif [ ! -d "$crds_dir" ]; then
  skip "API-server validation against k8s.io/apiextensions-apiserver" "CRDs not found at $crds_dir; set GWLAB_CRDS_DIR"
else
  step "API-server validation against k8s.io/apiextensions-apiserver (every case agrees)" \
    env GWLAB_CRDS_DIR="$crds_dir" scripts/apivalidate.sh --floor 100
fi

if [ -f scripts/test-web.sh ]; then
  # build-web.sh fails the step when the wasm is over its 600 KB gzipped budget.
  step "web tests (scripts/test-web.sh)" bash scripts/test-web.sh
fi
if [ "$in_ci" = 1 ]; then
  step "fresh clone: README commands and every scenario folder (scripts/fresh-clone-check.sh)" \
    bash scripts/fresh-clone-check.sh
fi

printf '\n==> summary\n'
printf '%s\n' "${summary[@]}"
echo "steps: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
