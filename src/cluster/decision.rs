//! A decision as it travels: the JSON body of one message, and the rule
//! for which of this node's own bans and unbans are published at all.
//!
//! Body (serde JSON, unknown fields refused so a typo is not silently
//! ignored):
//!
//! ```json
//! {"origin":"gate-1","jail":"sshd","target":"203.0.113.7","kind":"ban",
//!  "expires":{"at":1764979200000},"failures":5,"at":1764892800000,
//!  "id":"gate-1:sshd:203.0.113.7:ban:1764892800000"}
//! ```
//!
//! `expires` is `"permanent"` or `{"at": UnixMs}` (nats-server 2.9 has no
//! per-message TTL, so a message carries its own end). An unban carries
//! the end of the ban it lifts: after that it is moot. `id` goes out as
//! the `Nats-Msg-Id` header, so JetStream drops a second publish of the
//! same decision (a retry from the outbox) within its de-duplication
//! window; it is built from the decision itself, so a retry has the same.

use serde::{Deserialize, Serialize};

use crate::nft::Network;
use crate::time::{BanTime, UnixMs};

use super::settings::{ClusterSettings, is_token};
use super::subject;

/// Ban or unban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Ban,
    Unban,
}

/// When a decision stops mattering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expiry {
    /// Milliseconds since the epoch.
    At(u64),
    Permanent,
}

impl Expiry {
    /// The end of a ban of `bantime` starting at `start`.
    pub fn of(start: UnixMs, bantime: BanTime) -> Expiry {
        match bantime {
            BanTime::For(d) => Expiry::At(start.after(d).as_millis()),
            BanTime::Permanent => Expiry::Permanent,
        }
    }
}

/// The body of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub origin: String,
    pub jail: String,
    /// An address (`203.0.113.7`) or a network (`2001:db8::/64`).
    pub target: String,
    pub kind: Kind,
    pub expires: Expiry,
    pub failures: u32,
    /// When the origin decided, milliseconds since the epoch.
    pub at: u64,
    /// JetStream's `Nats-Msg-Id`.
    pub id: String,
}

impl Decision {
    /// The subject this decision is published on.
    pub fn subject(&self, prefix: &str) -> Option<String> {
        let network = parse_target(&self.target)?;
        Some(subject::subject(prefix, &self.origin, &self.jail, &network))
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a Decision always serialises")
    }
}

/// `203.0.113.7` or `203.0.113.0/24` (host bits must be clear).
pub fn parse_target(text: &str) -> Option<Network> {
    let network = match text.split_once('/') {
        None => Network::host(text.parse().ok()?),
        Some((addr, len)) => {
            let addr = addr.parse().ok()?;
            let len: u8 = len.parse().ok()?;
            let network = Network::new(addr, len);
            (network.addr == addr && len <= if addr.is_ipv4() { 32 } else { 128 })
                .then_some(network)?
        }
    };
    Some(network)
}

/// Where a ban or unban this node applies came from: only `Local` ones
/// are published (bans restored at start and bans taken from other nodes
/// would otherwise echo around the fleet for ever).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// From this node's logs, its recidive jail, or by hand.
    Local,
    /// Re-applied from the database at start.
    Restored,
    /// Taken from another node's decision.
    Remote { origin: String },
}

/// A ban or unban the node has just applied, as the actions side reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub provenance: Provenance,
    pub jail: String,
    pub network: Network,
    pub kind: Kind,
    /// For a ban: its end; for an unban: the end of the ban lifted.
    pub expires: Expiry,
    pub failures: u32,
}

