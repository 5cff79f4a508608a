//! The per-line hot path: date, prefix, fail regexes, ignore regexes,
//! multi-line merge, failure id. One [`Matcher`] per jail and source; it
//! keeps its buffers between lines, so a line that matches nothing
//! allocates nothing, and captures are kept as spans of the line until a
//! failure needs them as text.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::filter::Failure;
use crate::filter::address;
use crate::filter::compile::{CompiledFilter, LogType, has_bit};
use crate::filter::date::DateParser;

mod outcome;
mod spans;
use crate::filter::multiline::{LineMatch, MultiLine, Span, text};
use crate::filter::tags::{Names, Role};
pub use outcome::{MatchStats, Outcome};
use spans::{Scratch, capture_fail, ignores, match_prefix, resolve_alternates};

/// Spans of captured groups in the haystack, by name.
type Spans = Vec<Span>;

/// Runs one compiled filter over a stream of lines.
#[derive(Debug)]
pub struct Matcher {
    filter: Arc<CompiledFilter>,
    dates: DateParser,
    last_time: Option<Timestamp>,
    multiline: MultiLine,
    /// The current line without its date, when the date did not start it
    /// (see `cut_date`).
    line: Vec<u8>,
    /// The last `maxlines` lines, for filters that match across lines.
    window: VecDeque<Vec<u8>>,
    joined: Vec<u8>,
    scratch: Scratch,
    pub stats: MatchStats,
    /// Whether failures carry their captures and users (see
    /// [`Matcher::report_captures`]).
    detail: bool,
    /// Lines this long were cut by their reader ([`Matcher::lines_cut_at`]).
    cut_at: usize,
}

impl Matcher {
    /// `zone` reads dates that carry no zone; `now` anchors year inference
    /// and is the time of journal lines.
    pub fn new(filter: Arc<CompiledFilter>, zone: TimeZone, now: Timestamp) -> Matcher {
        let scratch = Scratch::new(&filter);
        Matcher {
            dates: DateParser::new(zone, now, filter.date.clone()),
            stats: MatchStats {
                per_regex: vec![0; filter.fails.len()],
                ..MatchStats::default()
            },
            last_time: None,
            multiline: MultiLine::default(),
            line: Vec::new(),
            window: VecDeque::new(),
            joined: Vec::new(),
            scratch,
            filter,
            detail: true,
            cut_at: usize::MAX,
        }
    }

    /// Whether failures carry their named captures and users (on by
    /// default). A caller that only counts or bans (the daemon, the
    /// test-filter summary) turns it off and saves their copies.
    pub fn report_captures(&mut self, on: bool) {
        self.detail = on;
    }

