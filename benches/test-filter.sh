#!/usr/bin/env bash
# Throughput and peak memory of `portcullis test-filter sshd` (no --json) on
# the shared workload: ../shared/bench/gen-authlog.py LINES (default 1,000,000),
# pinned to one core. Prints the best of three runs, by wall time and by the
# process's CPU time (user+sys: what the host's other load adds least to).
#
#   benches/test-filter.sh [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
gen=${GEN_AUTHLOG:-../shared/bench/gen-authlog.py}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$gen" "$lines" > "$work/auth.log"
cargo build --release --quiet
bin=target/release/portcullis
cat "$work/auth.log" > /dev/null   # page cache warm, so the disk is not measured

best_secs=""
best_rss=""
best_cpu=""
for run in 1 2 3; do
    /usr/bin/time -f "%e %M %U %S" -o "$work/time" taskset -c 0 \
        "$bin" test-filter sshd "$work/auth.log" --now 2026-11-23T12:00:00Z --timezone UTC > "$work/out"
    read -r secs rss_kb user sys < "$work/time"
    cpu=$(awk "BEGIN{print $user + $sys}")
    if [ -z "$best_secs" ] || awk "BEGIN{exit !($secs < $best_secs)}"; then best_secs=$secs; fi
    if [ -z "$best_cpu" ] || awk "BEGIN{exit !($cpu < $best_cpu)}"; then best_cpu=$cpu; fi
    if [ -z "$best_rss" ] || [ "$rss_kb" -lt "$best_rss" ]; then best_rss=$rss_kb; fi
done
failures=$(sed -n 's/^Lines: .*(\([0-9]*\) failures.*/\1/p' "$work/out")
echo "workload: gen-authlog.py $lines ($(du -h "$work/auth.log" | cut -f1)), filter sshd, one core"
echo "failures found: $failures"
awk -v n="$lines" -v s="$best_secs" -v c="$best_cpu" -v r="$best_rss" 'BEGIN {
    printf "test-filter: %.2f s wall, %.0f lines/s, peak RSS %.1f MB\n", s, n / s, r / 1024
    printf "  CPU time (user+sys, best of three): %.2f s, %.0f lines/s\n", c, n / c }'
