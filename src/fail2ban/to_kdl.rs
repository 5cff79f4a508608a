//! Writes imported jails as one portcullis KDL configuration: a top-level
//! `jail "NAME"` node per jail, what could not be mapped as comments at
//! the jail it belongs to.

use std::fmt::Write;
use std::path::Path;

use super::jail::ImportedJail;
use crate::config::{BanTime, Growth, format_duration};
use crate::nft::Ports;

/// The whole configuration.
pub fn configuration(jails: &[ImportedJail], dir: &Path) -> String {
    let mut out = format!(
        "// Imported from fail2ban's configuration in {} by `portcullis import-fail2ban`.\n\
         // Check it with `portcullis check-config`; see the README's \"Coming from fail2ban\".\n",
        dir.display()
    );
    for jail in jails {
        out.push('\n');
        write_jail(&mut out, jail);
    }
    out
}

/// A KDL string, always quoted (a bare `::1` or `tcp` would be valid KDL
/// but reads less plainly), and escaped.
fn q(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write_jail(out: &mut String, jail: &ImportedJail) {
    let _ = writeln!(out, "jail {} {{", q(&jail.name));
    let line = |out: &mut String, text: String| {
        let _ = writeln!(out, "    {text}");
    };
    for c in &jail.comments {
        line(out, format!("// {c}"));
    }
    for n in &jail.notes {
        line(out, format!("// not mapped: {}", n.text));
    }
    if !jail.runnable {
        line(out, "enabled #false".into());
    }
    let mut filter = format!("filter {}", q(&jail.filter));
    for (k, v) in &jail.filter_options {
        let _ = write!(filter, " {}={}", property_name(k), q(v));
    }
    line(out, filter);
    if !jail.sources.is_empty() {
        let list: Vec<String> = jail.sources.iter().map(|s| q(s)).collect();
        line(out, format!("source {}", list.join(" ")));
    }
    for group in &jail.journals {
        let list: Vec<String> = group.iter().map(|s| q(s)).collect();
        line(out, format!("journal {}", list.join(" ")));
    }
    write_settings(out, jail);
    for s in &jail.notify_sketches {
        line(out, format!("// {s}"));
    }
    out.push_str("}\n");
}

fn write_settings(out: &mut String, jail: &ImportedJail) {
    let mut lines = Vec::new();
    if let Some(n) = jail.maxretry {
        lines.push(format!("maxretry {n}"));
    }
    if let Some(d) = jail.findtime {
        lines.push(format!("findtime {}", q(&format_duration(d))));
    }
    match jail.bantime {
        Some(BanTime::Permanent) => lines.push("bantime \"permanent\"".into()),
        Some(BanTime::For(d)) => lines.push(format!("bantime {}", q(&format_duration(d)))),
        None => {}
    }
    if let Some(inc) = &jail.increment {
        let mut block = vec!["bantime-increment {".to_string()];
        match &inc.growth {
            Growth::Exponential { factor } => block.push(format!("    factor {}", number(*factor))),
            Growth::Multipliers(m) => {
                let list: Vec<String> = m.iter().map(|x| number(*x)).collect();
                block.push(format!("    multipliers {}", list.join(" ")));
            }
        }
        if let Some(max) = inc.max {
            block.push(format!("    max {}", q(&format_duration(max))));
        }
        if !inc.jitter.is_zero() {
            block.push(format!("    jitter {}", q(&format_duration(inc.jitter))));
        }
        if inc.across_jails {
            block.push("    across-jails #true".into());
        }
        block.push("}".into());
        lines.extend(block);
    }
    if !jail.ignore.is_empty() {
        let list: Vec<String> = jail.ignore.iter().map(|s| q(s)).collect();
        lines.push(format!("ignore {}", list.join(" ")));
    }
    if let Some(b) = jail.ignoreself {
        lines.push(format!("ignoreself #{b}"));
    }
    match &jail.ports {
        Ports::All => lines.push("port \"all\"".into()),
        Ports::Listed { protocols, ranges } => {
            let list: Vec<String> = ranges
                .iter()
                .map(|r| {
                    if r.first == r.last {
                        r.first.to_string()
                    } else {
                        q(&r.to_string())
                    }
                })
                .collect();
            lines.push(format!("port {}", list.join(" ")));
            let list: Vec<String> = protocols.iter().map(|p| q(p.name())).collect();
            lines.push(format!("protocol {}", list.join(" ")));
        }
    }
    for l in lines {
        let _ = writeln!(out, "    {l}");
    }
}

/// `2`, `1.5`: KDL wants a float to look like one only when it is not whole.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A KDL property name: bare when it is an identifier, else quoted.
fn property_name(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if bare { key.to_string() } else { q(key) }
}
