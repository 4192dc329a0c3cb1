#!/usr/bin/env bash
# Raises the corpus floors in tests/corpus/floors.json to the current pass counts (never lowers them).
set -euo pipefail
cd "$(dirname "$0")/.."
GWLAB_UPDATE_FLOORS=1 cargo test -q -p gwlab-corpus --test floors -- --ignored --nocapture
git --no-pager diff --stat -- tests/corpus/floors.json || true
