#!/usr/bin/env bash
# The differential check: gwlab against Envoy Gateway's translator (egctl v1.9.0) on generated
# configurations. Arguments go to gwlab-differential (--seeds N, --seed S, --jobs J, --record K,
# --floor-status PCT, --floor-probes PCT); it prints the agreement table per kind.
#
# Without Go the check cannot install its oracle: it is reported as skipped (exit 0), or fails
# when GWLAB_DIFFERENTIAL_REQUIRED=1 (CI).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ -z "${GWLAB_EGCTL:-}" ]]; then
  "$root/scripts/oracle-install.sh"
  rc=$?
  if [[ $rc -eq 3 ]]; then
    if [[ "${GWLAB_DIFFERENTIAL_REQUIRED:-0}" == "1" ]]; then
      echo "differential: FAIL: the oracle is required but go was not found"
      exit 1
    fi
    echo "differential: skipped: go not found"
    exit 0
  elif [[ $rc -ne 0 ]]; then
    echo "differential: FAIL: the oracle could not be installed (exit $rc)"
    exit 1
  fi
fi

exec cargo run -q -p gwlab-differential -- "$@"
