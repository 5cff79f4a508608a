//! fail2ban's control socket (`fail2ban-socket` in the configuration):
//! fail2ban-client and the tools built on its protocol talk to the daemon
//! unchanged. Same permissions as our own socket (mode 0600, SO_PEERCRED:
//! anyone may read, only root may change, [`authorize`]). Each connection
//! runs [`crate::f2bproto`]'s [`Conversation`]: read-only commands are
//! answered from a [`ServerView`] built from our own control requests,
//! the others become those requests ([`super::fail2ban_view::plan`]).
//!
//! Bounded: at most [`MAX_CONNECTIONS`] served at once; while all are
//! taken, new clients wait in the kernel's listen backlog and are served
//! in turn ([`WhenFull::Queue`]: a fail2ban-client gets its answer late
//! rather than an error), and a connection silent for [`BUSY_IDLE`] gives
//! its slot up to them (else one is dropped after [`IDLE`]). Reads of
//! [`CHUNK`] bytes, and the codec's own frame and pickle limits.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use jiff::tz::TimeZone;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

use super::fail2ban_view::{Count, Plan, SETTING_KEYS, Settings, log_level_name, plan, view};
use super::fail2ban_view::{JailDetails, tracing_level};
use super::protocol::Request;
use super::reply::{ControlError, Reply, authorize};
use super::stop_start::StartError;
use super::{Control, Details, ServerActor, StartJail, StopJails};
use crate::accept::{Slots, WhenFull, spawn_loop};
use crate::f2bproto::{self, Command, Conversation, Incoming, Limits, PyError, ServerView, frame};
use crate::metrics::Metrics;
use crate::time::UnixMs;

/// Connections served at once; more wait for a slot.
pub const MAX_CONNECTIONS: usize = 256;
/// Bytes read at a time.
pub const CHUNK: usize = 16 * 1024;
/// A connection silent this long is closed.
pub const IDLE: Duration = Duration::from_secs(60);
/// While clients wait for a slot, a connection silent this long is closed.
pub const BUSY_IDLE: Duration = Duration::from_secs(2);
/// How often a silent connection looks whether clients wait.
const TICK: Duration = Duration::from_millis(250);

/// What every connection shares.
#[derive(Clone)]
struct Shared {
    server: Addr<ServerActor>,
    metrics: Arc<Metrics>,
    /// fail2ban's name of the log level now: what `get loglevel` says.
    level: Arc<Mutex<String>>,
    slots: Slots,
}

/// Binds `path` and serves it, unless a live process (a running
/// fail2ban-server) answers there: then it says so and leaves it. The
/// daemon runs on without the socket when it cannot have it. `log_level`
/// is the configuration's (ours: `info`...).
pub fn start(path: &Path, server: Addr<ServerActor>, log_level: &str, metrics: Arc<Metrics>) {
    match super::control::bind_unless_answered(path) {
        Ok(Some(listener)) => {
            tracing::info!("serving fail2ban's protocol on {}", path.display());
            let level = Arc::new(Mutex::new(log_level_name(log_level).to_string()));
            let slots = Slots::new(MAX_CONNECTIONS);
            serve(
                listener,
                Shared {
                    server,
                    metrics,
                    level,
                    slots,
                },
            );
        }
        Ok(None) => tracing::warn!(
            "fail2ban socket {}: a running fail2ban-server owns it, not taking it \
             (stop and mask fail2ban.service to let portcullis serve it)",
            path.display()
        ),
        Err(e) => tracing::error!("fail2ban socket {}: cannot listen: {e}", path.display()),
    }
}

fn serve(listener: UnixListener, shared: Shared) {
    let slots = shared.slots.clone();
    spawn_loop(
        "fail2ban socket",
        listener,
        slots,
        WhenFull::Queue,
        move |stream| connection(stream, shared.clone()),
    );
}

