#!/usr/bin/env bash
# Rewrites the committed screenshots in docs/screenshots/ from a fresh build (the browser tests
# otherwise write theirs to the ignored tests/browser/out/screenshots/).
set -euo pipefail
cd "$(dirname "$0")/.."
GWLAB_SHOTS_DIR=docs/screenshots exec bash scripts/test-web.sh screenshots