/// The message to publish for `applied` at `now`, or `None` when it is not
/// to be published: not local, or its jail is not shared (or its name
/// cannot be a subject token).
pub fn outgoing(settings: &ClusterSettings, applied: &Applied, now: UnixMs) -> Option<Decision> {
    if applied.provenance != Provenance::Local
        || !settings.share.contains(&applied.jail)
        || !is_token(&applied.jail)
    {
        return None;
    }
    let target = applied.network.to_string();
    let kind = match applied.kind {
        Kind::Ban => "ban",
        Kind::Unban => "unban",
    };
    let id = format!(
        "{}:{}:{target}:{kind}:{}",
        settings.node,
        applied.jail,
        now.as_millis()
    );
    Some(Decision {
        origin: settings.node.clone(),
        jail: applied.jail.clone(),
        target,
        kind: applied.kind,
        expires: applied.expires,
        failures: applied.failures,
        at: now.as_millis(),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::settings::Jails;
    use std::time::Duration;

    fn applied(provenance: Provenance, jail: &str) -> Applied {
        Applied {
            provenance,
            jail: jail.into(),
            network: Network::host("203.0.113.7".parse().unwrap()),
            kind: Kind::Ban,
            expires: Expiry::of(UnixMs(1_000), BanTime::For(Duration::from_secs(600))),
            failures: 5,
        }
    }

    fn settings() -> ClusterSettings {
        ClusterSettings::new(vec!["nats://h:4222".into()], "gate-1")
    }

    #[test]
    fn golden_body_both_directions() {
        let d = outgoing(
            &settings(),
            &applied(Provenance::Local, "sshd"),
            UnixMs(1_000),
        );
        let d = d.unwrap();
        let json = r#"{"origin":"gate-1","jail":"sshd","target":"203.0.113.7","kind":"ban","expires":{"at":601000},"failures":5,"at":1000,"id":"gate-1:sshd:203.0.113.7:ban:1000"}"#;
        assert_eq!(String::from_utf8(d.to_json()).unwrap(), json);
        assert_eq!(serde_json::from_str::<Decision>(json).unwrap(), d);
        assert_eq!(
            d.subject("portcullis").unwrap(),
            "portcullis.gate-1.sshd.203-0-113-7"
        );
        let permanent = json.replace(r#"{"at":601000}"#, r#""permanent""#);
        let p: Decision = serde_json::from_str(&permanent).unwrap();
        assert_eq!(p.expires, Expiry::Permanent);
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused() {
        let json = r#"{"origin":"a","jail":"s","target":"1.2.3.4","kind":"ban","expires":"permanent","failures":1,"at":1,"id":"x","extra":1}"#;
        assert!(serde_json::from_str::<Decision>(json).is_err());
        let json = json
            .replace(r#","extra":1"#, "")
            .replace("\"ban\"", "\"banish\"");
        assert!(serde_json::from_str::<Decision>(&json).is_err());
    }

    #[test]
    fn only_local_bans_of_shared_jails_are_published() {
        let mut s = settings();
        let now = UnixMs(1_000);
        assert!(outgoing(&s, &applied(Provenance::Restored, "sshd"), now).is_none());
        let remote = Provenance::Remote { origin: "b".into() };
        assert!(outgoing(&s, &applied(remote, "sshd"), now).is_none());
        assert!(outgoing(&s, &applied(Provenance::Local, "ng.inx"), now).is_none());
        s.share = Jails::only(["nginx"]);
        assert!(outgoing(&s, &applied(Provenance::Local, "sshd"), now).is_none());
        assert!(outgoing(&s, &applied(Provenance::Local, "nginx"), now).is_some());
    }

    #[test]
    fn targets_are_addresses_or_clean_networks() {
        assert!(parse_target("203.0.113.7").is_some());
        assert!(parse_target("2001:db8::/32").is_some());
        assert_eq!(parse_target("203.0.113.7/24"), None);
        assert_eq!(parse_target("203.0.113.0/33"), None);
        assert_eq!(parse_target("example.org"), None);
        assert_eq!(parse_target(""), None);
        let unban = Expiry::of(UnixMs(5), BanTime::Permanent);
        assert_eq!(unban, Expiry::Permanent);
    }
}