    /// Lines of `len` bytes or more were cut there by their reader and are
    /// not matched: the service's own words after the client's text (the
    /// real address) may be what was cut off, and the client's text may
    /// end in a fake "from 10.0.0.1". Off until set; every reader sets its
    /// own line limit.
    pub fn lines_cut_at(&mut self, len: usize) {
        self.cut_at = len;
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
        if raw.len() >= self.cut_at {
            return Outcome::Missed;
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (time, tail) = self.cut_date(raw, now);
        let Some(time) = time else {
            return Outcome::NoDate;
        };
        if self.filter.maxlines > 1 {
            self.push_window();
        }
        let filter = &*self.filter;
        let hay: &[u8] = match tail {
            _ if filter.maxlines > 1 => &self.joined,
            Some(start) => &raw[start..],
            None => &self.line,
        };
        let scratch = &mut self.scratch;
        scratch.spans.clear();
        let content = match &filter.prefix {
            Some(prefix) => match match_prefix(prefix, scratch, hay) {
                Some(content) => content,
                None => return Outcome::Missed,
            },
            None => 0..hay.len(),
        };
        let body = &hay[content.clone()];
        filter.starts.candidates(body, &mut scratch.candidates);
        let Some(index) = (0..filter.fails.len()).find(|&i| {
            has_bit(&scratch.candidates, i)
                && capture_fail(&filter.fails[i], scratch, i, body, content.start)
        }) else {
            return Outcome::Missed;
        };
        let ignored = (!filter.ignore_set.is_empty() && filter.ignore_set.is_match(body))
            || filter.ignore_fallback.iter().any(|re| ignores(re, body));
        if ignored {
            return Outcome::Ignored;
        }
        self.stats.per_regex[index] += 1;
        let outcome = conclude(
            &mut self.multiline,
            &filter.names,
            self.detail.then_some(filter.report_addresses),
            number,
            hay,
            &mut scratch.spans,
            time,
        );
        if filter.maxlines > 1 {
            self.window.clear();
        }
        outcome
    }

    /// Finds the line's date; returns the line's time and where the line
    /// without its date is: `raw[start..]` when the date starts the line
    /// (or there is none) and lines are matched one by one, else copied
    /// into `self.line`. Journal lines keep their whole text and take the
    /// time given. Bytes stay bytes: captures are checked for UTF-8 when
    /// they become text.
    fn cut_date(&mut self, raw: &[u8], now: Timestamp) -> (Option<Timestamp>, Option<usize>) {
        let journal = self.filter.logtype == LogType::Journal;
        // A journal entry carries its time; a date inside the message is
        // part of the message (fail2ban does not look for one either).
        let found = match journal {
            true => None,
            false => self.dates.find_bytes(raw),
        };
        let cut = found.as_ref().map_or(0..0, |(_, range)| range.clone());
        let tail = (cut.start == 0 && self.filter.maxlines == 1).then_some(cut.end);
        if tail.is_none() {
            self.line.clear();
            self.line.extend_from_slice(&raw[..cut.start]);
            self.line.extend_from_slice(&raw[cut.end..]);
        }
        if journal {
            return (Some(now), tail);
        }
        if let Some((time, _)) = found {
            self.last_time = Some(time);
        }
        (self.last_time, tail)
    }

    fn push_window(&mut self) {
        let mut slot = if self.window.len() >= self.filter.maxlines {
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
}

/// Turns the captures of a matched line into a failure, or holds them.
fn conclude(
    multiline: &mut MultiLine,
    names: &Names,
    // `Some(report_addresses)` when failures carry their captures.
    detail: Option<bool>,
    number: u64,
    hay: &[u8],
    spans: &mut Spans,
    time: Timestamp,
) -> Outcome {
    resolve_alternates(spans, names);
    let line = LineMatch::new(hay, spans);
    let mlfid = spans
        .iter()
        .find(|(_, role, _)| *role == Role::Mlfid)
        .map(|(_, _, at)| &hay[at.clone()]);
    let Some(mlfid) = mlfid else {
        let get = |role: Role| line.get(role).map(text);
        let captures = line
            .groups()
            .map(|(n, role, v)| (names.name(n), role, text(v)));
        let failure = make_failure(number, time, 1, &[], &get, detail.map(|a| (captures, a)));
        return failure.map_or(Outcome::Missed, Outcome::Failure);
    };
    let record = multiline.merge(mlfid, &line, time);
    if record.nofail {
        return Outcome::Held;
    }
    let get = |role: Role| record.get(role).map(Cow::Borrowed);
    let captures = record
        .groups
        .iter()
        .map(|(n, role, v)| (names.name(*n), *role, Cow::Borrowed(v.as_str())));
    let users: &[String] = if detail.is_some() { &record.users } else { &[] };
    match make_failure(
        number,
        time,
        record.matches,
        users,
        &get,
        detail.map(|a| (captures, a)),
    ) {
        Some(failure) => Outcome::Failure(failure),
        None => {
            record.pending = true;
            Outcome::Held
        }
    }
}

/// A failure, if the captures name an address, host or id.
fn make_failure<'a>(
    number: u64,
    time: Timestamp,
    attempts: u32,
    users: &[String],
    get: &dyn Fn(Role) -> Option<Cow<'a, str>>,
    // The captures, and whether the address groups are among them (as
    // fail2ban reports `ip4`, `ip6`, `dns`).
    captures: Option<(
        impl Iterator<Item = (&'a Arc<str>, Role, Cow<'a, str>)>,
        bool,
    )>,
) -> Option<Failure> {
    let (ip4, ip6, dns, fid) = (
        get(Role::Ip4),
        get(Role::Ip6),
        get(Role::Dns),
        get(Role::Fid),
    );
    let (host, id) = address::identify(
        ip4.as_deref(),
        ip6.as_deref(),
        dns.as_deref(),
        fid.as_deref(),
    )?;
    let captures = captures.map_or_else(Vec::new, |(captures, addresses)| {
        captures
            .filter(|(_, role, _)| {
                !role.is_internal()
                    || addresses && matches!(role, Role::Ip4 | Role::Ip6 | Role::Dns)
            })
            .map(|(name, _, value)| (Arc::clone(name), value.into_owned()))
            .collect()
    });
    Some(Failure {
        line: number,
        host,
        id,
        time,
        attempts: attempts.max(1),
        captures,
        users: users.to_vec(),
    })
}

#[cfg(test)]
mod tests;
