//! The per-line hot path: date, prefix, fail regexes, ignore regexes,
//! multi-line merge, failure id. One [`Matcher`] per jail and source; it
//! keeps its buffers between lines, so a line that matches nothing
//! allocates nothing, and captures are kept as spans of the line until a
//! failure needs them as text.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use regex::bytes::CaptureLocations;
use regex_automata::nfa::thompson::backtrack;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};

use crate::filter::Failure;
use crate::filter::address;
use crate::filter::compile::{CompiledFilter, CompiledRegex, LogType, Prefix};
use crate::filter::date::DateParser;
use crate::filter::multiline::{LineMatch, MultiLine, text};

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

/// Spans of captured groups in the haystack, by name.
type Spans = Vec<(Arc<str>, Range<usize>)>;

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
    scratch: Scratch,
    pub stats: MatchStats,
}

/// Buffers reused from line to line.
#[derive(Debug)]
struct Scratch {
    prefix_locs: Option<CaptureLocations>,
    head_locs: Option<CaptureLocations>,
    fail_locs: Vec<CaptureLocations>,
    /// Backtracker state per fail regex (see `CompiledRegex::backtrack`).
    fail_bt: Vec<Option<(backtrack::Cache, Captures)>>,
    set_hits: Vec<bool>,
    spans: Spans,
}

