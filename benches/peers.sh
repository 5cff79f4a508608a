#!/usr/bin/env bash
# portcullis beside its peers, in one script run, on the shared workload
# (SHARED/bench/gen-authlog.py LINES, default 1,000,000 lines), each tool
# pinned to one core (taskset -c 0), RUNS rounds (default 3). Every round runs
# every tool once, starting each round at the next tool, so that a change in
# the machine's load falls on all of them alike. Prints, per tool, the
# failures it reports (so that the work done can be compared), and min,
# median and max of wall time and of CPU time (user+sys) with lines/s, and
# the load average before and after each round.
#
# The tools, none of them installed on the system:
#   portcullis test-filter sshd            the bundled filter (release build)
#   portcullis test-filter .../sshd.conf   our reader of fail2ban's own filter
#   fail2ban-regex                         Debian's fail2ban package unpacked
#                                          at target/fail2ban/root
#                                          (integration/fail2ban-package), run
#                                          with its own sshd.conf
#   fail2ban-rs dry-run                    `cargo install fail2ban-rs` into
#                                          target/peers/fail2ban-rs, its
#                                          built-in sshd jail (gen-config sshd)
#   sshg-parser                            Debian's sshguard package unpacked
#                                          at target/peers/sshguard, the log on
#                                          its stdin
#
# fail2ban-regex reads about 30,000 lines/s, so by default it gets the first
# F2B_REGEX_LINES (200,000) lines of the same log, not all of them; its lines/s
# are computed on the lines it read. F2B_REGEX_LINES=all gives it every line
# (about 35 s a run more per 1M lines).
#
#   benches/peers.sh [LINES [SHARED]]
#   RUNS=5 F2B_REGEX_LINES=all SHARED=/path/to/shared benches/peers.sh 500000
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
shared=${2:-${SHARED:-../shared}}
runs=${RUNS:-3}
f2b_regex_lines=${F2B_REGEX_LINES:-200000}
fail2ban_rs_version=${FAIL2BAN_RS_VERSION:-1.5.4}
peers=$PWD/target/peers
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$peers"
if [ ! -f "$shared/bench/gen-authlog.py" ]; then
    echo "no $shared/bench/gen-authlog.py: give the shared directory as the second argument or SHARED=" >&2
    exit 2
fi
load() { cut -d' ' -f1-3 /proc/loadavg; }

# --- the tools ---------------------------------------------------------------
# Each tool is a line in $work/tools: NAME, and a reason when it cannot run.
: > "$work/tools"; : > "$work/skipped"; : > "$work/versions"
skip() { echo "$1 skipped: $2" | tee -a "$work/skipped"; }

cargo build --release --quiet
pc=$PWD/target/release/portcullis
echo "portcullis $(git describe --always --dirty 2>/dev/null || echo '?') (release build)" >> "$work/versions"
echo portcullis-sshd >> "$work/tools"

f2b_root=""
if f2b_root=$(integration/fail2ban-package 2>"$work/f2b-err"); then
    f2b_conf=$f2b_root/etc/fail2ban/filter.d/sshd.conf
    echo portcullis-f2b-conf >> "$work/tools"
    if PYTHONPATH=$f2b_root/usr/lib/python3/dist-packages \
        python3 "$f2b_root/usr/bin/fail2ban-regex" --version > "$work/v" 2>&1; then
        echo "$(head -1 "$work/v") (Debian package $(basename "$(ls "$f2b_root"/../fail2ban_*.deb)"), $(python3 --version))" >> "$work/versions"
        echo fail2ban-regex >> "$work/tools"
    else
        skip fail2ban-regex "fail2ban-regex --version failed: $(head -c 300 "$work/v")"
    fi
else
    skip "portcullis-f2b-conf and fail2ban-regex" "integration/fail2ban-package failed: $(tail -c 300 "$work/f2b-err")"
fi

f2brs=$peers/fail2ban-rs/bin/fail2ban-rs
if [ ! -x "$f2brs" ]; then
    echo "installing fail2ban-rs $fail2ban_rs_version from crates.io into $peers/fail2ban-rs (once)"
    cargo install --quiet --locked fail2ban-rs --version "$fail2ban_rs_version" \
        --root "$peers/fail2ban-rs" > "$work/f2brs-err" 2>&1 || true
fi
if [ -x "$f2brs" ]; then
    # Its dry run needs a configuration: a [global] section (required; the
    # dry run touches neither path) and the built-in sshd jail it generates.
    printf '[global]\nstate_dir = "%s"\nsocket_path = "%s"\n\n' "$work/f2brs-state" "$work/f2brs.sock" \
        > "$work/fail2ban-rs.toml"
    if "$f2brs" gen-config sshd >> "$work/fail2ban-rs.toml" 2> "$work/f2brs-err"; then
        echo "fail2ban-rs $("$f2brs" --version | awk '{print $2}') (crates.io, cargo install --locked, default features)" >> "$work/versions"
        echo fail2ban-rs >> "$work/tools"
    else
        skip fail2ban-rs "fail2ban-rs gen-config sshd failed: $(head -c 300 "$work/f2brs-err")"
    fi
else
    skip fail2ban-rs "cargo install fail2ban-rs $fail2ban_rs_version failed: $(tail -c 300 "$work/f2brs-err")"
fi

