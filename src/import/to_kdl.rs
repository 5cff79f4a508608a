//! Writes imported jails as one portcullis KDL configuration: a top-level
//! `jail "NAME"` node per jail, what could not be mapped as comments at
//! the jail it belongs to. Settings every jail has alike (written the same
//! way) go once into `defaults { }` instead.

use std::fmt::Write;
use std::path::Path;

use super::jail::ImportedJail;
use crate::config::Growth;
use crate::nft::Ports;
use crate::time::{BanTime, format_duration};

/// The whole configuration.
pub fn configuration(jails: &[ImportedJail], dir: &Path) -> String {
    let mut out = format!(
        "// Imported from fail2ban's configuration in {} by `portcullis import-fail2ban`.\n\
         // Check it with `portcullis check-config`; see the README's \"Coming from fail2ban\".\n",
        dir.display()
    );
    let settings: Vec<Vec<Setting>> = jails.iter().map(settings).collect();
    let shared = shared(&settings);
    if !shared.is_empty() {
        out.push_str("\n// What every jail below shares.\ndefaults {\n");
        write_settings(&mut out, &shared);
        out.push_str("}\n");
    }
    for (jail, own) in jails.iter().zip(settings) {
        let own: Vec<Setting> = own.into_iter().filter(|s| !shared.contains(s)).collect();
        out.push('\n');
        write_jail(&mut out, jail, &own);
    }
    out
}

/// One setting node, as lines (several for a block).
type Setting = Vec<String>;

/// The settings every one of two or more jails has, in the first's order.
fn shared(settings: &[Vec<Setting>]) -> Vec<Setting> {
    let Some((first, rest)) = settings.split_first() else {
        return Vec::new();
    };
    if rest.is_empty() {
        return Vec::new();
    }
    first
        .iter()
        .filter(|s| rest.iter().all(|other| other.contains(s)))
        .cloned()
        .collect()
}

fn write_settings(out: &mut String, settings: &[Setting]) {
    for line in settings.iter().flatten() {
        let _ = writeln!(out, "    {line}");
    }
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

fn write_jail(out: &mut String, jail: &ImportedJail, settings: &[Setting]) {
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
        let list: Vec<String> = group.iter().map(|s| format!(" {}", q(s))).collect();
        line(out, format!("journal{}", list.concat()));
    }
    write_settings(out, settings);
    for s in &jail.notify_sketches {
        line(out, format!("// {s}"));
    }
    out.push_str("}\n");
}

/// The jail's setting nodes, in a fixed order.
fn settings(jail: &ImportedJail) -> Vec<Setting> {
    let mut lines: Vec<Setting> = Vec::new();
    if let Some(n) = jail.maxretry {
        lines.push(vec![format!("maxretry {n}")]);
    }
    if let Some(d) = jail.findtime {
        lines.push(vec![format!("findtime {}", q(&format_duration(d)))]);
    }
    match jail.bantime {
        Some(BanTime::Permanent) => lines.push(vec!["bantime \"permanent\"".into()]),
        Some(BanTime::For(d)) => lines.push(vec![format!("bantime {}", q(&format_duration(d)))]),
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
        lines.push(block);
    }
    if !jail.ignore.is_empty() {
        let list: Vec<String> = jail.ignore.iter().map(|s| q(s)).collect();
        lines.push(vec![format!("ignore {}", list.join(" "))]);
    }
    if let Some(b) = jail.ignoreself {
        lines.push(vec![format!("ignoreself #{b}")]);
    }
    match &jail.ports {
        Ports::All => lines.push(vec!["port \"all\"".into()]),
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
            lines.push(vec![format!("port {}", list.join(" "))]);
            let list: Vec<String> = protocols.iter().map(|p| q(p.name())).collect();
            lines.push(vec![format!("protocol {}", list.join(" "))]);
        }
    }
    lines
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::import::jail::Note;

    fn jail(name: &str, maxretry: u32) -> ImportedJail {
        let mut j = ImportedJail::empty(name);
        j.filter = format!("/etc/fail2ban/filter.d/{name}.conf");
        j.filter_options = vec![("mode".into(), "aggressive".into())];
        j.sources = vec!["/var/log/a \"b\".log".into()];
        j.maxretry = Some(maxretry);
        j.bantime = Some(BanTime::Permanent);
        j.findtime = Some(Duration::from_secs(5400));
        j.ports = Ports::tcp(&[22]);
        j
    }

    #[test]
    fn shared_settings_go_to_defaults_and_notes_become_comments() {
        let mut b = jail("b", 3);
        b.notes.push(Note {
            jail: "b".into(),
            text: "usedns = yes: x".into(),
        });
        b.runnable = false;
        let text = configuration(&[jail("a", 5), b], Path::new("/etc/fail2ban"));
        let body = text.split_once("\n\n").unwrap().1;
        assert_eq!(
            body,
            "// What every jail below shares.\n\
             defaults {\n    findtime \"1h30m\"\n    bantime \"permanent\"\n    port 22\n    protocol \"tcp\"\n}\n\n\
             jail \"a\" {\n    filter \"/etc/fail2ban/filter.d/a.conf\" mode=\"aggressive\"\n    source \"/var/log/a \\\"b\\\".log\"\n    maxretry 5\n}\n\n\
             jail \"b\" {\n    // not mapped: usedns = yes: x\n    enabled #false\n    filter \"/etc/fail2ban/filter.d/b.conf\" mode=\"aggressive\"\n    source \"/var/log/a \\\"b\\\".log\"\n    maxretry 3\n}\n"
        );
    }

    #[test]
    fn journal_groups_become_nodes_an_empty_one_bare() {
        let mut a = jail("a", 5);
        a.sources.clear();
        a.journals = vec![vec!["_COMM=a".into(), "_PID=1".into()], Vec::new()];
        let text = configuration(&[a], Path::new("/etc/fail2ban"));
        assert!(
            text.contains("    journal \"_COMM=a\" \"_PID=1\"\n    journal\n"),
            "{text}"
        );
    }

    #[test]
    fn one_jail_keeps_all_its_settings() {
        let text = configuration(&[jail("a", 5)], Path::new("/etc/fail2ban"));
        assert!(!text.contains("defaults"), "{text}");
        assert!(
            text.contains("    maxretry 5\n    findtime \"1h30m\"\n"),
            "{text}"
        );
    }
}
