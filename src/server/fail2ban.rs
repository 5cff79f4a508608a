//! fail2ban's control socket (`fail2ban-socket` in the configuration):
//! fail2ban-client and the tools built on its protocol talk to the daemon
//! unchanged. Same permissions as our own socket (mode 0600, SO_PEERCRED:
//! anyone may read, only root may change, [`authorize`]). Each connection
//! runs [`crate::f2bproto`]'s [`Conversation`]: read-only commands are
//! answered from a [`ServerView`] built from our own control requests,
//! the others become those requests ([`super::fail2ban_view::plan`]).
//!
//! Bounded: at most [`MAX_CONNECTIONS`] at once (more are closed at once),
//! reads of [`CHUNK`] bytes, an idle connection dropped after
//! [`IDLE`], and the codec's own frame and pickle limits.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix::prelude::*;
use jiff::tz::TimeZone;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

use super::fail2ban_view::{Count, Plan, SETTING_KEYS, Settings, plan, view};
use super::protocol::Request;
use super::reply::{ControlError, Reply, authorize};
use super::{Control, ServerActor};
use crate::f2bproto::{self, Command, Conversation, Incoming, Limits, PyError, ServerView, frame};
use crate::time::UnixMs;

/// Connections served at once; more are closed unread.
pub const MAX_CONNECTIONS: usize = 64;
/// Bytes read at a time.
pub const CHUNK: usize = 16 * 1024;
/// A connection silent this long is closed.
pub const IDLE: Duration = Duration::from_secs(60);

/// Binds `path` and serves it, unless a live process (a running
/// fail2ban-server) answers there: then it says so and leaves it. The
/// daemon runs on without the socket when it cannot have it.
pub fn start(path: &Path, server: Addr<ServerActor>, log_level: String) {
    match super::control::bind_unless_answered(path) {
        Ok(Some(listener)) => {
            tracing::info!("serving fail2ban's protocol on {}", path.display());
            serve(listener, server, log_level);
        }
        Ok(None) => tracing::warn!(
            "fail2ban socket {}: a running fail2ban-server owns it, not taking it \
             (stop and mask fail2ban.service to let portcullis serve it)",
            path.display()
        ),
        Err(e) => tracing::error!("fail2ban socket {}: cannot listen: {e}", path.display()),
    }
}

fn serve(listener: UnixListener, server: Addr<ServerActor>, log_level: String) {
    let open = Arc::new(AtomicUsize::new(0));
    actix_rt::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("fail2ban socket: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                open.fetch_sub(1, Ordering::SeqCst);
                continue; // dropped: closed at once
            }
            let (open, server, level) = (open.clone(), server.clone(), log_level.clone());
            actix_rt::spawn(async move {
                connection(stream, server, &level).await;
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
}

async fn connection(mut stream: UnixStream, server: Addr<ServerActor>, level: &str) {
    let Ok(uid) = stream.peer_cred().map(|c| c.uid()) else {
        return;
    };
    let mut conversation = Conversation::new(Limits::default());
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match tokio::time::timeout(IDLE, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => n,
        };
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
                    let reply = respond(&command, &server, uid, level).await;
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
async fn respond(
    command: &Command,
    server: &Addr<ServerActor>,
    uid: u32,
    level: &str,
) -> f2bproto::Reply {
    if let Command::Ping = command {
        return f2bproto::Reply::Ok(f2bproto::Value::str("pong"));
    }
    let view = match snapshot(server, uid, level).await {
        Ok(view) => view,
        Err(e) => return failed(&e),
    };
    let tz = TimeZone::system();
    if let Some(reply) = f2bproto::answer(command, &view, &tz) {
        return reply;
    }
    match act(command, &view, server, uid).await {
        Ok(Some(reply)) => reply,
        Ok(None) => {
            let Command::Set { jail, key } = command else {
                return f2bproto::Reply::none();
            };
            let read_back = Command::Get {
                jail: jail.clone(),
                key: key.read_back(),
            };
            match snapshot(server, uid, level).await {
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
    server: &Addr<ServerActor>,
    uid: u32,
) -> Result<Option<f2bproto::Reply>, PyError> {
    let plan = plan(command, view)?;
    let ask = |request: Request| control(server, request, uid);
    Ok(Some(match plan {
        Plan::Reply(reply) => reply,
        Plan::Stop => {
            // Only root: checked as for any change.
            authorize(&Request::Reload, uid).map_err(|e| fail(&e))?;
            f2bproto::Reply::none()
        }
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
    }))
}

/// The daemon as fail2ban's queries see it now.
async fn snapshot(
    server: &Addr<ServerActor>,
    uid: u32,
    level: &str,
) -> Result<ServerView, ControlError> {
    let Reply::Status(jails) = control(server, Request::Status { jail: None }, uid).await? else {
        return Ok(ServerView::default());
    };
    let bans = match control(server, Request::Banned { addr: None }, uid).await? {
        Reply::Bans(bans) => bans,
        _ => Vec::new(),
    };
    let mut with_settings = Vec::with_capacity(jails.len());
    for status in jails {
        let mut values = Vec::with_capacity(SETTING_KEYS.len());
        for key in SETTING_KEYS {
            let get = Request::Get {
                jail: status.jail.clone(),
                key: key.to_string(),
            };
            values.push(match control(server, get, uid).await? {
                Reply::Setting(value) => value,
                _ => String::new(),
            });
        }
        let [maxretry, findtime, bantime, ignore] =
            <[String; 4]>::try_from(values).unwrap_or_default();
        let settings = Settings {
            maxretry,
            findtime,
            bantime,
            ignore,
        };
        with_settings.push((status, settings));
    }
    Ok(view(level, with_settings, &bans, UnixMs::now()))
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
