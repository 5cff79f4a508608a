//! The settings a jail takes from `defaults` or its own block, and how each
//! KDL node sets one.

use std::net::IpAddr;
use std::time::Duration;

use kdl::{KdlEntry, KdlNode, KdlValue};

use crate::diagnostic::{KdlProblem, SourceFile};
use crate::nft::{BanVerdict, Network, Ports};
use crate::time::{BanTime, parse_bantime, parse_duration};

/// A jail's tunables.
#[derive(Debug, Clone, PartialEq)]
pub struct JailSettings {
    /// Failures within `findtime` that trigger a ban.
    pub maxretry: u32,
    pub findtime: Duration,
    pub bantime: BanTime,
    pub increment: Option<Increment>,
    /// Addresses and networks never banned.
    pub ignore: Vec<Network>,
    /// Never ban the host's own addresses (and loopback).
    pub ignoreself: bool,
    pub ports: Ports,
    pub verdict: BanVerdict,
    pub v6_prefix: Option<u8>,
    /// Most addresses tracked in the failure table; the oldest go first.
    pub max_tracked: usize,
    /// Programs run on bans and unbans.
    pub notify: Vec<crate::notify::NotifyAction>,
}

impl Default for JailSettings {
    fn default() -> Self {
        JailSettings {
            maxretry: 5,
            findtime: Duration::from_secs(600),
            bantime: BanTime::For(Duration::from_secs(600)),
            increment: None,
            ignore: Vec::new(),
            ignoreself: true,
            ports: Ports::All,
            verdict: BanVerdict::Drop,
            v6_prefix: None,
            max_tracked: 1_000_000,
            notify: Vec::new(),
        }
    }
}

/// Longer bans for repeat offenders.
#[derive(Debug, Clone, PartialEq)]
pub struct Increment {
    pub growth: Growth,
    /// No ban is longer than this.
    pub max: Option<Duration>,
    /// A random extra in `[0, jitter)`, so bans do not all end together.
    pub jitter: Duration,
    /// Count earlier bans in every jail, not only this one.
    pub across_jails: bool,
}

/// How the ban time grows with the number `n` of earlier bans.
#[derive(Debug, Clone, PartialEq)]
pub enum Growth {
    /// `bantime * factor * 2^min(n, 20)` for `n > 0` (fail2ban's default formula).
    Exponential { factor: f64 },
    /// `bantime * multipliers[min(n, len - 1)]`.
    Multipliers(Vec<f64>),
}

/// `192.0.2.1`, `192.0.2.0/24`, `2001:db8::/32`.
pub fn parse_network(text: &str) -> Result<Network, String> {
    let bad = || format!("{text:?} is not an IP address or network (a.b.c.d[/len], ipv6[/len])");
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(bad)?,
        None => max,
    };
    Ok(Network::new(addr, len))
}

/// The positional arguments of a node.
pub(super) fn args(node: &KdlNode) -> impl Iterator<Item = &KdlEntry> {
    node.entries().iter().filter(|e| e.name().is_none())
}

/// Problems for every property of a node that takes none.
pub(super) fn no_properties(node: &KdlNode, file: &SourceFile) -> Vec<KdlProblem> {
    node.entries()
        .iter()
        .filter_map(|e| e.name().map(|n| (e, n)))
        .map(|(e, n)| {
            file.error(
                e.span(),
                format!("`{}` takes no property {}", node.name().value(), n.value()),
            )
        })
        .collect()
}

/// The single positional argument of a node.
pub(super) fn single<'a>(node: &'a KdlNode, file: &SourceFile) -> Result<&'a KdlEntry, KdlProblem> {
    let mut it = args(node);
    let key = node.name().value();
    match (it.next(), it.next()) {
        (Some(e), None) => Ok(e),
        (None, _) => Err(file.error(node.span(), format!("`{key}` needs one value"))),
        (Some(_), Some(extra)) => Err(file.error(extra.span(), format!("`{key}` takes one value"))),
    }
}

