//! `portcullis test-filter`: runs a filter over a log file, as
//! fail2ban-regex does. Without `--json` it prints a summary; with it, one
//! JSON object per failure and nothing else on stdout.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use miette::{Context, IntoDiagnostic};

use super::OutputResult;
use crate::config;
use crate::filter::{Failure, FailureId, FilterOptions, Matcher, Outcome};
use crate::source::MAX_LINE;
use crate::source::lines::LineReader;

/// Arguments of `portcullis test-filter`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A bundled filter name (sshd, nginx-http-auth, ...), a path to a .kdl
    /// filter, or a fail2ban filter file (a path ending in .conf or .local).
    pub filter: String,
    /// The log file to read.
    pub logfile: PathBuf,
    /// The filter's mode (sshd: normal, ddos, extra, aggressive).
    #[arg(long)]
    pub mode: Option<String>,
    /// How lines are framed: file (syslog with dates), journal, rfc5424,
    /// short (journal framing after the line's own date).
    #[arg(long)]
    pub logtype: Option<String>,
    /// A filter parameter, e.g. --set logging=syslog (for a fail2ban filter
    /// file: any of its [Init] options, as in a jail's filter = NAME[K=V]).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub set: Vec<(String, String)>,
    /// The current time (RFC 3339): anchors year inference; the time of journal lines.
    #[arg(long)]
    pub now: Option<Timestamp>,
    /// The zone of dates that carry none (IANA name); default: the system's.
    #[arg(long)]
    pub timezone: Option<String>,
    /// One JSON object per failure on stdout, nothing else.
    #[arg(long)]
    pub json: bool,
    /// Print the lines that produced or joined a failure.
    #[arg(long)]
    pub print_matched: bool,
    /// Print the lines no fail regex matched.
    #[arg(long)]
    pub print_missed: bool,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let options = FilterOptions {
        mode: args.mode.clone(),
        logtype: args.logtype.clone(),
        set: args.set.clone(),
    };
    let mut warnings = Vec::new();
    let loaded = config::filters::load_with(&args.filter, &options, false, &mut warnings);
    for warning in &warnings {
        eprintln!("warning: filter {}: {warning}", args.filter);
    }
    let compiled = Arc::new(loaded?);
    let zone = match &args.timezone {
        Some(name) => TimeZone::get(name)
            .into_diagnostic()
            .wrap_err_with(|| format!("unknown time zone {name:?}"))?,
        None => TimeZone::system(),
    };
    let now = args.now.unwrap_or_else(Timestamp::now);
    let file = open(&args.logfile)?;
    let mut reader = LineReader::new(BufReader::with_capacity(256 * 1024, file));
    let mut matcher = Matcher::new(compiled, zone.clone(), now);
    matcher.lines_cut_at(MAX_LINE);
    matcher.report_captures(args.json);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let started = Instant::now();
    let mut number = 0u64;
    while let Some(line) = reader
        .next_line()
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read {}", args.logfile.display()))?
    {
        number += 1;
        let outcome = matcher.process(number, line, now);
        report_line(&args, &mut out, &zone, line, &outcome).output()?;
    }
    let elapsed = started.elapsed();
    if !args.json {
        summary(&mut out, &matcher, reader.truncated, elapsed).output()?;
    }
    out.flush().output()?;
    Ok(ExitCode::SUCCESS)
}