impl Matcher {
    /// `zone` reads dates that carry no zone; `now` anchors year inference
    /// and is the time of journal lines.
    pub fn new(filter: Arc<CompiledFilter>, zone: TimeZone, now: Timestamp) -> Matcher {
        let scratch = Scratch {
            prefix_locs: filter
                .prefix
                .as_ref()
                .map(|p| p.full.regex.capture_locations()),
            head_locs: filter
                .prefix
                .as_ref()
                .and_then(|p| p.head.as_ref())
                .map(|h| h.regex.capture_locations()),
            fail_locs: filter
                .fails
                .iter()
                .map(|f| f.regex.capture_locations())
                .collect(),
            fail_bt: filter
                .fails
                .iter()
                .map(|f| {
                    f.backtrack
                        .as_ref()
                        .map(|bt| (bt.create_cache(), bt.create_captures()))
                })
                .collect(),
            set_hits: vec![false; filter.fails.len()],
            spans: Spans::new(),
        };
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
        let Some(time) = self.cut_date(raw, now) else {
            return Outcome::NoDate;
        };
        if self.filter.maxlines > 1 {
            self.push_window();
        }
        let filter = &*self.filter;
        let hay: &[u8] = if filter.maxlines > 1 {
            &self.joined
        } else {
            &self.line
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
        if !filter
            .fail_set
            .matches_read_at(&mut scratch.set_hits, body, 0)
        {
            return Outcome::Missed;
        }
        if filter.ignore_set.is_match(body) {
            return Outcome::Ignored;
        }
        let Some(index) = (0..filter.fails.len()).find(|&i| {
            scratch.set_hits[i] && capture_fail(&filter.fails[i], scratch, i, body, content.start)
        }) else {
            return Outcome::Missed;
        };
        self.stats.per_regex[index] += 1;
        let outcome = conclude(&mut self.multiline, number, hay, &mut scratch.spans, time);
        if filter.maxlines > 1 {
            self.window.clear();
        }
        outcome
    }

    /// Finds the line's date and copies the rest of the line into `self.line`.
    fn cut_date(&mut self, raw: &[u8], now: Timestamp) -> Option<Timestamp> {
        let lossy;
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(_) => {
                lossy = String::from_utf8_lossy(raw);
                &*lossy
            }
        };
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

/// Matches the prefix; returns the content's range and records the
/// prefix's captures.
fn match_prefix(prefix: &Prefix, scratch: &mut Scratch, hay: &[u8]) -> Option<Range<usize>> {
    if let Some(head) = &prefix.head {
        if prefix.head_is_mlfid {
            let m = head.regex.find(hay)?;
            if m.end() < hay.len() {
                scratch
                    .spans
                    .push((Arc::clone(&prefix.mlfid_name), m.range()));
                return Some(m.end()..hay.len());
            }
        } else {
            let locs = scratch.head_locs.as_mut()?;
            let m = head.regex.captures_read(locs, hay)?;
            if m.end() < hay.len() {
                push_spans(&mut scratch.spans, head, locs, 0);
                return Some(m.end()..hay.len());
            }
        }
    }
    let locs = scratch.prefix_locs.as_mut()?;
    prefix.full.regex.captures_read(locs, hay)?;
    push_spans(&mut scratch.spans, &prefix.full, locs, 0);
    let content = prefix
        .full
        .groups
        .get("content")
        .and_then(|ix| ix.iter().find_map(|&i| locs.get(i)));
    Some(content.map_or(0..hay.len(), |(s, e)| s..e))
}

/// Takes the captures of fail regex `i` on `body` into `scratch.spans`.
fn capture_fail(
    re: &CompiledRegex,
    scratch: &mut Scratch,
    i: usize,
    body: &[u8],
    offset: usize,
) -> bool {
    if let (Some(bt), Some((cache, caps))) = (&re.backtrack, &mut scratch.fail_bt[i]) {
        let anchored = if bt.get_nfa().is_always_start_anchored() {
            Anchored::Yes
        } else {
            Anchored::No
        };
        let input = Input::new(body).anchored(anchored);
        if body.len() <= bt.max_haystack_len() && bt.try_search(cache, &input, caps).is_ok() {
            if !caps.is_match() {
                return false;
            }
            push_group_spans(
                &mut scratch.spans,
                re,
                |g| caps.get_group(g).map(|s| (s.start, s.end)),
                offset,
            );
            return true;
        }
    }
    let locs = &mut scratch.fail_locs[i];
    if re.regex.captures_read(locs, body).is_none() {
        return false;
    }
    push_spans(&mut scratch.spans, re, locs, offset);
    true
}

/// Appends the participating groups of a match, shifted by `offset`; a
/// later group of a name replaces an earlier one.
fn push_spans(spans: &mut Spans, re: &CompiledRegex, locs: &CaptureLocations, offset: usize) {
    push_group_spans(spans, re, |i| locs.get(i), offset)
}

fn push_group_spans(
    spans: &mut Spans,
    re: &CompiledRegex,
    group: impl Fn(usize) -> Option<(usize, usize)>,
    offset: usize,
) {
    for (name, indices) in re.groups.iter() {
        let Some((s, e)) = indices.iter().find_map(|&i| group(i)) else {
            continue;
        };
        let range = s + offset..e + offset;
        match spans.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = range,
            None => spans.push((Arc::clone(name), range)),
        }
    }
}

/// Turns the captures of a matched line into a failure, or holds them.
fn conclude(
    multiline: &mut MultiLine,
    number: u64,
    hay: &[u8],
    spans: &mut Spans,
    time: Timestamp,
) -> Outcome {
    resolve_alternates(spans);
    let line = LineMatch::new(hay, spans);
    let mlfid = spans
        .iter()
        .find(|(n, _)| &**n == "mlfid")
        .map(|(_, r)| &hay[r.clone()]);
    let Some(mlfid) = mlfid else {
        let get = |n: &str| line.get(n).map(text);
        let failure = make_failure(
            number,
            time,
            1,
            &[],
            &get,
            line.groups().map(|(n, v)| (n, text(v))),
        );
        return failure.map_or(Outcome::Missed, Outcome::Failure);
    };
    let mut merged = multiline.merge(mlfid, &line, time);
    let record = merged.record();
    if record.nofail {
        return Outcome::Held;
    }
    let get = |n: &str| record.get(n).map(Cow::Borrowed);
    let captures = record
        .groups
        .iter()
        .map(|(n, v)| (n, Cow::Borrowed(v.as_str())));
    match make_failure(number, time, record.matches, &record.users, &get, captures) {
        Some(failure) => Outcome::Failure(failure),
        None => {
            record.pending = true;
            Outcome::Held
        }
    }
}

/// `alt_NAME` fills `NAME` when `NAME` did not match or matched nothing.
fn resolve_alternates(spans: &mut Spans) {
    let mut i = 0;
    while i < spans.len() {
        if !spans[i].0.starts_with("alt_") {
            i += 1;
            continue;
        }
        let (name, range) = spans.remove(i);
        let base = &name["alt_".len()..];
        match spans.iter_mut().find(|(n, _)| &**n == base) {
            Some(slot) if slot.1.is_empty() => slot.1 = range,
            Some(_) => {}
            None => spans.push((Arc::from(base), range)),
        }
    }
}

/// A failure, if the captures name an address, host or id.
fn make_failure<'a>(
    number: u64,
    time: Timestamp,
    attempts: u32,
    users: &[String],
    get: &dyn Fn(&str) -> Option<Cow<'a, str>>,
    captures: impl Iterator<Item = (&'a Arc<str>, Cow<'a, str>)>,
) -> Option<Failure> {
    let (ip4, ip6, dns, fid) = (get("ip4"), get("ip6"), get("dns"), get("fid"));
    let (host, id) = address::identify(
        ip4.as_deref(),
        ip6.as_deref(),
        dns.as_deref(),
        fid.as_deref(),
    )?;
    let captures = captures
        .filter(|(name, _)| !INTERNAL.contains(&&***name))
        .map(|(name, value)| (Arc::clone(name), value.into_owned()))
        .collect();
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
mod tests {
    use super::*;
    use crate::filter::FilterOptions;
    use crate::filter::compile::CompiledFilter;
    use crate::filter::definition;

    /// Compiles `kdl` as a filter file and runs `lines` through it.
    fn run(
        kdl: &str,
        options: FilterOptions,
        lines: &[&str],
    ) -> Vec<(u64, String, u32, Vec<String>)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.kdl");
        std::fs::write(&path, kdl).unwrap();
        let def = definition::load(path.to_str().unwrap()).unwrap();
        let filter = Arc::new(CompiledFilter::new(&def, &options).unwrap());
        let now: Timestamp = "2005-08-14T10:00:00Z".parse().unwrap();
        let mut matcher = Matcher::new(filter, TimeZone::UTC, now);
        let mut found = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if let Outcome::Failure(f) = matcher.process(i as u64 + 1, line.as_bytes(), now) {
                found.push((f.line, f.host, f.attempts, f.users));
            }
        }
        found
    }

    const SSH_LIKE: &str = r##"