pub(super) fn string<'a>(
    entry: &'a KdlEntry,
    key: &str,
    file: &SourceFile,
) -> Result<&'a str, KdlProblem> {
    entry
        .value()
        .as_string()
        .ok_or_else(|| file.error(entry.span(), format!("`{key}` takes a string")))
}

pub(super) fn integer(
    entry: &KdlEntry,
    key: &str,
    range: std::ops::RangeInclusive<i128>,
    file: &SourceFile,
) -> Result<i128, KdlProblem> {
    match entry.value() {
        KdlValue::Integer(n) if range.contains(n) => Ok(*n),
        _ => Err(file.error(
            entry.span(),
            format!(
                "`{key}` takes an integer from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

pub(super) fn boolean(entry: &KdlEntry, key: &str, file: &SourceFile) -> Result<bool, KdlProblem> {
    entry
        .value()
        .as_bool()
        .ok_or_else(|| file.error(entry.span(), format!("`{key}` takes #true or #false")))
}

/// A duration given as a string (`"10m"`) or an integer of seconds.
pub(super) fn duration(
    entry: &KdlEntry,
    key: &str,
    file: &SourceFile,
) -> Result<Duration, KdlProblem> {
    let text = match entry.value() {
        KdlValue::Integer(n) if *n >= 0 => n.to_string(),
        KdlValue::String(s) => s.clone(),
        _ => {
            return Err(file.error(
                entry.span(),
                format!("`{key}` takes a duration such as \"10m\""),
            ));
        }
    };
    parse_duration(&text).map_err(|m| file.error(entry.span(), format!("`{key}`: {m}")))
}

impl JailSettings {
    /// Applies one node; `None` when the node is not a jail setting.
    pub(super) fn apply(&mut self, node: &KdlNode, file: &SourceFile) -> Option<Vec<KdlProblem>> {
        let key = node.name().value();
        let mut problems = if key == "bantime-increment" || key == "notify" {
            Vec::new()
        } else {
            no_properties(node, file)
        };
        let result = match key {
            "maxretry" => single(node, file)
                .and_then(|e| integer(e, key, 1..=1_000_000, file))
                .map(|n| self.maxretry = n as u32),
            "findtime" => single(node, file)
                .and_then(|e| positive(duration(e, key, file)?, e, key, file))
                .map(|d| self.findtime = d),
            "bantime" => single(node, file).and_then(|e| self.set_bantime(e, file)),
            "max-tracked" => single(node, file)
                .and_then(|e| integer(e, key, 1..=100_000_000, file))
                .map(|n| self.max_tracked = n as usize),
            "ignoreself" => single(node, file)
                .and_then(|e| boolean(e, key, file))
                .map(|b| self.ignoreself = b),
            "ipv6-prefix" => single(node, file)
                .and_then(|e| integer(e, key, 1..=128, file))
                .map(|n| self.v6_prefix = Some(n as u8)),
            "action" => single(node, file).and_then(|e| self.set_action(e, file)),
            "ignore" => self.set_ignore(node, file, &mut problems),
            "port" => super::ports::set_ports(&mut self.ports, node, file),
            "protocol" => super::ports::set_protocols(&mut self.ports, node, file),
            "bantime-increment" => {
                self.increment = read_increment(node, file, &mut problems);
                Ok(())
            }
            "notify" => {
                if let Some(a) = super::notify::read_notify(node, file, &mut problems) {
                    super::notify::merge(&mut self.notify, a);
                }
                Ok(())
            }
            _ => return None,
        };
        problems.extend(result.err());
        Some(problems)
    }

    fn set_bantime(&mut self, e: &KdlEntry, file: &SourceFile) -> Result<(), KdlProblem> {
        let text = match e.value() {
            KdlValue::Integer(n) if *n > 0 => n.to_string(),
            KdlValue::String(s) => s.clone(),
            _ => {
                return Err(file.error(
                    e.span(),
                    "`bantime` takes a duration such as \"10m\" or \"permanent\"",
                ));
            }
        };
        match parse_bantime(&text) {
            Ok(BanTime::For(d)) if d.is_zero() => {
                Err(file.error(e.span(), "`bantime` must be longer than 0s"))
            }
            Ok(b) => {
                self.bantime = b;
                Ok(())
            }
            Err(m) => Err(file.error(e.span(), format!("`bantime`: {m} or \"permanent\""))),
        }
    }

    fn set_action(&mut self, e: &KdlEntry, file: &SourceFile) -> Result<(), KdlProblem> {
        self.verdict = match string(e, "action", file)? {
            "drop" => BanVerdict::Drop,
            "reject" => BanVerdict::Reject,
            other => {
                return Err(file.error(
                    e.span(),
                    format!("unknown action {other:?}: use \"drop\" or \"reject\""),
                ));
            }
        };
        Ok(())
    }

    fn set_ignore(
        &mut self,
        node: &KdlNode,
        file: &SourceFile,
        problems: &mut Vec<KdlProblem>,
    ) -> Result<(), KdlProblem> {
        for e in args(node) {
            match string(e, "ignore", file)
                .and_then(|t| parse_network(t).map_err(|m| file.error(e.span(), m)))
            {
                Ok(n) => self.ignore.push(n),
                Err(p) => problems.push(p),
            }
        }
        Ok(())
    }
}

fn positive(
    d: Duration,
    e: &KdlEntry,
    key: &str,
    file: &SourceFile,
) -> Result<Duration, KdlProblem> {
    if d.is_zero() {
        return Err(file.error(e.span(), format!("`{key}` must be longer than 0s")));
    }
    Ok(d)
}

/// `bantime-increment { factor 2 | multipliers 1 2 4; max "1w"; jitter "5m"; across-jails #true }`.
fn read_increment(
    node: &KdlNode,
    file: &SourceFile,
    problems: &mut Vec<KdlProblem>,
) -> Option<Increment> {
    problems.extend(no_properties(node, file));
    let mut inc = Increment {
        growth: Growth::Exponential { factor: 1.0 },
        max: None,
        jitter: Duration::ZERO,
        across_jails: false,
    };
    let mut enabled = true;
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        problems.extend(no_properties(child, file));
        let key = child.name().value();
        let result = match key {
            "enabled" => single(child, file)
                .and_then(|e| boolean(e, key, file))
                .map(|b| enabled = b),
            "factor" => single(child, file)
                .and_then(|e| number(e, key, file))
                .map(|f| {
                    inc.growth = Growth::Exponential { factor: f };
                }),
            "multipliers" => {
                let mut list = Vec::new();
                for e in args(child) {
                    match number(e, key, file) {
                        Ok(f) => list.push(f),
                        Err(p) => problems.push(p),
                    }
                }
                if list.is_empty() {
                    Err(file.error(child.span(), "`multipliers` needs at least one number"))
                } else {
                    inc.growth = Growth::Multipliers(list);
                    Ok(())
                }
            }
            "max" => single(child, file)
                .and_then(|e| duration(e, key, file))
                .map(|d| inc.max = Some(d)),
            "jitter" => single(child, file)
                .and_then(|e| duration(e, key, file))
                .map(|d| inc.jitter = d),
            "across-jails" => single(child, file)
                .and_then(|e| boolean(e, key, file))
                .map(|b| inc.across_jails = b),
            _ => Err(file
                .error(
                    child.name().span(),
                    format!("unknown bantime-increment setting `{key}`"),
                )
                .with_help("known: enabled, factor, multipliers, max, jitter, across-jails")),
        };
        problems.extend(result.err());
    }
    enabled.then_some(inc)
}

/// A positive number, integer or float.
fn number(e: &KdlEntry, key: &str, file: &SourceFile) -> Result<f64, KdlProblem> {
    let value = match e.value() {
        KdlValue::Integer(n) => Some(*n as f64),
        KdlValue::Float(f) => Some(*f),
        _ => None,
    };
    value
        .filter(|v| *v > 0.0 && v.is_finite())
        .ok_or_else(|| file.error(e.span(), format!("`{key}` takes positive numbers")))
}
