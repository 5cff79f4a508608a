//! What this node does with a message read from the stream: apply the
//! decision it carries (or each of a block's, [`super::block`]) as a
//! remote ban or unban, or drop it for one [`Reject`] reason, counted.
//!
//! The checks, cheapest first, so a flood costs little: size, subject
//! (ours, well formed), not our own decision coming back, the per-origin
//! rate limit (keyed by the subject's origin, which NATS permissions tie
//! to the publisher's credentials), the JSON body, body and subject
//! agreeing (origin, jail, target), an accepted jail, a target neither
//! too wide nor special (unspecified, loopback, multicast), not expired at
//! `now`. Each decision of a block passes the same checks and the rate
//! limit on its own; a block whose body is not a JSON array of decisions
//! is dropped whole. A ban's remaining time is capped at `max-bantime`. Nothing here
//! panics on any input (a property test feeds it arbitrary bytes), and its
//! memory is bounded by the limiter and the per-origin tables.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::nft::Network;
use crate::time::UnixMs;

use super::block::{MAX_BLOCK_PAYLOAD, parse_block};
use super::decision::{Decision, Expiry, Kind, parse_target};
use super::limiter::{OriginLimiter, Rate};
use super::settings::{ClusterSettings, Jails};
use super::subject::{SubjectError, SubjectParts, Target, parse_subject};

/// Largest body accepted; a decision is about 200 bytes.
pub const MAX_PAYLOAD: usize = 4096;
/// Widest IPv4 network taken from another node.
pub const MIN_PREFIX_V4: u8 = 16;
/// Widest IPv6 network taken from another node.
pub const MIN_PREFIX_V6: u8 = 32;
/// Origins counted by name in [`Intake::received`]; the rest as `other`.
pub const MAX_COUNTED_ORIGINS: usize = 256;
/// Drops are logged at most this often.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

/// Why a message was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum Reject {
    #[error("larger than 4096 bytes (a block: 262144)")]
    TooLarge,
    #[error("subject is not PREFIX.node.jail.address")]
    BadSubject,
    #[error("origin over its rate limit")]
    RateLimited,
    #[error("body is not a decision (or a block: a list of at most 1000)")]
    Malformed,
    #[error("body names another origin than its subject")]
    OriginMismatch,
    #[error("body names another jail or address than its subject")]
    SubjectMismatch,
    #[error("our own decision")]
    OwnDecision,
    #[error("jail not accepted from other nodes")]
    JailNotAccepted,
    #[error("address cannot be banned (unspecified, loopback or multicast)")]
    Unbannable,
    #[error("network wider than /16 (IPv4) or /32 (IPv6)")]
    TooWide,
    #[error("expired")]
    Expired,
}

impl Reject {
    pub const ALL: [Reject; 11] = [
        Reject::TooLarge,
        Reject::BadSubject,
        Reject::RateLimited,
        Reject::Malformed,
        Reject::OriginMismatch,
        Reject::SubjectMismatch,
        Reject::OwnDecision,
        Reject::JailNotAccepted,
        Reject::Unbannable,
        Reject::TooWide,
        Reject::Expired,
    ];

    /// The `reason` label of `portcullis_cluster_dropped_total`.
    pub fn label(self) -> &'static str {
        match self {
            Reject::TooLarge => "too_large",
            Reject::BadSubject => "bad_subject",
            Reject::RateLimited => "rate_limited",
            Reject::Malformed => "malformed",
            Reject::OriginMismatch => "origin_mismatch",
            Reject::SubjectMismatch => "subject_mismatch",
            Reject::OwnDecision => "own",
            Reject::JailNotAccepted => "jail_not_accepted",
            Reject::Unbannable => "unbannable",
            Reject::TooWide => "too_wide",
            Reject::Expired => "expired",
        }
    }
}

impl From<SubjectError> for Reject {
    fn from(_: SubjectError) -> Reject {
        Reject::BadSubject
    }
}

impl From<serde_json::Error> for Reject {
    fn from(_: serde_json::Error) -> Reject {
        Reject::Malformed
    }
}

