//! How the client commands print the daemon's replies
//! ([`crate::server::reply::Reply`]) for people; `--json` prints the
//! response line as the daemon sent it instead.

use std::time::Duration;

use crate::config::format_duration;
use crate::server::ban_times::TimedBan;
use crate::server::protocol::Request;
use crate::server::reply::{BanEntry, JailStatus, Reading, Reply};

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
        Reply::Pong(p) => format!("pong: portcullis {} answers", p.version),
        Reply::Reading(r) => reading(r),
        Reply::BanTimes(bans) => ban_times(bans),
        Reply::Cluster(Some(fleet)) => fleet.lines().join("\n"),
        Reply::Cluster(None) => String::new(),
    }
}

fn reading(r: &Reading) -> String {
    let jail = &r.jail;
    match (r.paused, r.changed) {
        (true, true) => format!("jail {jail}: reading paused; its bans stay and expire as before"),
        (true, false) => format!("jail {jail}: reading was already paused"),
        (false, true) => format!("jail {jail}: reading resumed from where it stopped"),
        (false, false) => format!("jail {jail}: reading was not paused"),
    }
}

/// `banned --times`: a header, then each ban with its start, end and time
/// left (times in UTC); nothing when there is no ban.
fn ban_times(bans: &[TimedBan]) -> String {
    if bans.is_empty() {
        return String::new();
    }
    let row = |jail: &str, address: &str, start: &str, end: &str, left: &str| {
        format!("{jail:<16} {address:<40} {start:<20}  {end:<20}  {left}")
    };
    let mut lines = vec![row("JAIL", "ADDRESS", "STARTED", "ENDS", "LEFT")];
    for b in bans {
        let start = b.start_ms.map_or("unknown".into(), utc);
        let end = b.end_ms.map_or("permanent".into(), utc);
        let left = match b.remaining_ms {
            Some(ms) => format_duration(Duration::from_secs(ms.div_ceil(1000))),
            None => "permanent".into(),
        };
        lines.push(row(&b.jail, &b.address, &start, &end, &left));
    }
    lines.join("\n")
}

/// `2026-03-01T12:00:00Z`, to the second.
fn utc(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    jiff::Timestamp::from_second(secs).map_or_else(|_| format!("{ms} ms"), |t| t.to_string())
}

fn status(jails: &[JailStatus]) -> String {
    let mut out = Vec::new();
    for j in jails {
        let s = &j.stats;
        let paused = if j.paused { " (reading paused)" } else { "" };
        out.push(format!(
            "{}{paused}: {} banned, {} tracked; {} failures, {} bans since start (filter {}, sources {})",
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
    use crate::server::reply::{BanDone, Pong, Stats};

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
            paused: false,
            addresses: Some(vec![entry("sshd", "192.0.2.7", Some(3_599_001))]),
        };
        let request = Request::Status {
            jail: Some("sshd".into()),
        };
        assert_eq!(
            human(&request, &Reply::Status(vec![sshd.clone()])),
            "sshd: 1 banned, 2 tracked; 7 failures, 1 bans since start (filter sshd, sources /var/log/auth.log, journal _COMM=sshd)\n  192.0.2.7                                1h left"
        );
        let paused = JailStatus {
            paused: true,
            addresses: None,
            ..sshd
        };
        assert!(
            human(&request, &Reply::Status(vec![paused]))
                .starts_with("sshd (reading paused): 1 banned, 2 tracked;")
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

    #[test]
    fn pings_pauses_and_ban_times() {
        let any = Request::Ping;
        let pong = Reply::Pong(Pong {
            version: "1.2.3".into(),
        });
        assert_eq!(human(&any, &pong), "pong: portcullis 1.2.3 answers");
        let reading = |paused, changed| {
            let r = Reading {
                jail: "sshd".into(),
                paused,
                changed,
            };
            human(&any, &Reply::Reading(r))
        };
        assert_eq!(
            reading(true, true),
            "jail sshd: reading paused; its bans stay and expire as before"
        );
        assert_eq!(
            reading(true, false),
            "jail sshd: reading was already paused"
        );
        assert_eq!(
            reading(false, true),
            "jail sshd: reading resumed from where it stopped"
        );
        assert_eq!(reading(false, false), "jail sshd: reading was not paused");
        let ban = |address: &str, start_ms, end_ms, remaining_ms| TimedBan {
            jail: "sshd".into(),
            address: address.into(),
            start_ms,
            end_ms,
            remaining_ms,
        };
        let bans = vec![
            ban(
                "192.0.2.7",
                Some(1_772_366_400_000),
                Some(1_772_367_000_000),
                Some(540_500),
            ),
            ban("2001:db8::/64", None, None, None),
        ];
        assert_eq!(
            human(&any, &Reply::BanTimes(bans)),
            "JAIL             ADDRESS                                  STARTED               ENDS                  LEFT\n\
             sshd             192.0.2.7                                2026-03-01T12:00:00Z  2026-03-01T12:10:00Z  9m1s\n\
             sshd             2001:db8::/64                            unknown               permanent             permanent"
        );
        assert_eq!(human(&any, &Reply::BanTimes(vec![])), "");
    }
}
