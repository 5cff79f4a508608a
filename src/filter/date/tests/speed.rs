//! A micro-benchmark of `find` on generated lines (ignored by default):
//! `cargo test --release --lib -- --ignored --nocapture find_speed`

use super::*;

/// Lines per kind; `PORTCULLIS_BENCH_LINES` overrides (e.g. a few
/// thousand under `valgrind --tool=callgrind`, to count instructions).
fn lines() -> i64 {
    std::env::var("PORTCULLIS_BENCH_LINES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

/// `LINES` lines, three per second from 2005-11-20 in Berlin, each made by
/// `line` from the date text (in `strftime` form) and a counter.
fn generate(date_format: &str, line: impl Fn(&str, i64) -> String) -> Vec<String> {
    let start = ts("2005-11-20T00:00:00Z");
    (0..lines())
        .map(|n| {
            let at = start
                .checked_add(jiff::SignedDuration::from_secs(n / 3))
                .unwrap();
            line(&at.to_zoned(berlin()).strftime(date_format).to_string(), n)
        })
        .collect()
}

/// Best of five passes, as the machine may be busy: over all the lines
/// (streamed from memory, as a cold file would be), and over the first
/// 10 000 a hundred times (in cache, as the line the engine just read is).
fn measure(name: &str, lines: &[String], want_dates: bool) {
    if std::env::var("PORTCULLIS_BENCH_KIND").is_ok_and(|kind| kind != name) {
        return;
    }
    let hot = &lines[..lines.len().min(10_000)];
    let stream = best_of_five(lines.iter(), lines.len(), want_dates, name);
    let cached = best_of_five(
        hot.iter().cycle().take(hot.len() * 100),
        hot.len() * 100,
        want_dates,
        name,
    );
    println!("{name:>12}: {stream:6.1} ns/line streamed, {cached:6.1} ns/line in cache");
}

fn best_of_five<'a>(
    lines: impl Iterator<Item = &'a String> + Clone,
    count: usize,
    want_dates: bool,
    name: &str,
) -> f64 {
    let now = ts("2005-12-01T00:00:00Z");
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let mut p = DateParser::new(berlin(), now, DatePattern::Auto);
        let t = std::time::Instant::now();
        let mut found = 0;
        for line in lines.clone() {
            found +=
                usize::from(std::hint::black_box(p.find(std::hint::black_box(line))).is_some());
        }
        best = best.min(t.elapsed().as_nanos() as f64 / count as f64);
        assert_eq!(found, if want_dates { count } else { 0 }, "{name}");
    }
    best
}

#[test]
#[ignore = "benchmark; run in release"]
fn find_speed() {
    let sshd = |n: i64| {
        format!(
            "web-1 sshd[{}]: Failed password for root from 45.1.{}.{} port {} ssh2",
            20_000 + n % 9_000,
            n % 250,
            n % 199,
            1_024 + n % 60_000
        )
    };
    let syslog = generate("%b %e %H:%M:%S", |d, n| format!("{d} {}", sshd(n)));
    measure("syslog", &syslog, true);
    let iso = generate("%Y-%m-%dT%H:%M:%S%.6f%:z", |d, n| {
        format!("{d} {}", sshd(n))
    });
    measure("rfc3339", &iso, true);
    let access = generate("%d/%b/%Y:%H:%M:%S %z", |d, n| {
        format!(
            r#"203.0.113.{} - - [{d}] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0""#,
            n % 250
        )
    });
    measure("access log", &access, true);
    let no_date = generate("", |_, n| sshd(n));
    measure("no date", &no_date, false);
}
