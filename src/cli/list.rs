//! `portcullis list`: reads the kernel's sets directly over netlink, no
//! daemon needed. Per jail, each banned address with its timeout and time
//! left, soonest expiry first (permanent bans last), then totals. A ban
//! taken from another node of a fleet carries that node's name as the
//! element's comment: an ORIGIN column shows it where a jail has any.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Duration;

use miette::{Context, IntoDiagnostic};

use super::OutputResult;
use crate::nft::{Element, Nft};

/// Arguments of `portcullis list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this jail.
    pub jail: Option<String>,
    /// One JSON array of {"jail", "address", "timeout_ms", "expires_ms"},
    /// and "origin" for a ban taken from another node.
    #[arg(long)]
    pub json: bool,
    /// The nftables table (family inet) portcullis owns.
    #[arg(long, default_value = "portcullis")]
    pub table: String,
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let mut nft = Nft::open().into_diagnostic()?;
    let Some(mut jails) = nft.jails(&args.table).into_diagnostic()? else {
        eprintln!(
            "no table inet {}: nothing is banned (is the daemon running?)",
            args.table
        );
        if args.json {
            super::print_line("[]")?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(jail) = &args.jail {
        if !jails.contains(jail) {
            miette::bail!(
                "no jail {jail} in table inet {} (its jails: {})",
                args.table,
                jails.join(", ")
            );
        }
        jails.retain(|j| j == jail);
    }
    // A table deleted in between lists as empty.
    let mut elements = nft
        .list(&args.table, args.jail.as_deref())
        .into_diagnostic()?
        .unwrap_or_default();
    sort(&mut elements);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if args.json {
        write_json(&mut out, &elements)
    } else {
        write_table(&mut out, &jails, &elements)
    }
    .and_then(|()| out.flush())
    .output()
    .wrap_err("cannot write the listing")?;
    Ok(ExitCode::SUCCESS)
}

/// By jail, then soonest expiry first, permanent last, then address.
fn sort(elements: &mut [Element]) {
    elements.sort_by(|a, b| {
        let key = |e: &Element| (e.expires.is_none(), e.expires);
        a.jail
            .cmp(&b.jail)
            .then(key(a).cmp(&key(b)))
            .then(a.network.cmp(&b.network))
    });
}

/// One `--json` item, fields in this order.
#[derive(serde::Serialize)]
struct JsonBan<'a> {
    jail: &'a str,
    address: String,
    timeout_ms: Option<u64>,
    expires_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a str>,
}

fn write_json(out: &mut impl Write, elements: &[Element]) -> io::Result<()> {
    if elements.is_empty() {
        return out.write_all(b"[]\n");
    }
    let ms = |d: Option<Duration>| d.map(|d| d.as_millis() as u64);
    out.write_all(b"[")?;
    for (i, e) in elements.iter().enumerate() {
        let item = JsonBan {
            jail: &e.jail,
            address: e.network.to_string(),
            timeout_ms: ms(e.timeout),
            expires_ms: ms(e.expires),
            origin: e.comment.as_ref().map(|c| c.as_str()),
        };
        out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut *out, &item)?;
    }
    out.write_all(b"\n]\n")
}

/// Every jail of `jails` (sorted, as `elements`), those without bans too.
fn write_table(out: &mut impl Write, jails: &[String], elements: &[Element]) -> io::Result<()> {
    let mut rest = elements;
    for jail in jails {
        let n = rest.iter().take_while(|e| &e.jail == jail).count();
        let (mine, others) = rest.split_at(n);
        rest = others;
        writeln!(out, "{jail}: {n} banned")?;
        if mine.is_empty() {
            continue;
        }
        let origins = mine.iter().any(|e| e.comment.is_some());
        let header = format!("  {:<42} {:>12} {:>12}", "ADDRESS", "TIMEOUT", "TIME LEFT");
        match origins {
            true => writeln!(out, "{header}  ORIGIN")?,
            false => writeln!(out, "{header}")?,
        }
        for e in mine {
            let address = e.network.to_string();
            let (timeout, left) = (human(e.timeout), human(e.expires));
            let line = format!("  {address:<42} {timeout:>12} {left:>12}");
            match (origins, &e.comment) {
                (true, Some(origin)) => writeln!(out, "{line}  {origin}")?,
                (true, None) => writeln!(out, "{line}  -")?,
                (false, _) => writeln!(out, "{line}")?,
            }
        }
    }
    let s = |n: usize| if n == 1 { "" } else { "s" };
    writeln!(
        out,
        "total: {} banned in {} jail{}",
        elements.len(),
        jails.len(),
        s(jails.len())
    )
}

