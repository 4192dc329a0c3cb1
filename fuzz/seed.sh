#!/usr/bin/env bash
# Seeds the fuzz corpora from the scenarios at run time (nothing here is committed):
#   corpus/analyze/  every scenarios/*/manifests.yaml
#   corpus/route/    every `request:` line of scenarios/*/expect.yaml
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/analyze corpus/route
for m in ../scenarios/*/manifests.yaml; do
  cp "$m" "corpus/analyze/$(basename "$(dirname "$m")").yaml"
done
n=0
for e in ../scenarios/*/expect.yaml; do
  # `- request: "GET http://…"` or `request: GET …`: the value, unquoted.
  sed -n 's/^[ -]*request:[ ]*//p' "$e" | sed 's/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/' | while IFS= read -r line; do
    printf '%s' "$line" > "corpus/route/$(basename "$(dirname "$e")")-$n.txt"
    n=$((n + 1))
  done
done
echo "seeded $(ls corpus/analyze | wc -l) manifests and $(ls corpus/route | wc -l) request lines"