/// The next bytes from the client, or `None` when it closed, failed or
/// stayed silent too long ([`IDLE`], or [`BUSY_IDLE`] while others wait).
async fn read_some(stream: &mut UnixStream, buf: &mut [u8], slots: &Slots) -> Option<usize> {
    let since = Instant::now();
    loop {
        match tokio::time::timeout(TICK, stream.read(buf)).await {
            Ok(Ok(0) | Err(_)) => return None,
            Ok(Ok(n)) => return Some(n),
            Err(_) => {
                let limit = if slots.full() { BUSY_IDLE } else { IDLE };
                if since.elapsed() >= limit {
                    return None;
                }
            }
        }
    }
}

async fn connection(mut stream: UnixStream, shared: Shared) {
    let Ok(uid) = stream.peer_cred().map(|c| c.uid()) else {
        return;
    };
    let mut conversation = Conversation::new(Limits::default());
    let mut buf = vec![0u8; CHUNK];
    while let Some(n) = read_some(&mut stream, &mut buf, &shared.slots).await {
        let incoming = match conversation.feed(&buf[..n]) {
            Ok(incoming) => incoming,
            Err(error) => {
                let _ = stream.write_all(&frame::protocol_error(&error)).await;
                return;
            }
        };
        for item in incoming {
            let (bytes, stop) = match item {
                Incoming::Close => return,
                Incoming::Malformed(error) => (frame::protocol_error(&error), false),
                Incoming::Command(command) => {
                    let reply = respond(&command, &shared, uid).await;
                    let stop = matches!(command, Command::Stop) && reply.code() == 0;
                    (f2bproto::reply_bytes(&reply), stop)
                }
            };
            if stream.write_all(&bytes).await.is_err() {
                return;
            }
            if stop {
                stop_daemon();
                return;
            }
        }
    }
}

/// `stop`: the daemon stops as on SIGTERM (the database flushed first).
fn stop_daemon() {
    tracing::info!("fail2ban socket: stop requested");
    // SAFETY: kill(2) on our own pid with a signal the daemon handles.
    unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
}

/// The reply to one command from a client with user id `uid`.
async fn respond(command: &Command, shared: &Shared, uid: u32) -> f2bproto::Reply {
    if let Command::Ping = command {
        return f2bproto::Reply::Ok(f2bproto::Value::str("pong"));
    }
    let view = match snapshot(shared, uid).await {
        Ok(view) => view,
        Err(e) => return failed(&e),
    };
    let tz = TimeZone::system();
    if let Some(reply) = f2bproto::answer(command, &view, &tz) {
        return reply;
    }
    match act(command, &view, shared, uid).await {
        Ok(Some(reply)) => reply,
        Ok(None) => {
            let Command::Set { jail, key } = command else {
                return f2bproto::Reply::none();
            };
            let read_back = Command::Get {
                jail: jail.clone(),
                key: key.read_back(),
            };
            match snapshot(shared, uid).await {
                Ok(view) => {
                    f2bproto::answer(&read_back, &view, &tz).unwrap_or_else(f2bproto::Reply::none)
                }
                Err(e) => failed(&e),
            }
        }
        Err(error) => error.into(),
    }
}

/// Carries out a command [`f2bproto::answer()`] left: its reply, or none
/// for a `set` (read back from a fresh view).
async fn act(
    command: &Command,
    view: &ServerView,
    shared: &Shared,
    uid: u32,
) -> Result<Option<f2bproto::Reply>, PyError> {
    let ask = |request: Request| control(&shared.server, request, uid);
    Ok(Some(match plan(command, view)? {
        Plan::Reply(reply) => reply,
        Plan::Reload => {
            ask(Request::Reload).await.map_err(|e| fail(&e))?;
            f2bproto::Reply::reloaded()
        }
        Plan::Set(request) => {
            ask(request).await.map_err(|e| fail(&e))?;
            return Ok(None);
        }
        Plan::Count { requests, count } => {
            let mut lifted = 0;
            for request in requests {
                if let Reply::Lifted(n) = ask(request).await.map_err(|e| fail(&e))? {
                    lifted += n;
                }
            }
            f2bproto::Reply::count(match count {
                Count::Fixed(n) => n,
                Count::Lifted => lifted,
            })
        }
        other => {
            // Only root: checked as for any change.
            authorize(&Request::Reload, uid).map_err(|e| fail(&e))?;
            server_side(other, shared).await?
        }
    }))
}