/// `1h2m3s`, `850ms`, or `permanent`.
pub fn human(d: Option<Duration>) -> String {
    let Some(d) = d else {
        return "permanent".to_string();
    };
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.subsec_millis());
    }
    let (days, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let mut text = String::new();
    for (value, unit) in [(days, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            text.push_str(&format!("{value}{unit}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::{Comment, Network};

    fn element(jail: &str, addr: &str, expires_s: Option<u64>) -> Element {
        Element {
            jail: jail.into(),
            network: Network::host(addr.parse().unwrap()),
            timeout: expires_s.map(|_| Duration::from_secs(600)),
            expires: expires_s.map(Duration::from_secs),
            comment: None,
        }
    }

    #[test]
    fn soonest_expiry_first_permanent_last() {
        let mut v = vec![
            element("sshd", "192.0.2.1", None),
            element("sshd", "192.0.2.2", Some(500)),
            element("nginx", "192.0.2.3", Some(900)),
            element("sshd", "192.0.2.4", Some(20)),
        ];
        sort(&mut v);
        let order: Vec<String> = v.iter().map(|e| e.network.to_string()).collect();
        assert_eq!(order, ["192.0.2.3", "192.0.2.4", "192.0.2.2", "192.0.2.1"]);
    }

    #[test]
    fn table_output_has_totals() {
        let v = vec![
            element("sshd", "192.0.2.4", Some(20)),
            element("sshd", "2001:db8::1", None),
        ];
        let mut out = Vec::new();
        write_table(&mut out, &["nginx".into(), "sshd".into()], &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("nginx: 0 banned\nsshd: 2 banned\n"),
            "{text}"
        );
        assert!(
            text.contains("192.0.2.4") && text.contains("10m") && text.contains("20s"),
            "{text}"
        );
        assert!(text.contains("permanent"), "{text}");
        assert!(text.ends_with("total: 2 banned in 2 jails\n"), "{text}");
    }

    #[test]
    fn json_uses_null_for_permanent() {
        let v = vec![element("sshd", "2001:db8::1", None)];
        let mut out = Vec::new();
        write_json(&mut out, &v).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([{"jail": "sshd", "address": "2001:db8::1", "timeout_ms": null, "expires_ms": null}])
        );
    }

    #[test]
    fn origins_show_where_a_jail_has_any() {
        let mut remote = element("sshd", "192.0.2.5", Some(30));
        remote.comment = Some(Comment::new("gate-2").unwrap());
        let v = vec![
            element("nginx", "192.0.2.9", Some(10)),
            element("sshd", "192.0.2.4", Some(20)),
            remote,
        ];
        let mut out = Vec::new();
        write_table(&mut out, &["nginx".into(), "sshd".into()], &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].ends_with("TIME LEFT"), "{text}");
        assert!(lines[4].ends_with("TIME LEFT  ORIGIN"), "{text}");
        assert!(lines[5].ends_with("20s  -"), "{text}");
        assert!(lines[6].ends_with("30s  gate-2"), "{text}");
        let mut out = Vec::new();
        write_json(&mut out, &v[1..]).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed[0].get("origin"), None);
        assert_eq!(parsed[1]["origin"], "gate-2");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Some(Duration::from_secs(3723))), "1h2m3s");
        assert_eq!(human(Some(Duration::from_millis(850))), "850ms");
        assert_eq!(human(Some(Duration::from_secs(86_400 * 2))), "2d");
        assert_eq!(human(None), "permanent");
    }
}