define "daemon" #"sshd"#
prefix #"^<F-MLFID>\s*\S+ %(daemon)\[\d+\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$"#
fail #"^Failed publickey for <F-USER>\S+</F-USER> from <HOST><F-NOFAIL></F-NOFAIL> port \d+$"#
fail #"^Failed publickey for (?P<user>\S+) from <HOST> port \d+<F-NOFAIL> \(held\)</F-NOFAIL>$"#
fail #"^Too many authentication failures for <F-USER>\S+</F-USER>$"#
fail #"^Accepted \S+ for <F-USER>\S+</F-USER> from <HOST><F-MLFGAINED> port</F-MLFGAINED> \d+$"#
fail #"^Connection closed by <HOST><F-MLFFORGET> \[preauth\]</F-MLFFORGET>$"#
"##;

    #[test]
    fn a_later_line_of_the_connection_reports_the_merged_failure() {
        let found = run(
            SSH_LIKE,
            FilterOptions::default(),
            &[
                "Aug 14 09:00:00 h sshd[7]: Failed publickey for git from 192.0.2.9 port 1 (held)",
                "Aug 14 09:00:01 h sshd[7]: Failed publickey for git from 192.0.2.9 port 1 (held)",
                "Aug 14 09:00:02 h sshd[8]: Connection closed by 198.51.100.1 [preauth]",
                "Aug 14 09:00:03 h sshd[7]: Too many authentication failures for git",
            ],
        );
        assert_eq!(
            found,
            vec![
                (3, "198.51.100.1".to_string(), 1, vec![]),
                (4, "192.0.2.9".to_string(), 3, vec!["git".to_string()]),
            ]
        );
    }

    #[test]
    fn access_gained_forgives_held_lines_of_the_same_user_only() {
        let held =
            "Aug 14 09:00:00 h sshd[7]: Failed publickey for git from 192.0.2.9 port 1 (held)";
        let same = "Aug 14 09:00:01 h sshd[7]: Accepted publickey for git from 192.0.2.9 port 1";
        assert_eq!(
            run(SSH_LIKE, FilterOptions::default(), &[held, same]),
            vec![]
        );
        let other =
            "Aug 14 09:00:01 h sshd[7]: Accepted publickey for deploy from 192.0.2.9 port 1";
        let found = run(SSH_LIKE, FilterOptions::default(), &[held, other]);
        assert_eq!(
            found,
            vec![(
                2,
                "192.0.2.9".to_string(),
                2,
                vec!["git".to_string(), "deploy".to_string()]
            )]
        );
    }

    #[test]
    fn a_failure_without_address_waits_for_one() {
        let found = run(
            SSH_LIKE,
            FilterOptions::default(),
            &[
                "Aug 14 09:00:00 h sshd[9]: Too many authentication failures for root",
                "Aug 14 09:00:01 h sshd[9]: Connection closed by 203.0.113.5 [preauth]",
            ],
        );
        assert_eq!(
            found,
            vec![(2, "203.0.113.5".to_string(), 2, vec!["root".to_string()])]
        );
    }

    #[test]
    fn parameters_choose_prefixes() {
        let kdl = r##"
param "logging" "file" "syslog"
prefix #"^\s*<F-CONTENT>.+</F-CONTENT>$"# when="logging=file"
prefix #"^\s*\S+ httpd\[\d+\]: <F-CONTENT>.+</F-CONTENT>$"# when="logging=syslog"
fail #"^\[client <HOST>\] denied$"#
"##;
        let syslog = "Aug 14 09:00:00 h httpd[1]: [client 192.0.2.3] denied";
        let file = "2005-08-14 09:00:00 [client 192.0.2.4] denied";
        let as_file = run(kdl, FilterOptions::default(), &[syslog, file]);
        assert_eq!(
            as_file.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
            vec!["192.0.2.4"]
        );
        let options = FilterOptions {
            set: vec![("logging".into(), "syslog".into())],
            ..Default::default()
        };
        let as_syslog = run(kdl, options, &[syslog, file]);
        assert_eq!(
            as_syslog.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
            vec!["192.0.2.3"]
        );
    }

    #[test]
    fn skiplines_matches_across_the_buffer() {
        let kdl = r##"
maxlines 3
fail #"^\s*login attempt from <HOST>\n<SKIPLINES>\s*access denied$"#
"##;
        let found = run(
            kdl,
            FilterOptions::default(),
            &[
                "Aug 14 09:00:00 login attempt from 192.0.2.8",
                "Aug 14 09:00:01 something else",
                "Aug 14 09:00:02 access denied",
                "Aug 14 09:00:03 access denied",
            ],
        );
        assert_eq!(
            found
                .iter()
                .map(|f| (f.0, f.1.as_str()))
                .collect::<Vec<_>>(),
            vec![(3, "192.0.2.8")]
        );
    }

    #[test]
    fn the_head_fast_path_agrees_with_the_full_prefix() {
        // The head alone would swallow the whole line: the full regex
        // decides, and leaves the content one character.
        let kdl = r##"
prefix #"^<F-MLFID>\s*\w+</F-MLFID><F-CONTENT>.+</F-CONTENT>$"#
fail #"^<F-ID>\w</F-ID>$"#
"##;
        let found = run(kdl, FilterOptions::default(), &["Aug 14 09:00:00 abc"]);
        assert_eq!(
            found.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
            vec!["c"]
        );
    }

    #[test]
    fn journal_lines_take_now_as_their_time() {
        let kdl = "fail #\"^\\s*h sshd\\[\\d+\\]: Failed for <HOST>$\"#\n";
        let options = FilterOptions {
            logtype: Some("journal".into()),
            ..Default::default()
        };
        let found = run(kdl, options, &["h sshd[1]: Failed for 192.0.2.1"]);
        assert_eq!(found.len(), 1);
    }
}
