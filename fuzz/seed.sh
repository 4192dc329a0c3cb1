#!/usr/bin/env bash
# Seeds the fuzz corpora from the scenarios at run time (nothing here is committed):
#   corpus/analyze/  every scenarios/*/manifests.yaml
#   corpus/route/    every `request:` line of scenarios/*/expect.yaml
#   and one input of about 1 MB in each
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
# One input near the 1 MB limit each, so large inputs are explored from the start: the scenarios
# again and again with renamed objects, and a request line with a long path and header.
for i in $(seq 60); do
  for m in ../scenarios/*/manifests.yaml; do
    sed "s/name: \([a-z0-9-]*\)$/name: \1-$i/" "$m"
    echo "---"
  done
done | head -c 1000000 > corpus/analyze/large-1mb.yaml
python3 -c "print('GET http://a.example.com/' + 'a/' * 400000 + ' H: ' + 'x' * 100000)" > corpus/route/large-1mb.txt
echo "seeded $(ls corpus/analyze | wc -l) manifests and $(ls corpus/route | wc -l) request lines"
