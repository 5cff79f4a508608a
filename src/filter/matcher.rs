//! The per-line hot path: date, prefix, fail regexes, ignore regexes,
//! multi-line merge, failure id. One [`Matcher`] per jail and source; it
//! keeps its buffers between lines so that a line that matches nothing
//! allocates nothing.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use regex::bytes::CaptureLocations;

use crate::filter::Failure;
use crate::filter::address;
use crate::filter::compile::{CompiledFilter, CompiledRegex, LogType};
use crate::filter::date::DateParser;
use crate::filter::multiline::{Groups, LineMatch, MultiLine, Record};

/// Captures that steer the engine and are not reported.
const INTERNAL: [&str; 9] = [
    "ip4",
    "ip6",
    "dns",
    "fid",
    "mlfid",
    "nofail",
    "mlfgained",
    "mlfforget",
    "content",
];

/// What became of one line.
#[derive(Debug)]
pub enum Outcome {
    /// A failure, reported on this line.
    Failure(Failure),
    /// Matched, and held as part of a multi-line failure still to come.
    Held,
    /// Matched a fail regex and an ignore regex.
    Ignored,
    /// Matched no fail regex.
    Missed,
    /// Carried no date, and no earlier line gave one.
    NoDate,
}

/// Counters for `test-filter` and the daemon's status.
#[derive(Debug, Clone, Default)]
pub struct MatchStats {
    pub lines: u64,
    pub failures: u64,
    pub held: u64,
    pub ignored: u64,
    pub missed: u64,
    pub no_date: u64,
    /// Lines on which each fail regex matched.
    pub per_regex: Vec<u64>,
}

/// Runs one compiled filter over a stream of lines.
#[derive(Debug)]
pub struct Matcher {
    filter: Arc<CompiledFilter>,
    dates: DateParser,
    last_time: Option<Timestamp>,
    multiline: MultiLine,
    /// The current line without its date.
    line: Vec<u8>,
    /// The last `maxlines` lines, for filters that match across lines.
    window: VecDeque<Vec<u8>>,
    joined: Vec<u8>,
    prefix_locs: Option<CaptureLocations>,
    fail_locs: Vec<CaptureLocations>,
    set_hits: Vec<bool>,
    pub stats: MatchStats,
}

impl Matcher {
    /// `zone` reads dates that carry no zone; `now` anchors year inference
    /// and is the time of journal lines.
    pub fn new(filter: Arc<CompiledFilter>, zone: TimeZone, now: Timestamp) -> Matcher {
        let dates = DateParser::new(zone, now, filter.date.clone());
        Matcher {
            prefix_locs: filter.prefix.as_ref().map(|p| p.regex.capture_locations()),
            fail_locs: filter
                .fails
                .iter()
                .map(|f| f.regex.capture_locations())
                .collect(),
            set_hits: vec![false; filter.fails.len()],
            stats: MatchStats {
                per_regex: vec![0; filter.fails.len()],
                ..MatchStats::default()
            },
            dates,
            last_time: None,
            multiline: MultiLine::default(),
            line: Vec::new(),
            window: VecDeque::new(),
            joined: Vec::new(),
            filter,
        }
    }

    pub fn filter(&self) -> &CompiledFilter {
        &self.filter
    }

    /// The zone dates without one are read in.
    pub fn zone(&self) -> &TimeZone {
        self.dates.zone()
    }

    /// Moves "now" (year inference, journal times).
    pub fn set_now(&mut self, now: Timestamp) {
        self.dates.set_now(now);
    }

    /// Processes line number `number` (1-based, for reports) read at `now`.
    pub fn process(&mut self, number: u64, raw: &[u8], now: Timestamp) -> Outcome {
        self.stats.lines += 1;
        let outcome = self.process_inner(number, raw, now);
        match &outcome {
            Outcome::Failure(_) => self.stats.failures += 1,
            Outcome::Held => self.stats.held += 1,
            Outcome::Ignored => self.stats.ignored += 1,
            Outcome::Missed => self.stats.missed += 1,
            Outcome::NoDate => self.stats.no_date += 1,
        }
        outcome
    }

    fn process_inner(&mut self, number: u64, raw: &[u8], now: Timestamp) -> Outcome {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        let Some(time) = self.cut_date(&text, now) else {
            return Outcome::NoDate;
        };
        let filter = Arc::clone(&self.filter);
        let hay: &[u8] = if filter.maxlines > 1 {
            self.push_window(filter.maxlines);
            &self.joined
        } else {
            &self.line
        };
        let (content, prefix_groups) = match (&filter.prefix, &mut self.prefix_locs) {
            (Some(prefix), Some(locs)) => {
                if prefix.regex.captures_read(locs, hay).is_none() {
                    return Outcome::Missed;
                }
                let content = group_span(prefix, locs, "content").map_or(hay, |(s, e)| &hay[s..e]);
                (content, collect_groups(prefix, locs, hay))
            }
            _ => (hay, Groups::new()),
        };
        if !filter
            .fail_set
            .matches_read_at(&mut self.set_hits, content, 0)
        {
            return Outcome::Missed;
        }
        if filter.ignore_set.is_match(content) {
            return Outcome::Ignored;
        }
        for index in 0..filter.fails.len() {
            if !self.set_hits[index] {
                continue;
            }
            let fail = &filter.fails[index];
            let locs = &mut self.fail_locs[index];
            if fail.regex.captures_read(locs, content).is_none() {
                continue;
            }
            self.stats.per_regex[index] += 1;
            let mut groups = prefix_groups.clone();
            for (name, value) in collect_groups(fail, locs, content) {
                set_group(&mut groups, name, value);
            }
            if filter.maxlines > 1 {
                self.window.clear();
            }
            return self.conclude(number, groups, time);
        }
        Outcome::Missed
    }