/// A decision to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub origin: String,
    pub jail: String,
    pub network: Network,
    pub kind: Kind,
    /// Time left, capped at `max-bantime` (a permanent ban gets the cap).
    pub remaining: Duration,
    pub failures: u32,
}

/// The decisions of one node about incoming messages, and its counters.
#[derive(Debug)]
pub struct Intake {
    prefix: String,
    node: String,
    accept: Jails,
    max_bantime: Duration,
    limiter: OriginLimiter,
    dropped: BTreeMap<Reject, u64>,
    received: BTreeMap<String, u64>,
    unlogged: u64,
    last_log: Option<UnixMs>,
}

impl Intake {
    pub fn new(settings: &ClusterSettings, rate: Rate) -> Intake {
        Intake {
            prefix: settings.subject_prefix.clone(),
            node: settings.node.clone(),
            accept: settings.accept.clone(),
            max_bantime: settings.max_bantime,
            limiter: OriginLimiter::new(rate),
            dropped: BTreeMap::new(),
            received: BTreeMap::new(),
            unlogged: 0,
            last_log: None,
        }
    }

    /// What one message read from the stream carries: each decision to
    /// apply is pushed onto `out`, in order; every drop is counted (a
    /// block's decisions one by one, a block dropped whole once).
    pub fn admit_message(
        &mut self,
        subject: &str,
        payload: &[u8],
        now: UnixMs,
        out: &mut Vec<Remote>,
    ) {
        let parts = match self.route(subject, payload) {
            Ok(parts) => parts,
            Err(reject) => return self.count(&Err(reject)),
        };
        match parts.target {
            Target::Network(network) => {
                let verdict = self.check_one(&parts, network, payload, now);
                self.count(&verdict);
                out.extend(verdict);
            }
            Target::Block => {
                let Some(decisions) = parse_block(payload) else {
                    return self.count(&Err(Reject::Malformed));
                };
                for body in decisions {
                    let verdict = if self.limiter.allow(&parts.origin, now) {
                        self.decide(&parts, None, body, now)
                    } else {
                        Err(Reject::RateLimited)
                    };
                    self.count(&verdict);
                    out.extend(verdict);
                }
            }
        }
    }

    /// The one decision `payload` on `subject` carries, or why it is
    /// dropped; either way counted. A block's subject is refused here.
    pub fn admit(&mut self, subject: &str, payload: &[u8], now: UnixMs) -> Result<Remote, Reject> {
        let verdict = self
            .route(subject, payload)
            .and_then(|parts| match parts.target {
                Target::Network(network) => self.check_one(&parts, network, payload, now),
                Target::Block => Err(Reject::BadSubject),
            });
        self.count(&verdict);
        verdict
    }

    fn count(&mut self, verdict: &Result<Remote, Reject>) {
        match verdict {
            Ok(remote) => self.count_received(&remote.origin),
            Err(reject) => {
                *self.dropped.entry(*reject).or_default() += 1;
                self.unlogged += u64::from(*reject != Reject::OwnDecision);
            }
        }
    }

    /// The checks on the subject, cheapest first.
    fn route(&self, subject: &str, payload: &[u8]) -> Result<SubjectParts, Reject> {
        if payload.len() > MAX_BLOCK_PAYLOAD {
            return Err(Reject::TooLarge);
        }
        let parts = parse_subject(&self.prefix, subject)?;
        if parts.origin == self.node {
            return Err(Reject::OwnDecision);
        }
        if parts.target != Target::Block && payload.len() > MAX_PAYLOAD {
            return Err(Reject::TooLarge);
        }
        Ok(parts)
    }

    fn check_one(
        &mut self,
        parts: &SubjectParts,
        network: Network,
        payload: &[u8],
        now: UnixMs,
    ) -> Result<Remote, Reject> {
        if !self.limiter.allow(&parts.origin, now) {
            return Err(Reject::RateLimited);
        }
        let body: Decision = serde_json::from_slice(payload)?;
        self.decide(parts, Some(network), body, now)
    }

