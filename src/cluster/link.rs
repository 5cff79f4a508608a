//! The state of the link to NATS as the log shows it: one line per change
//! (connected, disconnected, ...), never one per retry, and the delay
//! before the n-th reconnection attempt (exponential, capped, with jitter
//! passed in so tests are exact).

use std::time::Duration;

/// First retry delay.
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest delay between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Delay before attempt `attempt` (0 = first retry): 100 ms doubling up
/// to 10 s, plus `jitter` (0.0..1.0) of a quarter of it, so a fleet that
/// lost its server does not come back in lock-step.
pub fn backoff(attempt: usize, jitter: f64) -> Duration {
    let base = BACKOFF_MIN
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_MAX);
    base + base.mul_f64(jitter.clamp(0.0, 1.0) / 4.0)
}

/// What the link is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Connecting,
    Connected {
        server: String,
    },
    Disconnected,
    /// Connected, but the stream or consumer cannot be set up.
    Failing {
        error: String,
    },
}

/// Remembers the last state and words a change once.
#[derive(Debug)]
pub struct LinkLog {
    state: Link,
}

impl Default for LinkLog {
    fn default() -> LinkLog {
        LinkLog {
            state: Link::Connecting,
        }
    }
}

impl LinkLog {
    /// The line to log for `state`, or `None` if nothing changed.
    pub fn update(&mut self, state: Link) -> Option<String> {
        if state == self.state {
            return None;
        }
        let line = match &state {
            Link::Connecting => "cluster: connecting to NATS".to_string(),
            Link::Connected { server } => format!("cluster: connected to NATS at {server}"),
            Link::Disconnected => {
                "cluster: lost NATS; banning locally, decisions are kept and published when it is back (retrying with backoff)".to_string()
            }
            Link::Failing { error } => format!("cluster: NATS stream unusable: {error}"),
        };
        self.state = state;
        Some(line)
    }

    pub fn state(&self) -> &Link {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_bounded_jitter() {
        assert_eq!(backoff(0, 0.0), Duration::from_millis(100));
        assert_eq!(backoff(3, 0.0), Duration::from_millis(800));
        assert_eq!(backoff(7, 0.0), Duration::from_secs(10));
        assert_eq!(backoff(usize::MAX, 0.0), Duration::from_secs(10));
        assert_eq!(backoff(0, 1.0), Duration::from_millis(125));
        assert_eq!(backoff(50, 7.0), Duration::from_millis(12_500));
    }

    #[test]
    fn one_line_per_change_not_per_retry() {
        let mut log = LinkLog::default();
        assert_eq!(log.update(Link::Connecting), None);
        let up = Link::Connected {
            server: "nats://10.0.0.5:4222".into(),
        };
        assert_eq!(
            log.update(up.clone()).as_deref(),
            Some("cluster: connected to NATS at nats://10.0.0.5:4222")
        );
        assert_eq!(log.update(up), None);
        assert!(
            log.update(Link::Disconnected)
                .unwrap()
                .starts_with("cluster: lost NATS")
        );
        for _ in 0..100 {
            assert_eq!(log.update(Link::Disconnected), None);
        }
        assert_eq!(log.state(), &Link::Disconnected);
    }
}