    /// Finds the line's date and copies the rest of the line into `self.line`.
    fn cut_date(&mut self, text: &str, now: Timestamp) -> Option<Timestamp> {
        self.line.clear();
        let found = self.dates.find(text);
        match &found {
            Some((_, range)) => {
                self.line.extend_from_slice(&text.as_bytes()[..range.start]);
                self.line.extend_from_slice(&text.as_bytes()[range.end..]);
            }
            None => self.line.extend_from_slice(text.as_bytes()),
        }
        if self.filter.logtype == LogType::Journal {
            return Some(now);
        }
        if let Some((time, _)) = found {
            self.last_time = Some(time);
        }
        self.last_time
    }

    fn push_window(&mut self, maxlines: usize) {
        let mut slot = if self.window.len() >= maxlines {
            self.window.pop_front().unwrap_or_default()
        } else {
            Vec::new()
        };
        slot.clear();
        slot.extend_from_slice(&self.line);
        self.window.push_back(slot);
        self.joined.clear();
        for (i, line) in self.window.iter().enumerate() {
            if i > 0 {
                self.joined.push(b'\n');
            }
            self.joined.extend_from_slice(line);
        }
    }

    /// Turns the captures of a matched line into a failure, or holds them.
    fn conclude(&mut self, number: u64, groups: Groups, time: Timestamp) -> Outcome {
        let mut line = LineMatch::default();
        let mut mlfid = None;
        for (name, value) in groups {
            match &*name {
                "mlfid" => mlfid = Some(value),
                "nofail" => line.nofail = !value.is_empty(),
                "mlfgained" => line.gained = !value.is_empty(),
                "mlfforget" => line.forget = !value.is_empty(),
                _ => line.groups.push((name, value)),
            }
        }
        let Some(mlfid) = mlfid else {
            let record = Record::single(line.groups);
            return failure(number, &record, time).map_or(Outcome::Missed, Outcome::Failure);
        };
        let (mut record, keep) = self.multiline.merge(&mlfid, line, time);
        if record.nofail {
            if keep {
                self.multiline.keep(&mlfid, record);
            }
            return Outcome::Held;
        }
        let outcome = match failure(number, &record, time) {
            Some(failure) => Outcome::Failure(failure),
            None => {
                record.pending = true;
                Outcome::Held
            }
        };
        if keep {
            self.multiline.keep(&mlfid, record);
        }
        outcome
    }
}

/// A failure from a merged record, if it names an address, host or id.
fn failure(number: u64, record: &Record, time: Timestamp) -> Option<Failure> {
    let (host, id) = address::identify(
        record.get("ip4"),
        record.get("ip6"),
        record.get("dns"),
        record.get("fid"),
    )?;
    let captures = record
        .groups
        .iter()
        .filter(|(name, _)| !INTERNAL.contains(&&**name))
        .cloned()
        .collect();
    Some(Failure {
        line: number,
        host,
        id,
        time,
        attempts: record.matches.max(1),
        captures,
        users: record.users.clone(),
    })
}

fn group_span(re: &CompiledRegex, locs: &CaptureLocations, name: &str) -> Option<(usize, usize)> {
    re.groups.get(name)?.iter().find_map(|&i| locs.get(i))
}

/// The captured values of a match, by base name. `alt_NAME` fills `NAME`
/// when `NAME` did not match or matched nothing.
fn collect_groups(re: &CompiledRegex, locs: &CaptureLocations, hay: &[u8]) -> Groups {
    let mut groups = Groups::new();
    let mut alternates = Vec::new();
    for (name, indices) in re.groups.iter() {
        let Some((s, e)) = indices.iter().find_map(|&i| locs.get(i)) else {
            continue;
        };
        let value = lossy(&hay[s..e]);
        match name.strip_prefix("alt_") {
            Some(base) => alternates.push((base.to_string(), value)),
            None => groups.push((Arc::clone(name), value)),
        }
    }
    for (base, value) in alternates {
        match groups.iter_mut().find(|(n, _)| **n == *base) {
            Some(slot) if slot.1.is_empty() => slot.1 = value,
            Some(_) => {}
            None => groups.push((Arc::from(base.as_str()), value)),
        }
    }
    groups
}

fn set_group(groups: &mut Groups, name: Arc<str>, value: String) {
    match groups.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => groups.push((name, value)),
    }
}

fn lossy(bytes: &[u8]) -> String {
    match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(s) => s.to_string(),
        Cow::Owned(s) => s,
    }
}
