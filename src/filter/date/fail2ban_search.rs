//! Running a fail2ban `datepattern` ([`super::fail2ban`]) on a line: each
//! kind of template, and a date that gives only the time of day.

use std::ops::Range;

use jiff::Timestamp;

use super::auto::{Reading, Template};
use super::civil::{Civil, civil_from_days};
use super::fail2ban::{self, F2bTemplate};
use super::{DateParser, codes, scan};

impl DateParser {
    /// One fail2ban template on `b` (see [`fail2ban`]).
    pub(super) fn find_f2b(
        &mut self,
        b: &[u8],
        template: &F2bTemplate,
    ) -> Option<(Timestamp, Range<usize>)> {
        match template {
            F2bTemplate::Epoch { anchored: true } => {
                line_starts(b).find_map(|i| self.read_at(b, i, Some(Template::Epoch)))
            }
            F2bTemplate::Epoch { anchored: false } => self.find_template(b, Template::Epoch),
            F2bTemplate::Tai64n { anchored } => {
                let mut starts: Box<dyn Iterator<Item = usize>> = match anchored {
                    true => Box::new(line_starts(b)),
                    false => Box::new(memchr::memchr_iter(b'@', b)),
                };
                starts.find_map(|i| {
                    let (seconds, end) = fail2ban::tai64n_seconds(b, i)?;
                    Some((Timestamp::from_second(seconds).ok()?, i..end))
                })
            }
            F2bTemplate::Default { anchored: true } => line_starts(b).find_map(|i| {
                let (start, zone) = match fail2ban::zone_name_end(b, i) {
                    Some((end, offset)) => (end, offset),
                    None => (i, None),
                };
                let mut hit = scan::read_by_shape(b, start, None)?.1;
                if let (Reading::Civil(civil), Some(offset)) = (&mut hit.reading, zone) {
                    civil.offset = civil.offset.or(Some(offset));
                }
                Some((self.instant(&hit)?, i..hit.end))
            }),
            F2bTemplate::Default { anchored: false } => {
                let (at, range) = self.find_auto(b, Template::Syslog)?;
                Some((at, fail2ban::with_zone_name(b, range)))
            }
            F2bTemplate::Around {
                pre,
                post,
                group_in_pre,
            } => {
                let spans = pre.find(b)?;
                let start = pre.group(&spans, "")?;
                let (at, date) = self.read_at(b, start.end, None)?;
                let after = post.find(&b[date.end..])?;
                let range = match group_in_pre {
                    true => {
                        pre.group(&spans, "_g1")?.start
                            ..date.end + post.group(&after, "_g1").map_or(0, |r| r.end)
                    }
                    false => start.start..date.end + post.group(&after, "")?.end,
                };
                Some((at, range))
            }
            F2bTemplate::Codes(re) => {
                let spans = re.find(b)?;
                let get = |name: &str| -> Option<&[u8]> { re.group(&spans, name).map(|r| &b[r]) };
                let at = match get("s") {
                    Some(s) => {
                        Timestamp::from_second(std::str::from_utf8(s).ok()?.parse().ok()?).ok()?
                    }
                    None => self.resolve_f2b(codes::civil(&get)?)?,
                };
                Some((at, re.group(&spans, "1")?))
            }
        }
    }

    /// A fail2ban date; one that gives only the time of day is today's, or
    /// yesterday's if that is still to come, as fail2ban reads it.
    fn resolve_f2b(&mut self, date: codes::Date) -> Option<Timestamp> {
        match date {
            codes::Date::Full(civil) => self.resolve(&civil),
            codes::Date::TimeOnly(civil) => {
                let offset = i64::from(self.converter.zone().to_offset(self.now).seconds());
                let today = (self.now.as_second() + offset).div_euclid(86_400);
                for day in [today, today - 1] {
                    let (year, month, d) = civil_from_days(day);
                    let at = self.resolve(&Civil {
                        year: Some(year),
                        month,
                        day: d,
                        ..civil
                    })?;
                    if at <= self.now {
                        return Some(at);
                    }
                }
                None
            }
        }
    }

    /// A date of `template` (any default one if `None`) starting at `i`.
    fn read_at(
        &mut self,
        b: &[u8],
        i: usize,
        template: Option<Template>,
    ) -> Option<(Timestamp, Range<usize>)> {
        let hit = match template {
            Some(t) => t.read(b, i)?,
            None => scan::read_by_shape(b, i, None)?.1,
        };
        Some((self.instant(&hit)?, i..hit.end))
    }
}

/// Where a `{^LN-BEG}` date may start: the line's start, or after one or
/// two non-word characters, as fail2ban allows.
fn line_starts(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (0..=2usize.min(b.len())).take_while(|&i| {
        b[..i]
            .iter()
            .all(|c| !c.is_ascii_alphanumeric() && *c != b'_')
    })
}
