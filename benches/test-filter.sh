#!/usr/bin/env bash
# Throughput and peak memory of `portcullis test-filter` (no --json) on the
# shared workload, ../shared/bench/gen-authlog.py LINES (default 1,000,000),
# pinned to one core: the bundled sshd filter and fail2ban's own sshd.conf
# (same engine) side by side. Each runs RUNS times (default 3); the script
# prints min, median and max of wall time and of the process's CPU time
# (user+sys: what the host's other load adds least to), and the load
# average, as figures on a shared machine are noisy; then the ratio of the
# two filters' medians (CPU and wall): issue 10's bar is fail2ban's sshd.conf
# at no less than 0.8x the bundled filter's speed.
#
#   benches/test-filter.sh [LINES]
#   F2B_SSHD=/etc/fail2ban/filter.d/sshd.conf RUNS=5 benches/test-filter.sh
#   BIN=path/to/portcullis benches/test-filter.sh   # that binary, no build
#   AUTHLOG=/work/tmp/auth1m.log benches/test-filter.sh  # that file, not generated
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
runs=${RUNS:-3}
gen=${GEN_AUTHLOG:-../shared/bench/gen-authlog.py}
f2b_sshd=${F2B_SSHD:-target/fail2ban/root/etc/fail2ban/filter.d/sshd.conf}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${AUTHLOG:-}" ]; then
    ln -s "$(realpath "$AUTHLOG")" "$work/auth.log"
    lines=$(wc -l < "$AUTHLOG")
else
    python3 "$gen" "$lines" > "$work/auth.log"
fi
if [ -n "${BIN:-}" ]; then
    bin=$BIN
else
    cargo build --release --quiet
    bin=target/release/portcullis
fi
cat "$work/auth.log" > /dev/null   # page cache warm, so the disk is not measured

# min median max of the numbers on stdin, one a line.
stats() { sort -g | awk '{v[NR]=$1} END {printf "%.2f %.2f %.2f", v[1], v[int((NR+1)/2)], v[NR]}'; }

# bench NAME FILTER: RUNS runs; prints one line of figures.
bench() {
    local name=$1 filter=$2
    : > "$work/wall"; : > "$work/cpu"; : > "$work/rss"
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M %U %S" -o "$work/time" taskset -c 0 \
            "$bin" test-filter "$filter" "$work/auth.log" \
            --now 2026-11-23T12:00:00Z --timezone UTC > "$work/out" 2> "$work/err"
        read -r secs rss_kb user sys < "$work/time"
        echo "$secs" >> "$work/wall"
        awk "BEGIN{print $user + $sys}" >> "$work/cpu"
        echo "$rss_kb" >> "$work/rss"
    done
    local failures wall cpu rss
    failures=$(sed -n 's/^Lines: .*(\([0-9]*\) failures.*/\1/p' "$work/out")
    wall=$(stats < "$work/wall"); cpu=$(stats < "$work/cpu"); rss=$(stats < "$work/rss")
    echo "$name $failures $wall $cpu $rss" >> "$work/results"
}

echo "workload: ${AUTHLOG:-gen-authlog.py} $lines lines ($(du -hL "$work/auth.log" | cut -f1)), one core, $runs runs each"
echo "load before: $(uptime | sed 's/.*load average: //') (a shared machine: wall times include waiting for a core; compare CPU times)"
: > "$work/results"
bench bundled-sshd sshd
if [ -f "$f2b_sshd" ]; then
    bench fail2ban-sshd.conf "$f2b_sshd"
else
    echo "no $f2b_sshd (run integration/fail2ban-package first): fail2ban's filter skipped"
fi
echo "load after:  $(uptime | sed 's/.*load average: //')"
awk -v n="$lines" '
{ printf "%-20s failures %s\n", $1, $2
  printf "  wall s  min %s  median %s  max %s  (median %.0f lines/s)\n", $3, $4, $5, n / $4
  printf "  CPU s   min %s  median %s  max %s  (median %.0f lines/s)\n", $6, $7, $8, n / $7
  printf "  peak RSS median %.1f MB\n", $10 / 1024
  cpu[NR] = $7; wall[NR] = $4 }
END { if (NR == 2) {
  printf "fail2ban sshd.conf / bundled sshd, median CPU time: %.2fx the speed\n", cpu[1] / cpu[2]
  printf "fail2ban sshd.conf / bundled sshd, median wall time: %.2fx the speed\n", wall[1] / wall[2] } }
' "$work/results"
