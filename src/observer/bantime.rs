//! The ban time increment: how long a ban lasts given how often the
//! address was banned before. Computed before the ban goes to the kernel
//! (fail2ban applies it afterwards, so the first kernel timeout is wrong).

use std::time::Duration;

use crate::config::{BanTime, Growth, Increment};

/// The ban time for an address banned `previous` times before. `random`
/// in `[0, 1)` picks the jitter.
pub fn ban_time(
    base: BanTime,
    increment: Option<&Increment>,
    previous: u32,
    random: f64,
) -> BanTime {
    let (BanTime::For(base), Some(inc)) = (base, increment) else {
        return base;
    };
    let factor = match &inc.growth {
        Growth::Exponential { .. } if previous == 0 => 1.0,
        Growth::Exponential { factor } => factor * f64::from(1u32 << previous.min(20)),
        Growth::Multipliers(m) => m[(previous as usize).min(m.len() - 1)],
    };
    let mut secs = base.as_secs_f64() * factor;
    if let Some(max) = inc.max {
        secs = secs.min(max.as_secs_f64());
    }
    secs += inc.jitter.as_secs_f64() * random.clamp(0.0, 1.0);
    // At most ~100 years: beyond that the kernel's millisecond timeout overflows.
    BanTime::For(Duration::from_secs_f64(secs.clamp(1.0, 3.15e9)))
}

/// A number in `[0, 1)` from the standard library's randomly keyed hasher.
pub fn random_unit() -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let bits = RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(growth: Growth, max: Option<u64>, jitter: u64) -> Increment {
        Increment {
            growth,
            max: max.map(Duration::from_secs),
            jitter: Duration::from_secs(jitter),
            across_jails: false,
        }
    }

    fn secs(b: BanTime) -> u64 {
        b.timeout().unwrap().as_secs()
    }

    const TEN_MIN: BanTime = BanTime::For(Duration::from_secs(600));

    #[test]
    fn exponential_doubles_after_the_first_ban() {
        let i = inc(Growth::Exponential { factor: 1.0 }, None, 0);
        let got: Vec<u64> = (0..4)
            .map(|n| secs(ban_time(TEN_MIN, Some(&i), n, 0.0)))
            .collect();
        assert_eq!(got, vec![600, 1200, 2400, 4800]);
    }

    #[test]
    fn multipliers_stick_at_the_last_and_max_caps() {
        let i = inc(Growth::Multipliers(vec![1.0, 5.0, 30.0]), Some(7200), 0);
        let got: Vec<u64> = (0..5)
            .map(|n| secs(ban_time(TEN_MIN, Some(&i), n, 0.0)))
            .collect();
        assert_eq!(got, vec![600, 3000, 7200, 7200, 7200]);
    }

    #[test]
    fn jitter_adds_up_to_its_length_and_permanent_stays() {
        let i = inc(Growth::Exponential { factor: 1.0 }, None, 60);
        assert_eq!(secs(ban_time(TEN_MIN, Some(&i), 0, 0.5)), 630);
        assert_eq!(
            ban_time(BanTime::Permanent, Some(&i), 3, 0.5),
            BanTime::Permanent
        );
        assert_eq!(ban_time(TEN_MIN, None, 9, 0.5), TEN_MIN);
        let r = random_unit();
        assert!((0.0..1.0).contains(&r));
    }
}
