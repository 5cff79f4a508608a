//! The Prometheus text exposition format, version 0.0.4: `# HELP` and
//! `# TYPE` lines, then one `name{label="value"} number` line per series.
//! Label values escape `\`, `"` and newline (`\\`, `\"`, `\n`); help text
//! escapes `\` and newline.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::{JailCounters, LATENCY_BUCKETS, Metrics};

/// The Content-Type of the rendered text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric with one series per jail.
struct JailFamily {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    value: fn(&JailCounters) -> u64,
}

const JAIL_FAMILIES: [JailFamily; 4] = [
    JailFamily {
        name: "portcullis_failures_total",
        kind: "counter",
        help: "Failures found in the logs, per jail (ignored addresses included).",
        value: |c| c.failures.load(Ordering::Relaxed),
    },
    JailFamily {
        name: "portcullis_bans_total",
        kind: "counter",
        help: "Bans the kernel acknowledged, per jail (manual bans included, restored ones not).",
        value: |c| c.bans.load(Ordering::Relaxed),
    },
    JailFamily {
        name: "portcullis_unbans_total",
        kind: "counter",
        help: "Bans lifted or expired, per jail.",
        value: |c| c.unbans.load(Ordering::Relaxed),
    },
    JailFamily {
        name: "portcullis_active_bans",
        kind: "gauge",
        help: "Bans in the kernel now, per jail.",
        value: |c| c.active.load(Ordering::Relaxed),
    },
];

/// Every metric, as a scrape returns it.
pub fn render(m: &Metrics, version: &str) -> String {
    let mut out = String::new();
    let jails = m.jails_snapshot();
    for family in JAIL_FAMILIES {
        header(&mut out, family.name, family.kind, family.help);
        for (jail, counters) in &jails {
            series(
                &mut out,
                family.name,
                &[("jail", jail)],
                (family.value)(counters),
            );
        }
    }
    header(
        &mut out,
        "portcullis_lines_total",
        "counter",
        "Log lines read, per source (a file path or a journal source).",
    );
    for (source, lines) in m.sources_snapshot() {
        series(
            &mut out,
            "portcullis_lines_total",
            &[("source", &source)],
            lines,
        );
    }
    latency(&mut out, m);
    header(
        &mut out,
        "portcullis_netlink_errors_total",
        "counter",
        "Netlink requests that failed and notification reads that failed or overran.",
    );
    let errors = m.netlink_errors.load(Ordering::Relaxed);
    series(&mut out, "portcullis_netlink_errors_total", &[], errors);
    header(
        &mut out,
        "portcullis_build_info",
        "gauge",
        "Always 1; the version of the running daemon as a label.",
    );
    series(
        &mut out,
        "portcullis_build_info",
        &[("version", version)],
        1,
    );
    if let Ok(extra) = m.extra.lock() {
        out.push_str(&extra);
    }
    out
}

fn latency(out: &mut String, m: &Metrics) {
    let name = "portcullis_ban_latency_seconds";
    header(
        out,
        name,
        "histogram",
        "From a log line read to the kernel acknowledging its ban.",
    );
    let (buckets, sum) = m.ban_latency.snapshot();
    let bucket = format!("{name}_bucket");
    for (le, count) in LATENCY_BUCKETS.iter().zip(&buckets) {
        series(out, &bucket, &[("le", &le.to_string())], *count);
    }
    let count = *buckets.last().expect("the +Inf bucket");
    series(out, &bucket, &[("le", "+Inf")], count);
    let _ = writeln!(out, "{name}_sum {sum}");
    series(out, &format!("{name}_count"), &[], count);
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn series(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{label}=\"{}\"", escape_label(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// A label value as the exposition format quotes it.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(
            escape_label("/var/log/a \"b\"\\c\nd"),
            "/var/log/a \\\"b\\\"\\\\c\\nd"
        );
        assert_eq!(escape_label("journal:sshd.service"), "journal:sshd.service");
    }

    #[test]
    fn renders_every_family_in_the_text_format() {
        let m = Metrics::default();
        let sshd = m.jail("sshd");
        sshd.failures.fetch_add(3, Ordering::Relaxed);
        sshd.bans.fetch_add(1, Ordering::Relaxed);
        sshd.active.store(1, Ordering::Relaxed);
        m.source("/tmp/odd \"log\"\n").add(7);
        m.ban_latency.observe(Duration::from_micros(200));
        m.netlink_error();
        let text = render(&m, "0.1.0");
        let expected = [
            "# HELP portcullis_failures_total Failures found in the logs, per jail (ignored addresses included).",
            "# TYPE portcullis_failures_total counter",
            "portcullis_failures_total{jail=\"sshd\"} 3",
            "portcullis_bans_total{jail=\"sshd\"} 1",
            "portcullis_unbans_total{jail=\"sshd\"} 0",
            "# TYPE portcullis_active_bans gauge",
            "portcullis_active_bans{jail=\"sshd\"} 1",
            "portcullis_lines_total{source=\"/tmp/odd \\\"log\\\"\\n\"} 7",
            "# TYPE portcullis_ban_latency_seconds histogram",
            "portcullis_ban_latency_seconds_bucket{le=\"0.0001\"} 0",
            "portcullis_ban_latency_seconds_bucket{le=\"0.00025\"} 1",
            "portcullis_ban_latency_seconds_bucket{le=\"1\"} 1",
            "portcullis_ban_latency_seconds_bucket{le=\"+Inf\"} 1",
            "portcullis_ban_latency_seconds_sum 0.0002",
            "portcullis_ban_latency_seconds_count 1",
            "portcullis_netlink_errors_total 1",
            "portcullis_build_info{version=\"0.1.0\"} 1",
        ];
        let lines: Vec<&str> = text.lines().collect();
        for e in expected {
            assert!(lines.contains(&e), "missing {e:?} in\n{text}");
        }
        // Each line is a comment or `name[{labels}] value`.
        for line in &lines {
            assert!(
                line.starts_with("# ")
                    || line
                        .rsplit_once(' ')
                        .is_some_and(|(_, v)| v.parse::<f64>().is_ok()),
                "{line:?}"
            );
        }
        assert!(text.ends_with('\n'));
    }
}
