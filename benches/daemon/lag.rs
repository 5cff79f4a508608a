//! The daemon's own account next to the kernel's: when its log line or its
//! metrics showed what the kernel held, relative to the moment the kernel
//! was seen holding it.

use std::path::Path;
use std::time::{Duration, Instant};

use super::figures::Figures;
use super::{LIMIT, ms, read_log};

/// When the kernel showed something, to compare the daemon's log and
/// metrics with.
pub struct Kernel {
    at: Instant,
    wall_ms: f64,
}

impl Kernel {
    pub fn seen(at: Instant) -> Kernel {
        Kernel {
            at,
            wall_ms: wall_now_ms() - ms(at.elapsed()),
        }
    }

    /// The timestamp of the daemon's last log line holding `needle`, minus
    /// the kernel's moment.
    pub fn log_lag(&self, figures: &mut Figures, dir: &Path, name: &str, needle: &str) {
        let logged = logged_ms(dir, needle);
        figures.add(name, "ms", "target within 100 ms", logged - self.wall_ms);
    }

    /// When the metrics endpoint showed it, minus the kernel's moment.
    pub fn metrics_lag(&self, figures: &mut Figures, name: &str, shown: Instant) {
        let lag = if shown >= self.at {
            ms(shown - self.at)
        } else {
            -ms(self.at - shown)
        };
        figures.add(name, "ms", "target within 100 ms", lag);
    }
}

/// The wall-clock time (unix ms) of the daemon's last log line holding
/// `needle`, from its `2026-11-27 12:00:00.123` prefix (local time).
fn logged_ms(dir: &Path, needle: &str) -> f64 {
    let end = Instant::now() + LIMIT;
    loop {
        let log = read_log(dir);
        if let Some(line) = log.lines().rfind(|l| l.contains(needle)) {
            let stamp: jiff::civil::DateTime = line[..23].parse().expect("a timestamp");
            let zoned = stamp.to_zoned(jiff::tz::TimeZone::system()).unwrap();
            return zoned.timestamp().as_millisecond() as f64;
        }
        assert!(Instant::now() < end, "the daemon never logged {needle:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wall_now_ms() -> f64 {
    jiff::Timestamp::now().as_microsecond() as f64 / 1000.0
}
