//! [`Fleet`]: the ClusterActor's decisions, without actix and without
//! NATS, at a given time `now`: which of the node's own bans and unbans go
//! into the outbox, which of them go out next, what a batch read from the
//! stream becomes (steps of remote bans and unbans, in stream order), and
//! what `status` and the metrics show.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use crate::cluster::decision::outgoing;
use crate::cluster::limiter::Rate;
use crate::cluster::link::Link;
use crate::cluster::{Applied, ClusterSettings, Decision, Intake, Kind, Outbox, Remote};
use crate::time::UnixMs;

use super::stored::{Key, Stored};

/// Decisions handed to one publish at most.
pub const PUBLISH_BATCH: usize = 5_000;
/// Decisions kept for NATS at most (a long outage): the oldest go first.
pub const OUTBOX_CAPACITY: usize = crate::cluster::outbox::DEFAULT_CAPACITY;

/// A run of remote decisions of one kind, applied in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Bans(Vec<Remote>),
    Unbans(Vec<Remote>),
}

/// One ban taken from the fleet, as the jail and the actions get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteBanPlan {
    pub origin: String,
    pub jail: String,
    pub addr: crate::network::Network,
    pub remaining: Duration,
    pub failures: u32,
}

/// What `status` shows of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FleetStatus {
    pub node: String,
    pub stream: String,
    /// `connected to nats://...`, `disconnected`, ...
    pub link: String,
    /// Messages the consumer has not delivered yet; none while unknown.
    pub lag: Option<u64>,
    /// Decisions published (acknowledged by JetStream).
    pub sent: u64,
    /// Decisions waiting for NATS.
    pub outbox: usize,
    /// Decisions applied, per origin.
    pub received: BTreeMap<String, u64>,
    /// Messages dropped, all reasons.
    pub dropped: u64,
}

impl FleetStatus {
    /// The status lines, one per fact.
    pub fn lines(&self) -> Vec<String> {
        let lag = self.lag.map_or("unknown".to_string(), |n| n.to_string());
        let received: Vec<String> = (self.received.iter())
            .map(|(origin, n)| format!("{origin} {n}"))
            .collect();
        vec![
            format!(
                "cluster: node {} in stream {}, {}",
                self.node, self.stream, self.link
            ),
            format!(
                "cluster: sent {}, waiting {}, consumer lag {lag}, dropped {}",
                self.sent, self.outbox, self.dropped
            ),
            format!(
                "cluster: received {}",
                if received.is_empty() {
                    "none".to_string()
                } else {
                    received.join(", ")
                }
            ),
        ]
    }
}

/// One node's side of the fleet.
#[derive(Debug)]
pub struct Fleet {
    settings: ClusterSettings,
    intake: Intake,
    outbox: Outbox,
    /// Which outbox entries are in LMDB.
    stored: Stored,
    sent: u64,
    lag: Option<u64>,
    link: Link,
}

impl Fleet {
    pub fn new(settings: ClusterSettings) -> Fleet {
        Fleet {
            intake: Intake::new(&settings, Rate::ORIGIN),
            outbox: Outbox::new(OUTBOX_CAPACITY),
            stored: Stored::default(),
            settings,
            sent: 0,
            lag: None,
            link: Link::Connecting,
        }
    }

    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    /// The kernel took `applied` at `now`: the local ones of shared jails
    /// join the outbox. Whether anything did.
    pub fn decided(&mut self, applied: &[Applied], now: UnixMs) -> bool {
        let mut queued = false;
        for a in applied {
            let Some(d) = outgoing(&self.settings, a, now) else {
                continue;
            };
            if let Some(subject) = d.subject(&self.settings.subject_prefix) {
                self.stored.queue(subject.clone(), &d);
                self.outbox.push(subject, d);
                self.stored.touched();
                queued = true;
            }
        }
        queued
    }

    /// Outbox entries read from LMDB at start (oldest first) join the
    /// outbox, unless a decision on their subject was made since (it is
    /// newer). Unreadable ones are removed by [`Fleet::stale`].
    pub fn restore(&mut self, entries: Vec<(u64, Vec<u8>)>) {
        let prefix = &self.settings.subject_prefix;
        for (seq, entry) in entries {
            let decision = serde_json::from_slice::<Decision>(&entry).ok();
            let Some((subject, d)) = decision.and_then(|d| Some((d.subject(prefix)?, d))) else {
                self.stored.restored(seq, None);
                continue;
            };
            let key = (subject.clone(), d.id.clone());
            if !self.outbox.has_subject(&subject) {
                self.outbox.push(subject, d);
            }
            self.stored.restored(seq, Some(key));
        }
    }

    /// The decisions to append to LMDB now: keys, then JSON entries
    /// (none while an append is on its way, unless `now`).
    pub fn to_store(&mut self, now: bool) -> (Vec<Key>, Vec<Vec<u8>>) {
        self.stored.take_unsaved(now)
    }

