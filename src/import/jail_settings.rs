//! The time, repeat-offender, ignore and leftover settings of a fail2ban
//! jail, read for [`super::jail`]'s importer.

use std::time::Duration;

use super::jail::{ImportedJail, JailReader};
use super::values::parse_time;
use crate::config::{Growth, Increment};
use crate::fail2ban::Fail2banError;
use crate::time::BanTime;

impl JailReader<'_> {
    pub(super) fn read_times(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        if let Some(v) = self.get("maxretry")? {
            match v.parse::<u32>() {
                Ok(n) if n > 0 => jail.maxretry = Some(n),
                _ => self.note(
                    jail,
                    format!("maxretry = {v} is not a positive number; the default 5 is used"),
                ),
            }
        }
        for key in ["findtime", "bantime"] {
            let Some(v) = self.get(key)? else { continue };
            match (key, parse_time(&v)) {
                ("bantime", Ok(b)) => jail.bantime = Some(b),
                ("findtime", Ok(BanTime::For(d))) if !d.is_zero() => jail.findtime = Some(d),
                (_, Ok(_)) => self.note(
                    jail,
                    format!("{key} = {v} cannot be used; the default 10m is used"),
                ),
                (_, Err(why)) => self.note(jail, format!("{key}: {why}; the default 10m is used")),
            }
        }
        if jail.bantime == Some(BanTime::For(Duration::ZERO)) {
            self.note(
                jail,
                "bantime = 0 cannot be used; the default 10m is used".into(),
            );
            jail.bantime = None;
        }
        Ok(())
    }

    pub(super) fn read_increment(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        if self.boolean("bantime.increment")? != Some(true) {
            return Ok(());
        }
        let mut inc = Increment {
            growth: Growth::Exponential { factor: 1.0 },
            max: None,
            jitter: Duration::ZERO,
            across_jails: self.boolean("bantime.overalljails")? == Some(true),
        };
        if let Some(f) = self.get("bantime.factor")?.filter(|f| !f.is_empty()) {
            match f.parse::<f64>() {
                Ok(f) if f > 0.0 && f.is_finite() => inc.growth = Growth::Exponential { factor: f },
                _ => self.note(
                    jail,
                    format!("bantime.factor = {f} is not a positive number; 1 is used"),
                ),
            }
        }
        if let Some(formula) = self.get("bantime.formula")?.filter(|f| !f.is_empty())
            && !is_default_formula(&formula)
        {
            self.note(jail, format!("bantime.formula = {formula}: only the default formula (or bantime.multipliers) is available; the default is used"));
        }
        if let Some(m) = self.get("bantime.multipliers")?.filter(|m| !m.is_empty()) {
            let list: Result<Vec<f64>, _> = m.split_whitespace().map(str::parse::<f64>).collect();
            match list {
                Ok(l) if !l.is_empty() && l.iter().all(|x| *x > 0.0 && x.is_finite()) => {
                    inc.growth = Growth::Multipliers(l)
                }
                _ => self.note(
                    jail,
                    format!("bantime.multipliers = {m} are not all positive numbers; not used"),
                ),
            }
        }
        for (key, slot) in [("bantime.maxtime", 0), ("bantime.rndtime", 1)] {
            let Some(v) = self.get(key)?.filter(|v| !v.is_empty()) else {
                continue;
            };
            match parse_time(&v) {
                Ok(BanTime::For(d)) if slot == 0 => inc.max = Some(d),
                Ok(BanTime::For(d)) => inc.jitter = d,
                _ => self.note(jail, format!("{key} = {v} is not a time; not used")),
            }
        }
        jail.increment = Some(inc);
        Ok(())
    }

    pub(super) fn read_ignore(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        jail.ignoreself = self.boolean("ignoreself")?;
        let text = self.get("ignoreip")?.unwrap_or_default();
        for word in text.split([',', ' ', '\t', '\n']).filter(|w| !w.is_empty()) {
            match crate::config::parse_network(word) {
                Ok(_) => jail.ignore.push(word.to_string()),
                Err(_) => self.note(jail, format!("ignoreip {word}: host names and files are not resolved; add its addresses to `ignore`")),
            }
        }
        Ok(())
    }

    /// Settings fail2ban reads that portcullis has no counterpart for.
    pub(super) fn read_unmapped(&self, jail: &mut ImportedJail) -> Result<(), Fail2banError> {
        for key in [
            "ignorecommand",
            "ignorecache",
            "logtimezone",
            "datepattern",
            "prefregex",
            "failregex",
            "ignoreregex",
            "maxlines",
        ] {
            if let Some(v) = self.get(key)?.filter(|v| !v.is_empty()) {
                self.note(
                    jail,
                    format!(
                        "{key} = {}: no counterpart in a portcullis jail; not mapped",
                        first_line(&v)
                    ),
                );
            }
        }
        if let Some(v) = self.get("usedns")?.filter(|v| v == "yes") {
            self.note(jail, format!("usedns = {v}: portcullis never resolves host names found in logs; such lines are not counted"));
        }
        if let Some(v) = self
            .get("logencoding")?
            .filter(|v| !matches!(v.to_lowercase().as_str(), "" | "auto" | "utf-8" | "utf8"))
        {
            self.note(
                jail,
                format!(
                    "logencoding = {v}: portcullis reads logs as UTF-8 (invalid bytes replaced)"
                ),
            );
        }
        Ok(())
    }
}

/// The value's first line, with a mark when there are more.
fn first_line(v: &str) -> String {
    let mut lines = v.lines();
    let first = lines.next().unwrap_or("").to_string();
    if lines.next().is_some() {
        format!("{first} ...")
    } else {
        first
    }
}

/// fail2ban's default formula, spaces aside.
fn is_default_formula(formula: &str) -> bool {
    let squeezed: String = formula.chars().filter(|c| !c.is_whitespace()).collect();
    squeezed == "ban.Time*(1<<(ban.Countifban.Count<20else20))*banFactor"
}
