#!/usr/bin/env bash
# What a newcomer does first, on a fresh clone of the committed tree (nothing created by hand):
# scripts/serve.sh up to "serving" (then stopped) and a page that loads its wasm, then `gwlab check`
# and `gwlab route` on every scenario folder in the directory form the docs show.
# Compiled artefacts are shared with this checkout's target folder (only to save the compile time;
# every folder the scripts need must still come from the clone itself).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
server=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  [ -n "$server" ] && kill -- "-$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
git clone -q --no-hardlinks -- "$repo" "$work/gwlab"
cd "$work/gwlab"
CARGO_TARGET_DIR_OUTER="${CARGO_TARGET_DIR:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$SECONDS
set -m
PORT=$port ./scripts/serve.sh >"$work/serve.log" 2>&1 &
server=$!
set +m
served=0
for _ in $(seq 1800); do
  if grep -q 'serving http://' "$work/serve.log" &&
    curl -fsS -o "$work/index.html" "http://127.0.0.1:$port/" 2>/dev/null; then
    served=1; break
  fi
  kill -0 "$server" 2>/dev/null || break
  sleep 1
done
if [ "$served" != 1 ]; then
  echo "fresh clone: serve.sh did not serve after $((SECONDS - start)) s; its output:" >&2
  tail -n 40 "$work/serve.log" >&2
  exit 1
fi
wasm=$(grep -o 'gwlab-web_bg-[0-9a-f]*\.wasm' "$work/index.html" | head -n 1)
glue=$(grep -o 'gwlab-web-[0-9a-f]*\.js' "$work/index.html" | head -n 1)
admit_wasm=$(grep -o 'gwlab-web-admit_bg-[0-9a-f]*\.wasm' "$work/index.html" | head -n 1)
admit_glue=$(grep -o 'gwlab-web-admit-[0-9a-f]*\.js' "$work/index.html" | head -n 1)
for f in "$wasm" "$glue" "$admit_wasm" "$admit_glue" editor.js worker.js diagnostics.md; do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/$f" || { echo "fresh clone: /$f is not served" >&2; exit 1; }
done
echo "fresh clone: serve.sh served the playground after $((SECONDS - start)) s"
kill -- "-$server" 2>/dev/null || true
server=""

# The CLI of this checkout is the same commit as the clone: it is built here once, not again.
(cd "$repo" && cargo build -q -p gwlab-cli)
gwlab="$repo/target/debug/gwlab"
[ -n "${CARGO_TARGET_DIR_OUTER:-}" ] && gwlab="$CARGO_TARGET_DIR_OUTER/debug/gwlab"
bad=0
for dir in scenarios/*/; do
  # 0: no error diagnostics, 1: the manifests hold errors (some scenarios teach one); 2 and above:
  # the command itself failed (an unreadable input, a gwlab file read as a manifest, a crash).
  rc=0; "$gwlab" check "$dir" >"$work/out" 2>&1 || rc=$?
  if [ "$rc" -ge 2 ]; then echo "fresh clone: gwlab check $dir exited $rc:" >&2; tail -n 5 "$work/out" >&2; bad=1; fi
  # The folder's expectations file is gwlab's own format, never a manifest with problems.
  if grep -q 'expect\.yaml:' "$work/out"; then
    echo "fresh clone: gwlab check $dir reports on expect.yaml:" >&2; grep -m 3 'expect\.yaml:' "$work/out" >&2; bad=1
  fi
  rc=0; "$gwlab" route "$dir" >"$work/out" 2>&1 || rc=$?
  if [ "$rc" -ge 2 ]; then echo "fresh clone: gwlab route $dir exited $rc:" >&2; tail -n 5 "$work/out" >&2; bad=1; fi
done
[ "$bad" = 0 ] && echo "fresh clone: gwlab check and gwlab route answer on every scenario folder"
exit "$bad"
