#!/usr/bin/env bash
# Every performance figure in docs/performance.md, from one script: the
# API-bound scenarios against the sandboxes (a serial baseline in the same
# run), then the local benchmarks and memory measurements. About 20
# minutes; -short for a quick look (10 s rate runs, fewer rows).
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
# Four workers at 200 ms can carry only 20 calls/s (Little's law): the
# same sweep at 50 ms shows them at the limit.
/tmp/crmbench -scenario rate -latency 50ms -workers 4,8 "${args[@]}"
echo
echo "### Local benchmarks and memory"
go test -run '^$' -bench 'QuickstartMapping|Phone' -benchmem ./mapping
go test -run '^$' -bench 'ReadCSV|ReadXLSX|WriteXLSX' -benchmem -benchtime 3x ./internal/tabular
go test -run '^$' -bench 'Runner' -benchmem ./jobs
CRMLOAD_MEMTEST=1 go test -count=1 -run 'TestXLSXWriterMemory' -v ./internal/tabular | grep 'rows:'
go test -run '^$' -bench State -benchtime 1x ./internal/sandbox/closecrm ./internal/sandbox/qlara
