//! The daemon's log: one line per event on stderr. On a terminal or in a
//! file: `2026-11-27 12:00:00.123 portcullis[42]: INFO message`. Under
//! systemd (JOURNAL_STREAM set) the journal adds time and name, so a line
//! is `<priority>message` with the syslog priority. Ban and unban lines
//! carry no level word: `NOTICE [sshd] Ban 203.0.113.7` (priority 5).

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The target of ban and unban lines.
pub const NOTICE_TARGET: &str = "portcullis::notice";

/// Installs the subscriber; `PORTCULLIS_LOG` (an EnvFilter) overrides `level`.
pub fn init(level: &str) {
    let filter =
        EnvFilter::try_from_env("PORTCULLIS_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    // The NATS client's own lines (colour codes, one per reconnection
    // attempt) stay out unless asked for: the cluster logs each change.
    let filter = filter.add_directive("async_nats=warn".parse().expect("a valid directive"));
    let format = Format {
        journal: std::env::var_os("JOURNAL_STREAM").is_some(),
        pid: std::process::id(),
    };
    let _ = INSTALLED.set((format.journal, format.pid));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(format)
        .try_init();
}

/// Journal mode and pid of the installed format, for [`notices`].
static INSTALLED: std::sync::OnceLock<(bool, u32)> = std::sync::OnceLock::new();

/// Logs many ban or unban lines (`[sshd] Ban 203.0.113.7`, without the
/// `NOTICE ` word) exactly as the subscriber formats notice events, with
/// one timestamp and one write to stderr (see [`Notices`]).
pub fn notices(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut block = Notices::new(lines.len());
    for line in lines {
        block.push_line(line);
    }
    block.write();
}

/// A block of ban or unban lines, formatted as the subscriber formats
/// notice events, stamped with the moment the block was started (the
/// kernel's acknowledgement) and written with one system call: a burst of
/// 200,000 bans is logged in tens of milliseconds instead of a second of
/// per-event formatting and writes. Without [`init`] (tests) the lines go
/// through `tracing` one by one; with notices filtered out, nowhere.
pub struct Notices {
    /// The line prefix, time stamp included; none without [`init`].
    prefix: Option<String>,
    enabled: bool,
    text: String,
}

impl Notices {
    /// A block stamped now, for about `lines` lines.
    pub fn new(lines: usize) -> Notices {
        let installed = INSTALLED.get();
        // Without the subscriber (tests) the lines are kept for `tracing`.
        let enabled = installed.is_none() || tracing::enabled!(target: NOTICE_TARGET, Level::INFO);
        let prefix = installed.filter(|_| enabled).map(|&(journal, pid)| {
            if journal {
                "<5>".to_string()
            } else {
                let now = jiff::Zoned::now();
                format!(
                    "{} portcullis[{pid}]: ",
                    now.strftime("%Y-%m-%d %H:%M:%S%.3f")
                )
            }
        });
        let width = prefix.as_ref().map_or(0, String::len) + 48;
        Notices {
            prefix,
            enabled,
            text: String::with_capacity(if enabled { lines * width } else { 0 }),
        }
    }

    /// Appends `[jail] verb addr`.
    pub fn push(&mut self, jail: &str, verb: &str, addr: std::net::IpAddr) {
        if !self.enabled {
            return;
        }
        self.start_line();
        self.text.push('[');
        self.text.push_str(jail);
        self.text.push_str("] ");
        self.text.push_str(verb);
        self.text.push(' ');
        push_addr(&mut self.text, addr);
        self.text.push('\n');
    }

    /// Appends a line formatted elsewhere (without `NOTICE `).
    pub fn push_line(&mut self, line: &str) {
        if !self.enabled {
            return;
        }
        self.start_line();
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn start_line(&mut self) {
        if let Some(prefix) = &self.prefix {
            self.text.push_str(prefix);
        }
        self.text.push_str("NOTICE ");
    }

    /// The lines, without prefix and `NOTICE ` (for tests).
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        let skip = self.prefix.as_ref().map_or(0, String::len) + "NOTICE ".len();
        self.text.lines().map(move |l| &l[skip..])
    }

    /// Writes the block.
    pub fn write(self) {
        use std::io::Write;
        if self.prefix.is_some() {
            let _ = std::io::stderr().lock().write_all(self.text.as_bytes());
            return;
        }
        for line in self.text.lines() {
            tracing::info!(target: NOTICE_TARGET, "{line}");
        }
    }
}

/// `addr` as `Display` writes it; IPv4 without the formatting machinery
/// (a third of a 200,000-ban burst's log time).
fn push_addr(text: &mut String, addr: std::net::IpAddr) {
    use std::fmt::Write;
    match addr {
        std::net::IpAddr::V4(a) => {
            for (i, octet) in a.octets().into_iter().enumerate() {
                if i > 0 {
                    text.push('.');
                }
                if octet >= 100 {
                    text.push(char::from(b'0' + octet / 100));
                }
                if octet >= 10 {
                    text.push(char::from(b'0' + octet / 10 % 10));
                }
                text.push(char::from(b'0' + octet % 10));
            }
        }
        std::net::IpAddr::V6(a) => {
            let _ = write!(text, "{a}");
        }
    }
}

struct Format {
    journal: bool,
    pid: u32,
}

impl<S, N> FormatEvent<S, N> for Format
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let notice = meta.target() == NOTICE_TARGET;
        if self.journal {
            let priority = match *meta.level() {
                _ if notice => 5,
                Level::ERROR => 3,
                Level::WARN => 4,
                Level::INFO => 6,
                _ => 7,
            };
            write!(writer, "<{priority}>")?;
        } else {
            let now = jiff::Zoned::now();
            write!(
                writer,
                "{} portcullis[{}]: ",
                now.strftime("%Y-%m-%d %H:%M:%S%.3f"),
                self.pid
            )?;
        }
        if !notice {
            write!(writer, "{} ", meta.level())?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_display_writes_them() {
        for a in [
            "0.0.0.0",
            "9.10.99.100",
            "255.255.255.255",
            "192.0.2.7",
            "2001:db8::1",
            "::ffff:1.2.3.4",
        ] {
            let addr: std::net::IpAddr = a.parse().unwrap();
            let mut text = String::new();
            push_addr(&mut text, addr);
            assert_eq!(text, addr.to_string());
        }
    }
}