    /// A decision's own checks; `network` is its subject's (none in a
    /// block, where the body's target must parse).
    fn decide(
        &self,
        parts: &SubjectParts,
        network: Option<Network>,
        body: Decision,
        now: UnixMs,
    ) -> Result<Remote, Reject> {
        if body.origin != parts.origin {
            return Err(Reject::OriginMismatch);
        }
        let target = parse_target(&body.target).ok_or(Reject::SubjectMismatch)?;
        if body.jail != parts.jail || network.is_some_and(|n| n != target) {
            return Err(Reject::SubjectMismatch);
        }
        if !self.accept.contains(&body.jail) {
            return Err(Reject::JailNotAccepted);
        }
        check_bannable(&target)?;
        let remaining = match body.expires {
            Expiry::Permanent => self.max_bantime,
            Expiry::At(end) if end <= now.as_millis() => return Err(Reject::Expired),
            Expiry::At(end) => UnixMs(end).since(now).min(self.max_bantime),
        };
        Ok(Remote {
            origin: body.origin,
            jail: body.jail,
            network: target,
            kind: body.kind,
            remaining,
            failures: body.failures,
        })
    }

    fn count_received(&mut self, origin: &str) {
        let key = if self.received.contains_key(origin) || self.received.len() < MAX_COUNTED_ORIGINS
        {
            origin
        } else {
            "other"
        };
        *self.received.entry(key.to_string()).or_default() += 1;
    }

    /// Messages dropped for `reason` so far.
    pub fn dropped(&self, reason: Reject) -> u64 {
        self.dropped.get(&reason).copied().unwrap_or(0)
    }

    /// Decisions accepted per origin (at most [`MAX_COUNTED_ORIGINS`]
    /// names, then `other`).
    pub fn received(&self) -> &BTreeMap<String, u64> {
        &self.received
    }

    /// One line about the drops since the last, at most once a
    /// [`LOG_EVERY`]; our own decisions coming back are not news.
    pub fn drop_log(&mut self, now: UnixMs) -> Option<String> {
        if self.unlogged == 0 || self.last_log.is_some_and(|t| now.since(t) < LOG_EVERY) {
            return None;
        }
        let reasons: Vec<String> = self
            .dropped
            .iter()
            .filter(|(r, _)| **r != Reject::OwnDecision)
            .map(|(r, n)| format!("{} {n}", r.label()))
            .collect();
        let line = format!(
            "cluster: dropped {} message(s) from the stream since the last report (totals: {})",
            self.unlogged,
            reasons.join(", ")
        );
        self.unlogged = 0;
        self.last_log = Some(now);
        Some(line)
    }

    /// `portcullis_cluster_*` counters in Prometheus text format.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        out.push_str("# TYPE portcullis_cluster_dropped_total counter\n");
        for reason in Reject::ALL {
            let n = self.dropped(reason);
            let _ = writeln!(
                out,
                "portcullis_cluster_dropped_total{{reason=\"{}\"}} {n}",
                reason.label()
            );
        }
        out.push_str("# TYPE portcullis_cluster_received_total counter\n");
        for (origin, n) in &self.received {
            let _ = writeln!(
                out,
                "portcullis_cluster_received_total{{origin=\"{}\"}} {n}",
                crate::metrics::render::escape_label(origin)
            );
        }
    }
}

/// Refuses targets no node should ban on another's word.
fn check_bannable(network: &Network) -> Result<(), Reject> {
    let min = if network.addr.is_ipv4() {
        MIN_PREFIX_V4
    } else {
        MIN_PREFIX_V6
    };
    if network.prefix_len < min {
        return Err(Reject::TooWide);
    }
    let unbannable = match network.addr {
        IpAddr::V4(a) => {
            a.is_unspecified() || a.is_loopback() || a.is_multicast() || a.is_broadcast()
        }
        IpAddr::V6(a) => a.is_unspecified() || a.is_loopback() || a.is_multicast(),
    };
    if unbannable {
        return Err(Reject::Unbannable);
    }
    Ok(())
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
