//! Taking captures: the prefix (with its fast form) and each candidate fail
//! regex the start-literal trie let through, as spans of the line, folded
//! by group name.

use std::ops::Range;

use regex::bytes::CaptureLocations;
use regex_automata::nfa::thompson::backtrack;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};

use super::Spans;
use crate::filter::compile::{
    Backtracking, CompiledFilter, CompiledRegex, CopiesCache, Prefix, SplitCache,
};
use crate::filter::tags::{Names, Role};

/// Buffers reused from line to line.
#[derive(Debug)]
pub(super) struct Scratch {
    prefix_locs: Option<CaptureLocations>,
    head_locs: Option<CaptureLocations>,
    fail_locs: Vec<CaptureLocations>,
    /// Backtracker state per fail regex (see `CompiledRegex::backtrack`).
    fail_bt: Vec<Option<(backtrack::Cache, Captures)>>,
    /// State of each fail regex's `Copies`.
    copies: Vec<Option<CopiesCache>>,
    /// State of each fail regex's `RunSplit`.
    fail_split: Vec<Option<SplitCache>>,
    pub(super) spans: Spans,
    /// The fail regexes the line's start allows, a bit each.
    pub(super) candidates: Vec<u64>,
    /// Per fail regex: on how many of the last lines it was tried on it
    /// matched, without a miss in between (see [`PRESCREEN_STATES`]).
    matched_lately: Vec<u8>,
}

impl Scratch {
    pub(super) fn new(filter: &CompiledFilter) -> Scratch {
        Scratch {
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
            copies: filter
                .fails
                .iter()
                .map(|f| f.copies.as_ref().map(|c| c.create_cache()))
                .collect(),
            fail_split: filter
                .fails
                .iter()
                .map(|f| f.split.as_ref().map(|s| s.create_cache()))
                .collect(),
            spans: Spans::new(),
            candidates: Vec::new(),
            matched_lately: vec![0; filter.fails.len()],
        }
    }
}

