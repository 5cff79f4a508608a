//! A micro-benchmark of `find` on generated lines (ignored by default).

use super::*;

/// `cargo test --release --lib -- --ignored --nocapture find_speed`
#[test]
#[ignore = "benchmark; run in release"]
fn find_speed() {
    let start = ts("2005-11-20T00:00:00Z");
    let mut lines = Vec::with_capacity(1_000_000);
    for n in 0..1_000_000i64 {
        let at = start
            .checked_add(jiff::SignedDuration::from_secs(n / 3))
            .unwrap();
        let date = at.to_zoned(berlin()).strftime("%b %e %H:%M:%S").to_string();
        lines.push(format!(
            "{date} web-1 sshd[{}]: Failed password for root from 45.1.{}.{} port {} ssh2",
            20_000 + n % 9_000,
            n % 250,
            n % 199,
            1_024 + n % 60_000
        ));
    }
    let now = ts("2005-12-01T00:00:00Z");
    for (name, lines) in [("syslog", &lines)] {
        let mut p = DateParser::new(berlin(), now, DatePattern::Auto);
        let t = std::time::Instant::now();
        let mut found = 0;
        for line in lines {
            found +=
                usize::from(std::hint::black_box(p.find(std::hint::black_box(line))).is_some());
        }
        let ns = t.elapsed().as_nanos() as f64 / lines.len() as f64;
        assert_eq!(found, lines.len());
        println!("{name}: {ns:.1} ns/line");
    }
}