fn open(path: &PathBuf) -> miette::Result<File> {
    let file = File::open(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot open log file {}", path.display()))?;
    let meta = file.metadata().into_diagnostic()?;
    if meta.is_dir() {
        miette::bail!("cannot read log file {}: it is a directory", path.display());
    }
    Ok(file)
}

fn report_line(
    args: &Args,
    out: &mut impl Write,
    zone: &TimeZone,
    line: &[u8],
    outcome: &Outcome,
) -> io::Result<()> {
    match outcome {
        Outcome::Failure(failure) if args.json => writeln!(out, "{}", failure_json(failure, zone)),
        Outcome::Failure(_) | Outcome::Held if args.print_matched => {
            print_line(out, "matched", line)
        }
        Outcome::Missed | Outcome::NoDate if args.print_missed => print_line(out, "missed", line),
        _ => Ok(()),
    }
}

fn print_line(out: &mut impl Write, what: &str, line: &[u8]) -> io::Result<()> {
    write!(out, "{what}: ")?;
    out.write_all(line)?;
    writeln!(out)
}

/// `{"line": 3, "host": "192.0.2.1", "ip4": "192.0.2.1", "time": "...",
/// "attempts": 1, "captures": {...}}`: `ip4`, `ip6` or `dns` says what kind
/// of id `host` is, under the names fail2ban-regex gives them.
pub fn failure_json(failure: &Failure, zone: &TimeZone) -> serde_json::Value {
    let mut captures = serde_json::Map::new();
    for (name, value) in &failure.captures {
        captures.insert(name.to_string(), value.clone().into());
    }
    if !failure.users.is_empty() {
        captures.insert("users".to_string(), failure.users.clone().into());
    }
    let mut json = serde_json::json!({
        "line": failure.line,
        "host": failure.host,
        "time": rfc3339(failure.time, zone),
        "attempts": failure.attempts,
        "captures": captures,
    });
    let kind = match &failure.id {
        FailureId::Addr(IpAddr::V4(_)) => Some("ip4"),
        FailureId::Addr(IpAddr::V6(_)) => Some("ip6"),
        FailureId::Name(_) => Some("dns"),
        FailureId::Id(_) => None,
    };
    if let Some(kind) = kind {
        json[kind] = failure.host.clone().into();
    }
    json
}

/// RFC 3339 with the offset of `zone`, in whole seconds: fail2ban's failure
/// times drop the fraction of the log's date (`15:52:30,388` is 15:52:30),
/// and test-filter reports what fail2ban-regex would.
pub fn rfc3339(time: Timestamp, zone: &TimeZone) -> String {
    let whole = Timestamp::from_second(time.as_second()).unwrap_or(time);
    whole
        .to_zoned(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn summary(
    out: &mut impl Write,
    matcher: &Matcher,
    truncated: u64,
    elapsed: std::time::Duration,
) -> io::Result<()> {
    let s = &matcher.stats;
    let filter = matcher.filter();
    writeln!(out, "Filter: {}", filter.name)?;
    writeln!(
        out,
        "Lines: {} read, {} matched ({} failures, {} held for a multi-line failure), {} ignored, {} missed",
        s.lines,
        s.failures + s.held,
        s.failures,
        s.held,
        s.ignored,
        s.missed + s.no_date
    )?;
    if s.no_date > 0 {
        writeln!(out, "Lines without a date (not matched): {}", s.no_date)?;
    }
    if truncated > 0 {
        writeln!(
            out,
            "Lines longer than {} bytes, cut: {truncated}",
            MAX_LINE
        )?;
    }
    writeln!(out, "Fail regex hits:")?;
    for (i, (hits, regex)) in s.per_regex.iter().zip(&filter.fails).enumerate() {
        writeln!(out, "  #{:<3} {hits:>10}  {}", i + 1, regex.source)?;
    }
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        s.lines as f64 / secs
    } else {
        0.0
    };
    writeln!(out, "Time: {secs:.3} s, {rate:.0} lines/s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_times_are_whole_seconds_in_the_zone() {
        let zone = TimeZone::fixed(jiff::tz::offset(1));
        let time: Timestamp = "2006-02-13T14:52:30.388Z".parse().unwrap();
        assert_eq!(rfc3339(time, &zone), "2006-02-13T15:52:30+01:00");
        let exact: Timestamp = "2005-08-14T10:00:00Z".parse().unwrap();
        assert_eq!(rfc3339(exact, &TimeZone::UTC), "2005-08-14T10:00:00+00:00");
    }
}
