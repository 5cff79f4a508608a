//! How the client commands print the daemon's replies
//! ([`crate::server::reply::Reply`]) for people; `--json` prints the
//! response line as the daemon sent it instead.

use std::time::Duration;

use crate::config::format_duration;
use crate::server::protocol::Request;
use crate::server::reply::{BanEntry, JailStatus, Reply};

/// The text for `reply`, the answer to `request`; empty prints nothing.
pub fn human(request: &Request, reply: &Reply) -> String {
    match reply {
        Reply::Status(jails) => status(jails),
        Reply::Banned(b) => format!("banned {} in jail {} for {}", b.addr, b.jail, b.bantime),
        Reply::Lifted(n) => format!("{n} ban(s) lifted"),
        Reply::Bans(bans) => match request {
            Request::Banned { addr: Some(_) } => holding(bans),
            _ => listing(bans),
        },
        Reply::Reloaded(summary) => summary.to_string(),
        Reply::Setting(value) => value.clone(),
        Reply::Cluster(Some(fleet)) => fleet.lines().join("\n"),
        Reply::Cluster(None) => String::new(),
    }
}

fn status(jails: &[JailStatus]) -> String {
    let mut out = Vec::new();
    for j in jails {
        let s = &j.stats;
        out.push(format!(
            "{}: {} banned, {} tracked; {} failures, {} bans since start (filter {}, sources {})",
            j.jail,
            j.banned,
            s.tracked,
            s.failures_total,
            s.ban_requests_total,
            j.filter,
            j.sources.join(", "),
        ));
        for b in j.addresses.iter().flatten() {
            out.push(format!("  {:<40} {}", b.address, left(b.expires_ms)));
        }
    }
    if out.is_empty() {
        out.push("no jails running".into());
    }
    out.join("\n")
}

/// `banned ADDR`: the jails that hold it.
fn holding(bans: &[BanEntry]) -> String {
    if bans.is_empty() {
        return "not banned".into();
    }
    let jails: Vec<&str> = bans.iter().map(|b| b.jail.as_str()).collect();
    format!("banned in: {}", jails.join(", "))
}

/// `banned`: every ban, one a line.
fn listing(bans: &[BanEntry]) -> String {
    let lines: Vec<String> = (bans.iter())
        .map(|b| format!("{:<16} {:<40} {}", b.jail, b.address, left(b.expires_ms)))
        .collect();
    lines.join("\n")
}

fn left(expires_ms: Option<u64>) -> String {
    match expires_ms {
        Some(ms) => format!(
            "{} left",
            format_duration(Duration::from_secs(ms.div_ceil(1000)))
        ),
        None => "permanent".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::jails::ReloadSummary;
    use crate::server::reply::{BanDone, Stats};

    fn entry(jail: &str, address: &str, expires_ms: Option<u64>) -> BanEntry {
        BanEntry {
            jail: jail.into(),
            address: address.into(),
            expires_ms,
        }
    }

    #[test]
    fn status_lines_per_jail_with_its_bans_when_asked_for_one() {
        let sshd = JailStatus {
            jail: "sshd".into(),
            filter: "sshd".into(),
            sources: vec!["/var/log/auth.log".into(), "journal _COMM=sshd".into()],
            banned: 1,
            stats: Stats {
                tracked: 2,
                failures_total: 7,
                ban_requests_total: 1,
                ..Stats::default()
            },
            addresses: Some(vec![entry("sshd", "192.0.2.7", Some(3_599_001))]),
        };
        let request = Request::Status {
            jail: Some("sshd".into()),
        };
        assert_eq!(
            human(&request, &Reply::Status(vec![sshd])),
            "sshd: 1 banned, 2 tracked; 7 failures, 1 bans since start (filter sshd, sources /var/log/auth.log, journal _COMM=sshd)\n  192.0.2.7                                1h left"
        );
        assert_eq!(human(&request, &Reply::Status(vec![])), "no jails running");
    }

    #[test]
    fn bans_list_or_answer_for_one_address() {
        let bans = vec![
            entry("sshd", "192.0.2.7", None),
            entry("web", "2001:db8::/64", Some(61_000)),
        ];
        let all = Request::Banned { addr: None };
        assert_eq!(
            human(&all, &Reply::Bans(bans.clone())),
            "sshd             192.0.2.7                                permanent\n\
             web              2001:db8::/64                            1m1s left"
        );
        let one = Request::Banned {
            addr: Some("192.0.2.7".parse().unwrap()),
        };
        assert_eq!(human(&one, &Reply::Bans(bans)), "banned in: sshd, web");
        assert_eq!(human(&one, &Reply::Bans(vec![])), "not banned");
    }

    #[test]
    fn bans_unbans_reloads_and_settings() {
        let any = Request::Reload;
        let ban = BanDone {
            jail: "sshd".into(),
            addr: "203.0.113.7".parse().unwrap(),
            bantime: "1h".into(),
        };
        assert_eq!(
            human(&any, &Reply::Banned(ban)),
            "banned 203.0.113.7 in jail sshd for 1h"
        );
        assert_eq!(human(&any, &Reply::Lifted(2)), "2 ban(s) lifted");
        let summary = ReloadSummary {
            running: 2,
            started: vec!["web".into()],
            stopped: vec![],
        };
        assert_eq!(
            human(&any, &Reply::Reloaded(summary)),
            "2 jail(s) running; (re)started: web; stopped: none"
        );
        assert_eq!(human(&any, &Reply::Setting("3".into())), "3");
    }
}
