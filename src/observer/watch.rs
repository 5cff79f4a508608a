//! Watching our table for other processes' changes: a [`Monitor`] read on a
//! thread of its own (blocking netlink reads never touch actix's event
//! loop), bursts of changes folded into one [`Tampering`], sent to the
//! ObserverActor, which has the table repaired.
//!
//! Invariants:
//! - Transactions committed by our own sockets (registered with
//!   [`Monitor::add_own_port`]) are ignored, so a repair never triggers
//!   another one.
//! - One burst, one repair: after the first damaging change, changes keep
//!   joining it until [`QUIET`] passes without one, or [`LONGEST`] since
//!   the first, whichever comes first.
//! - The table watched is the one named at start: a reload that renames the
//!   table is watched from the next start on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Recipient;

use super::Tampered;
use crate::metrics::Metrics;
use crate::nft::{Change, Monitor, ObjectEvent};

/// A burst ends once no change came for this long.
pub const QUIET: Duration = Duration::from_millis(30);
/// A burst ends at the latest this long after its first change.
pub const LONGEST: Duration = Duration::from_millis(200);

/// What other processes did to our table in one burst.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tampering {
    /// What was removed, in the order seen, without repeats.
    pub damage: Vec<String>,
    /// The committing processes: pid and command, when the kernel said.
    pub processes: Vec<(Option<u32>, Option<String>)>,
    /// Notifications were lost: what happened is unknown.
    pub lost: bool,
    /// The ruleset's generation after the last damaging change seen.
    pub generation: Option<u32>,
}

impl Tampering {
    /// Takes in one change; whether it damaged our table (our own changes
    /// and additions do not).
    pub fn absorb(&mut self, change: &Change) -> bool {
        if change.ours {
            return false;
        }
        let mut damaged = false;
        for event in &change.events {
            let what = match event {
                ObjectEvent::TableDeleted => "table deleted".to_string(),
                ObjectEvent::ChainDeleted(c) => format!("chain {c} deleted"),
                ObjectEvent::SetDeleted(s) => format!("set {s} deleted"),
                ObjectEvent::RuleDeleted(c) => format!("rule deleted from chain {c}"),
                ObjectEvent::ElementsDeleted { set, .. } => format!("bans removed from set {set}"),
                ObjectEvent::Lost => {
                    self.lost = true;
                    damaged = true;
                    continue;
                }
                _ => continue,
            };
            damaged = true;
            if !self.damage.contains(&what) {
                self.damage.push(what);
            }
        }
        if damaged && change.generation.is_some() {
            self.generation = change.generation;
        }
        let process = (change.pid, change.process.clone());
        if damaged && change.pid.is_some() && !self.processes.contains(&process) {
            self.processes.push(process);
        }
        damaged
    }

    /// Whether only lost notifications are known (the table may be intact).
    pub fn only_lost(&self) -> bool {
        self.lost && self.damage.is_empty()
    }

    /// `table deleted by pid 4321 (nft)`: for the log line.
    pub fn describe(&self) -> String {
        // A deleted table takes its chain, sets and rules with it.
        let damage = if self.damage.iter().any(|d| d == "table deleted") {
            "table deleted".to_string()
        } else if self.damage.is_empty() {
            "notifications lost".to_string()
        } else {
            self.damage.join(", ")
        };
        let by: Vec<String> = self
            .processes
            .iter()
            .map(|(pid, name)| match (pid, name) {
                (Some(pid), Some(name)) => format!("pid {pid} ({name})"),
                (Some(pid), None) => format!("pid {pid}"),
                _ => "an unknown process".to_string(),
            })
            .collect();
        if by.is_empty() {
            damage
        } else {
            format!("{damage} by {}", by.join(", "))
        }
    }
}

/// Reads `monitor` until the ObserverActor is gone; runs on its own thread.
pub fn watch(mut monitor: Monitor, observer: Recipient<Tampered>, metrics: Arc<Metrics>) {
    loop {
        let change = match monitor.next_change(None) {
            Ok(Some(change)) => change,
            Ok(None) => continue,
            Err(e) => {
                metrics.netlink_error();
                tracing::error!("self-healing stops: {}", crate::error_chain(&e));
                return;
            }
        };
        if change.events.contains(&ObjectEvent::Lost) {
            metrics.netlink_error();
        }
        let mut burst = Tampering::default();
        if !burst.absorb(&change) {
            continue;
        }
        let first = Instant::now();
        while let Some(left) = LONGEST.checked_sub(first.elapsed()) {
            match monitor.next_change(Some(left.min(QUIET))) {
                Ok(Some(change)) => {
                    burst.absorb(&change);
                }
                _ => break,
            }
        }
        if !observer.connected() {
            return;
        }
        observer.do_send(Tampered(burst));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(events: Vec<ObjectEvent>, ours: bool) -> Change {
        Change {
            events,
            port_id: 77,
            pid: Some(4321),
            process: Some("nft".into()),
            ours,
            generation: Some(9),
        }
    }

    #[test]
    fn own_changes_and_additions_do_no_damage() {
        let mut t = Tampering::default();
        assert!(!t.absorb(&change(vec![ObjectEvent::TableDeleted], true)));
        assert!(!t.absorb(&change(vec![ObjectEvent::TableAdded], false)));
        assert_eq!(t, Tampering::default());
    }

    #[test]
    fn a_flushed_ruleset_reads_as_a_deleted_table_and_names_the_process() {
        let mut t = Tampering::default();
        let events = vec![
            ObjectEvent::RuleDeleted("input".into()),
            ObjectEvent::SetDeleted("sshd-v4".into()),
            ObjectEvent::TableDeleted,
        ];
        assert!(t.absorb(&change(events.clone(), false)));
        assert!(t.absorb(&change(events, false)));
        assert_eq!(t.describe(), "table deleted by pid 4321 (nft)");
        assert_eq!(t.generation, Some(9));
        assert!(!t.only_lost());
    }

    #[test]
    fn flushed_sets_are_listed_and_lost_notifications_said() {
        let mut t = Tampering::default();
        let mut c = change(
            vec![ObjectEvent::ElementsDeleted {
                set: "sshd-v4".into(),
                count: 2,
            }],
            false,
        );
        c.process = None;
        t.absorb(&c);
        assert_eq!(t.describe(), "bans removed from set sshd-v4 by pid 4321");
        let mut lost = Tampering::default();
        assert!(lost.absorb(&Change {
            events: vec![ObjectEvent::Lost],
            port_id: 0,
            pid: None,
            process: None,
            ours: false,
            generation: None,
        }));
        assert!(lost.only_lost());
        assert_eq!(lost.describe(), "notifications lost");
    }
}