sshg=$peers/sshguard/root/usr/libexec/sshguard/sshg-parser
if [ ! -x "$sshg" ]; then
    rm -rf "$peers/sshguard"; mkdir -p "$peers/sshguard"
    if ! (cd "$peers/sshguard" && apt-get download sshguard > /dev/null 2>&1); then
        apt-get update -qq > /dev/null 2>&1 || true
        (cd "$peers/sshguard" && apt-get download sshguard > /dev/null 2>&1) || true
    fi
    deb=$(ls "$peers"/sshguard/sshguard_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] && dpkg-deb -x "$deb" "$peers/sshguard/root"
fi
if [ -x "$sshg" ]; then
    echo "sshg-parser from Debian package $(basename "$(ls "$peers"/sshguard/sshguard_*.deb)")" >> "$work/versions"
    echo sshg-parser >> "$work/tools"
else
    skip sshg-parser "apt-get download sshguard gave no $sshg"
fi

# --- the workload ------------------------------------------------------------
python3 "$shared/bench/gen-authlog.py" "$lines" > "$work/auth.log"
if [ "$f2b_regex_lines" = all ] || [ "$f2b_regex_lines" -ge "$lines" ]; then
    f2b_regex_lines=$lines
    ln -s "$work/auth.log" "$work/auth-f2b.log"
else
    head -n "$f2b_regex_lines" "$work/auth.log" > "$work/auth-f2b.log"
fi
cat "$work/auth.log" "$work/auth-f2b.log" > /dev/null   # page cache warm

# run TOOL: one run, its output in $work/out.TOOL.
run() {
    local tool=$1 log=$work/auth.log
    case $1 in
        portcullis-sshd) set -- "$pc" test-filter sshd "$log" --now 2026-11-23T12:00:00Z --timezone UTC ;;
        portcullis-f2b-conf) set -- "$pc" test-filter "$f2b_conf" "$log" --now 2026-11-23T12:00:00Z --timezone UTC ;;
        fail2ban-regex) set -- env PYTHONPATH="$f2b_root/usr/lib/python3/dist-packages" \
            python3 "$f2b_root/usr/bin/fail2ban-regex" -c "$f2b_root/etc/fail2ban" --raw \
            --timezone UTC "$work/auth-f2b.log" "$f2b_conf" ;;
        fail2ban-rs) set -- "$f2brs" -c "$work/fail2ban-rs.toml" dry-run "$log" ;;
        sshg-parser) set -- sh -c 'exec "$0" < "$1"' "$sshg" "$log" ;;
    esac
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" taskset -c 0 "$@" > "$work/out" 2> "$work/err" \
        || { echo "$tool failed:"; tail -5 "$work/err"; return 1; }
}

# failures TOOL: what the tool reports as failures, from $work/out.
failures() {
    case $1 in
        portcullis-*) sed -n 's/^Lines: .*(\([0-9]*\) failures.*/\1/p' "$work/out" ;;
        fail2ban-regex) sed -n 's/^Lines: .* \([0-9]*\) matched.*/\1/p' "$work/out" ;;
        fail2ban-rs) sed -n 's/^  Matches: *\([0-9]*\).*/\1/p' "$work/out" ;;
        sshg-parser) wc -l < "$work/out" ;;
    esac
}

# --- the rounds ----------------------------------------------------------------
mapfile -t tools < "$work/tools"
n=${#tools[@]}
echo "workload: gen-authlog.py $lines ($(du -h "$work/auth.log" | cut -f1)); fail2ban-regex on its first $f2b_regex_lines lines"
echo "one core (taskset -c 0), $runs rounds, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
cat "$work/versions"
for round in $(seq "$runs"); do
    echo "round $round: load before $(load)"
    for i in $(seq 0 $((n - 1))); do
        tool=${tools[$(((i + round - 1) % n))]}
        run "$tool"
        read -r wall user sys rss < "$work/time"
        echo "$tool $wall $(awk "BEGIN{print $user + $sys}") $rss $(failures "$tool")" >> "$work/results"
    done
done
echo "after the last round: load $(load)"

# --- the table -----------------------------------------------------------------
echo
awk -v n="$lines" -v nf="$f2b_regex_lines" -v order="${tools[*]}" '
function sort3(a, k,   i, j, t) { for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
{ k = ++count[$1]; wall[$1, k] = $2; cpu[$1, k] = $3; rss[$1, k] = $4; fails[$1] = fails[$1] " " $5 }
END {
    printf "%-19s %8s %8s %-17s %9s %-17s %9s %6s %6s\n", "tool", "lines", "failures", "wall s min/med/max", "lines/s", "CPU s min/med/max", "lines/s", "RSS MB", "x CPU"
    split(order, names, " ")
    for (t = 1; t in names; t++) {
        name = names[t]; k = count[name]
        for (i = 1; i <= k; i++) { w[i] = wall[name, i]; c[i] = cpu[name, i]; r[i] = rss[name, i] }
        sort3(w, k); sort3(c, k); sort3(r, k); m = int((k + 1) / 2)
        nl = name == "fail2ban-regex" ? nf : n
        rate = nl / c[m]; wrate = nl / w[m]
        if (t == 1) base = rate
        split(fails[name], f, " "); same = 1; for (i in f) if (f[i] != f[1]) same = 0
        printf "%-19s %8d %8s %-17s %9.0f %-17s %9.0f %6.1f %6.1f\n", name, nl, same ? f[1] : "varies", \
            sprintf("%.2f/%.2f/%.2f", w[1], w[m], w[k]), wrate, sprintf("%.2f/%.2f/%.2f", c[1], c[m], c[k]), \
            rate, r[m] / 1024, base / rate
    }
    print "lines/s: at the median wall and the median CPU time; x CPU: the first row'"'"'s lines/s over this row'"'"'s, by CPU time"
}' "$work/results"
cat "$work/skipped"
