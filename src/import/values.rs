//! fail2ban's value syntaxes as its jail reader reads them: times with
//! abbreviations, booleans, `name[key=value, ...]` specifications, lists
//! of actions, ports by number, range or service name.

use std::collections::HashMap;
use std::time::Duration;

use crate::nft::PortRange;
use crate::time::BanTime;

/// Seconds per fail2ban time unit; a month and a year are a twelfth of and
/// a whole average Gregorian-calendar year of 365.25 days, as fail2ban has them.
const UNITS: &[(&[&str], f64)] = &[
    (&["s", "ss", "sec", "second", "seconds"], 1.0),
    (&["m", "mm", "mi", "min", "minute", "minutes"], 60.0),
    (&["h", "hh", "ho", "hou", "hour", "hours"], 3600.0),
    (&["d", "dd", "da", "day", "days"], 86_400.0),
    (&["w", "ww", "we", "wee", "week", "weeks"], 604_800.0),
    (&["mo", "mon", "month", "months"], 2_629_800.0),
    (&["y", "yy", "ye", "yea", "year", "years"], 31_557_600.0),
];

/// `600`, `10m`, `1h 30m`, `1d3h`, `1.5h`, `2 weeks`; negative: permanent.
pub fn parse_time(text: &str) -> Result<BanTime, String> {
    let bad = || format!("{text:?} is not a fail2ban time (examples: 600, 10m, 1h 30m, 1w, -1)");
    let t = text.trim().to_lowercase();
    let (negative, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r.trim_start()),
        None => (false, t.as_str()),
    };
    let mut total = 0.0;
    let mut chars = rest.chars().peekable();
    let mut parts = 0;
    while chars.peek().is_some() {
        let number: String =
            std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_digit() || *c == '.')).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let unit: String =
            std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_alphabetic())).collect();
        while chars.next_if(|c| c.is_whitespace() || *c == '+').is_some() {}
        let n: f64 = number.parse().map_err(|_| bad())?;
        let size = match unit.as_str() {
            "" => 1.0,
            u => {
                UNITS
                    .iter()
                    .find(|(names, _)| names.contains(&u))
                    .ok_or_else(bad)?
                    .1
            }
        };
        total += n * size;
        parts += 1;
    }
    if parts == 0 {
        return Err(bad());
    }
    if negative {
        return Ok(BanTime::Permanent);
    }
    Ok(BanTime::For(Duration::from_secs(total.round() as u64)))
}

/// fail2ban's booleans: true/yes/on/1 and false/no/off/0.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// A filter, action or backend as fail2ban names it, with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub name: String,
    /// In written order; a later repeat of a key wins.
    pub options: Vec<(String, String)>,
}

impl Spec {
    /// The last value given for `key`.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `sshd`, `sshd[mode=aggressive, port=22]`, `x[a="v, 2"][b='w']`.
pub fn parse_spec(text: &str) -> Result<Spec, String> {
    let text = text.trim();
    let (name, mut rest) = match text.find('[') {
        Some(at) => (text[..at].trim(), &text[at..]),
        None => (text, ""),
    };
    if name.is_empty() {
        return Err(format!("{text:?} does not start with a name"));
    }
    let mut options = Vec::new();
    while let Some(inner) = rest.strip_prefix('[') {
        rest = read_options(inner, &mut options).map_err(|why| format!("{text:?}: {why}"))?;
        rest = rest.trim_start();
    }
    if !rest.is_empty() {
        return Err(format!("{text:?}: unexpected {rest:?} after the options"));
    }
    Ok(Spec {
        name: name.to_string(),
        options,
    })
}

/// Reads `k=v, k2="v"]` and returns what follows the `]`.
fn read_options<'a>(mut s: &'a str, out: &mut Vec<(String, String)>) -> Result<&'a str, String> {
    loop {
        s = s.trim_start_matches([' ', '\t', '\n', ',']);
        if let Some(rest) = s.strip_prefix(']') {
            return Ok(rest);
        }
        let eq = s.find('=').ok_or("an option without `=`")?;
        let key = s[..eq].trim().to_string();
        s = s[eq + 1..].trim_start();
        let value;
        if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let end = s[1..].find(q).ok_or("an unterminated quote")? + 1;
            value = s[1..end].to_string();
            s = &s[end + 1..];
        } else {
            let end = unquoted_end(s).ok_or("a missing `]`")?;
            value = s[..end].trim().to_string();
            s = &s[end..];
        }
        out.push((key, value));
    }
}

/// Where an unquoted value ends: at a `,` or the `]` closing the options
/// (brackets inside the value, as in `<known/chain>[x]`, are kept).
fn unquoted_end(s: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' if depth == 0 => return Some(i),
            ']' => depth -= 1,
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// An `action` value split into its actions: whitespace and new lines
/// outside brackets and quotes separate them.
pub fn split_specs(text: &str) -> Vec<String> {
    let mut specs: Vec<String> = Vec::new();
    let mut current = String::new();
    let (mut depth, mut quote) = (0i32, None);
    for c in text.chars() {
        match (c, quote) {
            ('"' | '\'', None) if depth > 0 => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('[', None) => depth += 1,
            (']', None) => depth -= 1,
            (c, None) if c.is_whitespace() && depth <= 0 => {
                push_spec(&mut specs, std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    push_spec(&mut specs, current);
    specs
}

/// Adds a spec; `[...]` standing apart belongs to the one before it.
fn push_spec(specs: &mut Vec<String>, spec: String) {
    match specs.last_mut() {
        Some(last) if spec.starts_with('[') => last.push_str(&spec),
        _ if spec.is_empty() => {}
        _ => specs.push(spec),
    }
}

/// Service names to port numbers, from an /etc/services text.
#[derive(Debug, Clone, Default)]
pub struct Services(HashMap<String, u16>);

impl Services {
    /// `/etc/services`; empty when it cannot be read.
    pub fn system() -> Services {
        Services::parse(&std::fs::read_to_string("/etc/services").unwrap_or_default())
    }

    pub fn parse(text: &str) -> Services {
        let mut map = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let (Some(name), Some(port)) = (words.next(), words.next()) else {
                continue;
            };
            let Some(port) = port.split('/').next().and_then(|p| p.parse::<u16>().ok()) else {
                continue;
            };
            for n in std::iter::once(name).chain(words) {
                map.entry(n.to_string()).or_insert(port);
            }
        }
        Services(map)
    }

    pub fn port(&self, name: &str) -> Option<u16> {
        self.0.get(name).copied()
    }
}

/// A jail's `port`: `None` for every port (`all`, `0:65535`, `1:65535`,
/// empty), else the ranges; names that are not ports or services come
/// back as the error list.
pub fn resolve_ports(text: &str, services: &Services) -> (Option<Vec<PortRange>>, Vec<String>) {
    let mut ranges = Vec::new();
    let mut unknown = Vec::new();
    for word in text.split([',', ' ', '\t', '\n']).filter(|w| !w.is_empty()) {
        match word {
            "all" | "any" | "0:65535" | "1:65535" | "0-65535" | "1-65535" => {
                return (None, Vec::new());
            }
            _ => {}
        }
        if let Ok(r) = PortRange::parse(word) {
            ranges.push(r);
        } else if let Some(p) = services.port(word) {
            ranges.push(PortRange::one(p));
        } else {
            unknown.push(word.to_string());
        }
    }
    if ranges.is_empty() && unknown.is_empty() {
        return (None, Vec::new());
    }
    (Some(ranges), unknown)
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