    /// LMDB stored `keys` under `seqs`, or failed to (`None`).
    pub fn stored(&mut self, keys: Vec<Key>, seqs: Option<&[u64]>) -> bool {
        self.stored.appended(keys, seqs);
        self.stored.has_unsaved()
    }

    /// LMDB entries to remove: no longer waiting in the outbox.
    pub fn stale(&mut self) -> Vec<u64> {
        let outbox = &self.outbox;
        self.stored.stale(|subject, id| outbox.holds(subject, id))
    }

    /// The decisions to publish next, oldest first (expired ones are
    /// dropped: nobody needs them).
    pub fn to_publish(&mut self, now: UnixMs) -> Vec<Decision> {
        if self.outbox.drop_expired(now) > 0 {
            self.stored.touched();
        }
        (self.outbox.pending(PUBLISH_BATCH))
            .map(|(_, d)| d.clone())
            .collect()
    }

    /// JetStream acknowledged `decision`: it leaves the outbox.
    pub fn published(&mut self, decision: &Decision) {
        if let Some(subject) = decision.subject(&self.settings.subject_prefix) {
            self.outbox.confirm(&subject, &decision.id);
            self.stored.touched();
            self.sent += 1;
        }
    }

    pub fn waiting(&self) -> usize {
        self.outbox.len()
    }

    /// What the messages read from the stream become at `now`: runs of
    /// bans and unbans in stream order (a ban then an unban of the same
    /// address must end unbanned); the rest is counted and dropped.
    pub fn admit<'a>(
        &mut self,
        messages: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        now: UnixMs,
    ) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        let mut carried = Vec::new();
        for (subject, payload) in messages {
            self.intake
                .admit_message(subject, payload, now, &mut carried);
        }
        for remote in carried {
            match (remote.kind, steps.last_mut()) {
                (Kind::Ban, Some(Step::Bans(run))) | (Kind::Unban, Some(Step::Unbans(run))) => {
                    run.push(remote)
                }
                (Kind::Ban, _) => steps.push(Step::Bans(vec![remote])),
                (Kind::Unban, _) => steps.push(Step::Unbans(vec![remote])),
            }
        }
        steps
    }

    /// The line about drops since the last, at most once a minute.
    pub fn drop_log(&mut self, now: UnixMs) -> Option<String> {
        self.intake.drop_log(now)
    }

    /// What the reader saw last: the link and the consumer's lag.
    pub fn observed(&mut self, link: Link, lag: Option<u64>) {
        self.link = link;
        if lag.is_some() {
            self.lag = lag;
        }
    }

    pub fn status(&self) -> FleetStatus {
        let link = match &self.link {
            Link::Connecting => "connecting".to_string(),
            Link::Connected { server } => format!("connected to {server}"),
            Link::Disconnected => "disconnected (banning locally, publishing later)".into(),
            Link::Failing { error } => format!("stream unusable: {error}"),
        };
        let dropped = (crate::cluster::Reject::ALL.iter())
            .filter(|r| **r != crate::cluster::Reject::OwnDecision)
            .map(|r| self.intake.dropped(*r))
            .sum();
        FleetStatus {
            node: self.settings.node.clone(),
            stream: self.settings.stream.clone(),
            link,
            lag: self.lag,
            sent: self.sent,
            outbox: self.outbox.len(),
            received: self.intake.received().clone(),
            dropped,
        }
    }

    /// `portcullis_cluster_*` in Prometheus text format.
    pub fn render_metrics(&self) -> String {
        let mut out = String::new();
        self.intake.render_metrics(&mut out);
        let connected = u8::from(matches!(self.link, Link::Connected { .. }));
        let _ = write!(
            out,
            "# TYPE portcullis_cluster_sent_total counter\nportcullis_cluster_sent_total {}\n\
             # TYPE portcullis_cluster_outbox gauge\nportcullis_cluster_outbox {}\n\
             # TYPE portcullis_cluster_evicted_total counter\nportcullis_cluster_evicted_total {}\n\
             # TYPE portcullis_cluster_connected gauge\nportcullis_cluster_connected {connected}\n",
            self.sent,
            self.outbox.len(),
            self.outbox.evicted()
        );
        if let Some(lag) = self.lag {
            let _ = writeln!(
                out,
                "# TYPE portcullis_cluster_consumer_lag gauge\nportcullis_cluster_consumer_lag {lag}"
            );
        }
        out
    }
}

/// The ban of `remote` (an address or a network) as this node applies it;
/// the jail's ignore rules decide next.
pub fn ban_plan(remote: &Remote) -> RemoteBanPlan {
    RemoteBanPlan {
        origin: remote.origin.clone(),
        jail: remote.jail.clone(),
        addr: remote.network,
        remaining: remote.remaining,
        failures: remote.failures,
    }
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;