/// Matches the prefix; returns the content's range and records the
/// prefix's captures.
pub(super) fn match_prefix(
    prefix: &Prefix,
    scratch: &mut Scratch,
    hay: &[u8],
) -> Option<Range<usize>> {
    if let Some(head) = &prefix.head {
        if prefix.head_is_mlfid {
            let m = head.regex.find(hay)?;
            // The first choice of the id, then of what follows it, is the
            // whole regex's when content remains (see `Prefix`).
            let skip =
                |starts: &[bool; 256]| hay.get(m.end()).is_some_and(|&b| !starts[b as usize]);
            let start = match &prefix.after_mlfid {
                None => Some(m.end()),
                Some(_) if prefix.after_starts.as_deref().is_some_and(skip) => Some(m.end()),
                Some(after) => after.regex.find(&hay[m.end()..]).map(|a| m.end() + a.end()),
            };
            if let Some(start) = start.filter(|&s| s < hay.len()) {
                scratch.spans.push((prefix.mlfid, Role::Mlfid, m.range()));
                return Some(start..hay.len());
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
    if let Some(fallback) = &prefix.full.fallback {
        return match_by_backtracking(&prefix.full, fallback, scratch, hay);
    }
    let locs = scratch.prefix_locs.as_mut()?;
    prefix.full.regex.captures_read(locs, hay)?;
    push_spans(&mut scratch.spans, &prefix.full, locs, 0);
    let content = prefix
        .full
        .groups
        .of_role(Role::Content)
        .and_then(|ix| ix.iter().find_map(|&i| locs.get(i)));
    Some(content.map_or(0..hay.len(), |(s, e)| s..e))
}

/// [`match_prefix`] for a prefix on the backtracking engine.
fn match_by_backtracking(
    full: &CompiledRegex,
    fallback: &Backtracking,
    scratch: &mut Scratch,
    hay: &[u8],
) -> Option<Range<usize>> {
    if !full.regex.is_match(hay) {
        return None;
    }
    let mut content = None;
    let spans = &mut scratch.spans;
    let matched = fallback.captures(hay, |group| {
        push_group_spans(spans, full, group, 0);
        content = full
            .groups
            .of_role(Role::Content)
            .and_then(|ix| ix.iter().find_map(|&i| group(i)));
    });
    matched.then(|| content.map_or(0..hay.len(), |(s, e)| s..e))
}

/// Whether ignore regex `re` matches `body` (either engine).
pub(super) fn ignores(re: &CompiledRegex, body: &[u8]) -> bool {
    re.regex.is_match(body) && re.fallback.as_ref().is_none_or(|f| f.is_match(body))
}

/// A backtracker with more NFA states than this runs only on lines its
/// regex's DFA has matched: each search first clears a visited set of
/// (states) x (line length) bits, which for a large NFA (fail2ban's
/// `<HOST>`, IPv6 included) costs more than the DFA's one pass, and most
/// lines a fail regex's first words let through do not match it.
///
/// Where they do (fail2ban sshd's "Connection closed" regex, on every line
/// that starts so), the DFA's pass is spent for nothing: a regex that
/// matched each of the last [`TRUSTED_AFTER`] lines it was tried on goes
/// straight to the backtracker, until it misses one. Either way the
/// backtracker decides, so this changes only the cost.
const PRESCREEN_STATES: usize = 256;

/// See [`PRESCREEN_STATES`].
const TRUSTED_AFTER: u8 = 4;

/// Takes the captures of fail regex `i` on `body` into `scratch.spans`.
pub(super) fn capture_fail(
    re: &CompiledRegex,
    scratch: &mut Scratch,
    i: usize,
    body: &[u8],
    offset: usize,
) -> bool {
    // A line without the literal cannot match; it does not count as a
    // miss for `matched_lately` either, as the DFA would not have run.
    if re.required.as_ref().is_some_and(|r| r.find(body).is_none()) {
        return false;
    }
    if let Some(fallback) = &re.fallback {
        if !re.regex.is_match(body) {
            return false;
        }
        let spans = &mut scratch.spans;
        return fallback.captures(body, |group| push_group_spans(spans, re, group, offset));
    }
    // A caller may hand over a "line" with a newline in it.
    if re.one_line && memchr::memchr(b'\n', body).is_some() {
        return capture_with_regex(re, scratch, i, body, offset);
    }
    if let (Some(copies), Some(cache)) = (&re.copies, &mut scratch.copies[i]) {
        let spans = &mut scratch.spans;
        let found = copies.captures(cache, body, |group| {
            push_group_spans(spans, re, group, offset);
        });
        if let Some(found) = found {
            return found;
        }
    }
    if let (Some(split), Some(cache)) = (&re.split, &mut scratch.fail_split[i]) {
        let spans = &mut scratch.spans;
        let found = split.captures(cache, body, |group| {
            push_group_spans(spans, re, group, offset);
        });
        if found.is_some() {
            return true;
        }
    }
    if let (Some(bt), Some((cache, caps))) = (&re.backtrack, &mut scratch.fail_bt[i]) {
        let large = bt.get_nfa().states().len() > PRESCREEN_STATES;
        let lately = &mut scratch.matched_lately[i];
        if large && *lately < TRUSTED_AFTER && !re.regex.is_match(body) {
            *lately = 0;
            return false;
        }
        let anchored = if bt.get_nfa().is_always_start_anchored() {
            Anchored::Yes
        } else {
            Anchored::No
        };
        let input = Input::new(body).anchored(anchored);
        if body.len() <= bt.max_haystack_len() && bt.try_search(cache, &input, caps).is_ok() {
            *lately = match caps.is_match() {
                true => lately.saturating_add(1),
                false => 0,
            };
            if !caps.is_match() {
                return false;
            }
            push_group_spans(
                &mut scratch.spans,
                re,
                &|g| caps.get_group(g).map(|s| (s.start, s.end)),
                offset,
            );
            return true;
        }
    }
    capture_with_regex(re, scratch, i, body, offset)
}

fn capture_with_regex(
    re: &CompiledRegex,
    scratch: &mut Scratch,
    i: usize,
    body: &[u8],
    offset: usize,
) -> bool {
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
    push_group_spans(spans, re, &|i| locs.get(i), offset)
}

fn push_group_spans(
    spans: &mut Spans,
    re: &CompiledRegex,
    group: &dyn Fn(usize) -> Option<(usize, usize)>,
    offset: usize,
) {
    for (id, role, indices) in re.groups.iter() {
        let Some((s, e)) = indices.iter().find_map(|&i| group(i)) else {
            continue;
        };
        let range = s + offset..e + offset;
        match spans.iter_mut().find(|(n, _, _)| *n == id) {
            Some(slot) => slot.2 = range,
            None => spans.push((id, role, range)),
        }
    }
}

/// `alt_NAME` fills `NAME` when `NAME` did not match or matched nothing.
pub(super) fn resolve_alternates(spans: &mut Spans, names: &Names) {
    let mut i = 0;
    while i < spans.len() {
        if spans[i].1 != Role::Alt {
            i += 1;
            continue;
        }
        let (id, _, range) = spans.remove(i);
        let Some(base) = names.alt_base(id) else {
            continue;
        };
        match spans.iter_mut().find(|(n, _, _)| *n == base) {
            Some(slot) if slot.2.is_empty() => slot.2 = range,
            Some(_) => {}
            None => spans.push((base, names.role(base), range)),
        }
    }
}
