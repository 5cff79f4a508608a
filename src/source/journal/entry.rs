//! One journal entry as a log line: the fields the `journal` log type of
//! the filters expects (`_HOSTNAME SYSLOG_IDENTIFIER[PID]: MESSAGE`, no
//! date), and [`JournalBatch`], many such lines in one buffer.
//!
//! Invariants:
//! - A line is at most [`MAX_LINE`] bytes, whatever the entry holds: each
//!   field is cut when it is copied, so a huge MESSAGE costs no memory.
//! - Bytes stay bytes (invalid UTF-8 and NUL are matched as bytes); a
//!   newline or carriage return inside MESSAGE becomes a space, so that
//!   one entry is one line and cannot pose as a second one.

use crate::source::MAX_LINE;

/// The fields of an entry a line is made of, copied into reused buffers.
#[derive(Debug, Default)]
pub struct EntryFields {
    pub hostname: Vec<u8>,
    pub identifier: Vec<u8>,
    /// `_COMM`: the identifier when SYSLOG_IDENTIFIER is missing.
    pub comm: Vec<u8>,
    pub syslog_pid: Vec<u8>,
    /// `_PID`: the pid when SYSLOG_PID is missing.
    pub pid: Vec<u8>,
    pub message: Vec<u8>,
    /// MESSAGE was longer than a line may be.
    pub message_cut: bool,
}

impl EntryFields {
    pub fn clear(&mut self) {
        for field in [
            &mut self.hostname,
            &mut self.identifier,
            &mut self.comm,
            &mut self.syslog_pid,
            &mut self.pid,
            &mut self.message,
        ] {
            field.clear();
        }
        self.message_cut = false;
    }

    /// Takes one `NAME=value` data item of the entry; items the line does
    /// not use are ignored.
    pub fn take(&mut self, item: &[u8]) {
        let Some(eq) = memchr::memchr(b'=', item) else {
            return;
        };
        let (name, value) = (&item[..eq], &item[eq + 1..]);
        let slot = match name {
            b"MESSAGE" => {
                self.message_cut = value.len() > MAX_LINE;
                &mut self.message
            }
            b"_HOSTNAME" => &mut self.hostname,
            b"SYSLOG_IDENTIFIER" => &mut self.identifier,
            b"_COMM" => &mut self.comm,
            b"SYSLOG_PID" => &mut self.syslog_pid,
            b"_PID" => &mut self.pid,
            _ => return,
        };
        slot.clear();
        slot.extend_from_slice(&value[..value.len().min(MAX_LINE)]);
    }

    /// Appends the line to `out`: `host ident[pid]: message`. A missing
    /// host is left out; the identifier falls back to `_COMM`, the pid to
    /// `_PID`; without either name, `host message`.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        let start = out.len();
        let name = first_non_empty(&self.identifier, &self.comm);
        let pid = first_non_empty(&self.syslog_pid, &self.pid);
        if !self.hostname.is_empty() {
            out.extend_from_slice(&self.hostname);
            out.push(b' ');
        }
        if !name.is_empty() {
            out.extend_from_slice(name);
            if !pid.is_empty() {
                out.push(b'[');
                out.extend_from_slice(pid);
                out.push(b']');
            }
            out.extend_from_slice(b": ");
        }
        let room = MAX_LINE.saturating_sub(out.len() - start);
        let message = &self.message[..self.message.len().min(room)];
        out.extend(message.iter().map(|&b| match b {
            b'\n' | b'\r' => b' ',
            b => b,
        }));
        // The other fields are short in practice but bounded all the same.
        out.truncate(start + MAX_LINE);
    }
}

fn first_non_empty<'a>(a: &'a [u8], b: &'a [u8]) -> &'a [u8] {
    if a.is_empty() { b } else { a }
}

/// Entries read in one go: their lines in one buffer, each with its
/// `__REALTIME_TIMESTAMP`, and the cursor of the last one.
#[derive(Debug, Default)]
pub struct JournalBatch {
    text: Vec<u8>,
    /// End of each line in `text`, and its time in microseconds since the epoch.
    entries: Vec<(usize, u64)>,
    /// Where to resume after the last entry (`None` while empty).
    pub cursor: Option<String>,
    /// Entries whose MESSAGE was cut at the line limit.
    pub cut: u64,
}

impl JournalBatch {
    /// Appends an entry.
    pub fn push(&mut self, fields: &EntryFields, realtime_us: u64) {
        fields.write_line(&mut self.text);
        self.entries.push((self.text.len(), realtime_us));
        self.cut += u64::from(fields.message_cut);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Each line and its time (microseconds since the epoch), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        let mut start = 0;
        self.entries.iter().map(move |&(end, time)| {
            let line = &self.text[start..end];
            start = end;
            (line, time)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(items: &[&[u8]]) -> Vec<u8> {
        let mut f = EntryFields::default();
        for item in items {
            f.take(item);
        }
        let mut out = Vec::new();
        f.write_line(&mut out);
        out
    }

    #[test]
    fn the_journal_line_form() {
        assert_eq!(
            line(&[
                b"_PID=42",
                b"_HOSTNAME=gate",
                b"SYSLOG_IDENTIFIER=sshd",
                b"MESSAGE=Failed password for root from 192.0.2.1 port 22 ssh2",
                b"_SYSTEMD_UNIT=sshd.service",
            ]),
            b"gate sshd[42]: Failed password for root from 192.0.2.1 port 22 ssh2"
        );
    }

    #[test]
    fn missing_fields_fall_back() {
        // SYSLOG_PID wins over _PID, _COMM stands in for the identifier.
        assert_eq!(
            line(&[b"SYSLOG_PID=7", b"_PID=8", b"_COMM=sshd", b"MESSAGE=m"]),
            b"sshd[7]: m"
        );
        assert_eq!(line(&[b"_HOSTNAME=h", b"MESSAGE=m"]), b"h m");
        assert_eq!(line(&[b"_HOSTNAME=h", b"_COMM=x"]), b"h x: ");
        assert_eq!(line(&[b"BROKEN", b"MESSAGE=a=b"]), b"a=b");
    }

    #[test]
    fn hostile_messages_stay_one_bounded_line() {
        let mut msg = b"MESSAGE=a\nh sshd[1]: b\r\0\xff".to_vec();
        assert_eq!(line(&[&msg]), b"a h sshd[1]: b \0\xff");
        msg.extend(std::iter::repeat_n(b'x', 1 << 20));
        let mut f = EntryFields::default();
        f.take(b"_HOSTNAME=h");
        f.take(b"SYSLOG_IDENTIFIER=sshd");
        f.take(&msg);
        assert!(f.message_cut);
        assert!(f.message.len() <= MAX_LINE);
        let mut batch = JournalBatch::default();
        batch.push(&f, 5);
        batch.push(&EntryFields::default(), 6);
        let lines: Vec<_> = batch.iter().collect();
        assert_eq!(lines[0].0.len(), MAX_LINE);
        assert!(lines[0].0.starts_with(b"h sshd: a h"));
        assert_eq!(lines[1], (&b""[..], 6));
        assert_eq!(batch.cut, 1);
    }
}
