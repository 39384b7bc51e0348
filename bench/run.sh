#!/usr/bin/env bash
# Every performance figure in docs/performance.md, from one script: the
# API-bound scenarios against the sandboxes (with a serial baseline in the
# same run), then the local benchmarks. About 15 minutes; -short for a quick
# look (10 s rate runs, fewer rows).
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
if [[ "${1:-}" == "-short" ]]; then
  args=(-duration 10s -rows 400 -dry-rows 200000)
fi
go build -o /tmp/crmbench ./bench/crmbench
for s in upsert systems rate keys dryrun; do
  /tmp/crmbench -scenario "$s" "${args[@]}"
done
echo
echo "### Local benchmarks"
go test -run '^$' -bench 'QuickstartMapping|Phone' -benchmem ./mapping
go test -run '^$' -bench 'ReadCSV|ReadXLSX|WriteXLSX' -benchmem ./internal/tabular
go test -run '^$' -bench 'Runner' -benchmem ./jobs
