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
/// one timestamp and one write to stderr: a burst of 200,000 bans is
/// logged in tens of milliseconds instead of a second of per-event
/// formatting and system calls. Without [`init`] (tests), or with notices
/// filtered out, it goes through `tracing` line by line.
pub fn notices(lines: &[String]) {
    use std::io::Write;
    if !tracing::enabled!(target: NOTICE_TARGET, Level::INFO) {
        return;
    }
    let Some(&(journal, pid)) = INSTALLED.get() else {
        for line in lines {
            tracing::info!(target: NOTICE_TARGET, "NOTICE {line}");
        }
        return;
    };
    let prefix = if journal {
        "<5>".to_string()
    } else {
        let now = jiff::Zoned::now();
        format!(
            "{} portcullis[{pid}]: ",
            now.strftime("%Y-%m-%d %H:%M:%S%.3f")
        )
    };
    let mut text = String::with_capacity(lines.len() * (prefix.len() + 40));
    for line in lines {
        text.push_str(&prefix);
        text.push_str("NOTICE ");
        text.push_str(line);
        text.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
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