/// The plans the server's own messages carry out (root's only): stop and
/// start jails, the log level; `stop` itself the connection does, after
/// the reply.
async fn server_side(plan: Plan, shared: &Shared) -> Result<f2bproto::Reply, PyError> {
    let gone = |e: MailboxError| fail(&e.into());
    match plan {
        Plan::StopJails(only) => {
            let stopped = shared.server.send(StopJails { only }).await.map_err(gone)?;
            stopped.map_err(|e| fail(&e))?;
        }
        Plan::Start(jail) => {
            let started = shared.server.send(StartJail { jail }).await.map_err(gone)?;
            started.map_err(|e| match e {
                StartError::NoSuchJail(no) => PyError::unknown_jail(&no.name),
                other => PyError::failed(other.to_string()),
            })?;
        }
        Plan::LogLevel(level) => {
            crate::logging::set_level(tracing_level(&level));
            tracing::info!("log level set to {level} over fail2ban's socket");
            *shared.level.lock().unwrap_or_else(|e| e.into_inner()) = level.clone();
            return Ok(f2bproto::Reply::Ok(f2bproto::Value::Str(level)));
        }
        _ => {}
    }
    Ok(f2bproto::Reply::none())
}

/// The daemon as fail2ban's queries see it now.
async fn snapshot(shared: &Shared, uid: u32) -> Result<ServerView, ControlError> {
    let server = &shared.server;
    let Reply::Status(jails) = control(server, Request::Status { jail: None }, uid).await? else {
        return Ok(ServerView::default());
    };
    let bans = match control(server, Request::Banned { addr: None }, uid).await? {
        Reply::Bans(bans) => bans,
        _ => Vec::new(),
    };
    let mut with_settings = Vec::with_capacity(jails.len());
    for status in jails {
        let settings = settings(shared, &status.jail, uid).await?;
        with_settings.push((status, settings));
    }
    let level = shared
        .level
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Ok(view(&level, with_settings, &bans, UnixMs::now()))
}

/// One running jail's settings, details and ban count.
async fn settings(shared: &Shared, jail: &str, uid: u32) -> Result<Settings, ControlError> {
    let mut values = Vec::with_capacity(SETTING_KEYS.len());
    for key in SETTING_KEYS {
        let get = Request::Get {
            jail: jail.to_string(),
            key: key.to_string(),
        };
        values.push(match control(&shared.server, get, uid).await? {
            Reply::Setting(value) => value,
            _ => String::new(),
        });
    }
    let [maxretry, findtime, bantime, ignore] = <[String; 4]>::try_from(values).unwrap_or_default();
    let details = Details {
        jail: jail.to_string(),
    };
    // A jail stopped meanwhile has none.
    let details: JailDetails = shared.server.send(details).await?.unwrap_or_default();
    let new_bans = shared
        .metrics
        .jail(jail)
        .new_bans
        .load(std::sync::atomic::Ordering::Relaxed);
    Ok(Settings {
        maxretry,
        findtime,
        bantime,
        ignore,
        details,
        new_bans,
    })
}

async fn control(
    server: &Addr<ServerActor>,
    request: Request,
    uid: u32,
) -> Result<Reply, ControlError> {
    server.send(Control { request, uid }).await?
}

fn fail(error: &ControlError) -> PyError {
    PyError::failed(crate::error_chain(error))
}

fn failed(error: &ControlError) -> f2bproto::Reply {
    fail(error).into()
}
