//! A test-only fail2ban-protocol server: a Unix socket, one thread per
//! connection, portcullis's `f2bproto` codec, and a fixed plain
//! `ServerView` that the commands which act change in place. The daemon's
//! real fail2ban socket (src/server/fail2ban.rs) does the same with its
//! jails; here nothing bans anything, the point is the wire and the reply
//! shapes.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use jiff::tz::TimeZone;
use portcullis::f2bproto::{
    BanView, Command, Conversation, Incoming, JailSource, JailView, Limits, PyError, Reply,
    ServerView, SetKey, Value, answer, frame, reply_bytes,
};
use portcullis::time::UnixMs;

/// 2026-12-05 10:00:00 UTC, when the fixed bans began.
pub const T0: u64 = 1_796_464_800_000;

/// The fixed state: one jail, sshd, with one ban.
pub fn fixed_view() -> ServerView {
    let sshd = JailView {
        name: "sshd".into(),
        currently_failed: 2,
        total_failed: 9,
        total_banned: 3,
        source: JailSource::Files(vec!["/var/log/auth.log".into()]),
        bans: vec![BanView {
            addr: "192.0.2.1".into(),
            start: UnixMs(T0),
            end: Some(UnixMs(T0 + 600_000)),
        }],
        max_retry: 5,
        find_time_secs: 600,
        ban_time_secs: 600,
        ignore_ip: vec!["127.0.0.1/8".into()],
        fail_regex: vec!["^fail from <HOST>$".into()],
        max_lines: 1,
        actions: vec!["nftables".into()],
        ..JailView::default()
    };
    ServerView {
        version: "portcullis-test".into(),
        log_level: "INFO".into(),
        jails: vec![sshd],
    }
}

/// A running test server; its socket lives in its own temporary directory.
pub struct TestServer {
    pub socket: PathBuf,
    pub view: Arc<Mutex<ServerView>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Serves [`fixed_view`].
    pub fn start(limits: Limits) -> TestServer {
        TestServer::with_view(limits, fixed_view())
    }

    pub fn with_view(limits: Limits, view: ServerView) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("fail2ban.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let view = Arc::new(Mutex::new(view));
        let shared = view.clone();
        // Seconds after T0 of the next ban: a minute in, one second apart,
        // so ban order is end order.
        let clock = Arc::new(AtomicU64::new(60));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (view, clock) = (shared.clone(), clock.clone());
                std::thread::spawn(move || serve(stream, &view, &clock, limits));
            }
        });
        TestServer {
            socket,
            view,
            _dir: dir,
        }
    }

    pub fn path(&self) -> &Path {
        &self.socket
    }
}

/// One connection: bounded reads, each request answered in order.
fn serve(mut stream: UnixStream, view: &Mutex<ServerView>, clock: &AtomicU64, limits: Limits) {
    let mut conversation = Conversation::new(limits);
    let mut buf = [0u8; 4096];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let incoming = match conversation.feed(&buf[..n]) {
            Ok(incoming) => incoming,
            Err(error) => {
                let _ = stream.write_all(&frame::protocol_error(&error));
                return;
            }
        };
        for item in incoming {
            let bytes = match item {
                Incoming::Close => return,
                Incoming::Malformed(error) => frame::protocol_error(&error),
                Incoming::Command(command) => reply_bytes(&respond(&command, view, clock)),
            };
            if stream.write_all(&bytes).is_err() {
                return;
            }
        }
    }
}

/// What the server would do: read-only commands from [`answer`], the rest
/// applied to the view.
fn respond(command: &Command, view: &Mutex<ServerView>, clock: &AtomicU64) -> Reply {
    let mut view = view.lock().unwrap();
    if let Some(reply) = answer(command, &view, &TimeZone::UTC) {
        return reply;
    }
    match command {
        Command::BanIp { jail, addrs } => ban(jail_mut(&mut view, jail), addrs, clock),
        Command::UnbanIp {
            jail,
            addrs,
            report_absent,
        } => unban_in(jail_mut(&mut view, jail), addrs, *report_absent),
        Command::UnbanAll => unban_everywhere(&mut view, None),
        Command::Unban { addrs } => unban_everywhere(&mut view, Some(addrs)),
        Command::Set { jail, key } => {
            if let Err(error) = set(jail_mut(&mut view, jail), key) {
                return error.into();
            }
            let read_back = Command::Get {
                jail: jail.clone(),
                key: key.read_back(),
            };
            answer(&read_back, &view, &TimeZone::UTC).unwrap()
        }
        Command::SetLogLevel(level) => {
            view.log_level = level.to_uppercase();
            Reply::Ok(Value::str(&view.log_level))
        }
        Command::FlushLogs => Reply::flushed(false),
        Command::Reload { .. } => Reply::reloaded(),
        _ => Reply::none(),
    }
}

/// `set JAIL banip`: new bans a second apart (a minute after T0 at first);
/// a second ban of an address restarts it (fail2ban's prolong).
fn ban(j: &mut JailView, addrs: &[String], clock: &AtomicU64) -> Reply {
    let mut added = 0;
    for addr in addrs {
        let now = UnixMs(T0 + 1000 * clock.fetch_add(1, Ordering::Relaxed));
        let end = Some(UnixMs(now.0 + 600_000));
        match j.bans.iter_mut().find(|b| &b.addr == addr) {
            Some(ban) => (ban.start, ban.end) = (now, end),
            None => {
                let addr = addr.clone();
                j.bans.push(BanView {
                    addr,
                    start: now,
                    end,
                });
                added += 1;
            }
        }
    }
    j.total_banned += added as u64;
    Reply::count(added)
}

fn unban_in(j: &mut JailView, addrs: &[String], report_absent: bool) -> Reply {
    let missed: Vec<&String> = addrs.iter().filter(|a| !j.is_banned(a)).collect();
    if report_absent && !missed.is_empty() {
        return PyError::not_banned(&missed).into();
    }
    let before = j.bans.len();
    j.bans.retain(|b| !addrs.contains(&b.addr));
    Reply::count(before - j.bans.len())
}

/// `unban IP...` in every jail, or `unban --all` (`None`).
fn unban_everywhere(view: &mut ServerView, addrs: Option<&Vec<String>>) -> Reply {
    let mut removed = 0;
    for j in &mut view.jails {
        let before = j.bans.len();
        j.bans
            .retain(|b| addrs.is_some_and(|a| !a.contains(&b.addr)));
        removed += before - j.bans.len();
    }
    Reply::count(removed)
}

fn set(j: &mut JailView, key: &SetKey) -> Result<(), PyError> {
    let secs = |t: &str| {
        let d = portcullis::time::parse_duration(t);
        d.map(|d| d.as_secs() as i64).map_err(PyError::failed)
    };
    match key {
        SetKey::MaxRetry(n) => j.max_retry = *n,
        SetKey::AddIgnoreIp(addrs) => j.ignore_ip.extend(addrs.iter().cloned()),
        SetKey::DelIgnoreIp(addr) => j.ignore_ip.retain(|a| a != addr),
        SetKey::FindTime(t) => j.find_time_secs = secs(t)?,
        SetKey::BanTime(t) => j.ban_time_secs = secs(t)?,
    }
    Ok(())
}

/// A jail [`answer`] has already found to exist.
fn jail_mut<'a>(view: &'a mut ServerView, name: &str) -> &'a mut JailView {
    view.jails
        .iter_mut()
        .find(|j| j.name == name)
        .expect("answer checked the jail")
}
