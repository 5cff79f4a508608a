//! The control socket: a Unix stream socket, mode 0600, owned by the
//! daemon's user (root). Each connection carries one request line; the
//! peer's user id comes from SO_PEERCRED and only root may change state.
//!
//! Hostile clients: a request is read up to [`MAX_REQUEST`] bytes and no
//! further (a longer one is refused unread, so memory per connection stays
//! bounded), within `REQUEST_TIMEOUT`; anything that is not one JSON
//! request line gets an error reply. When accepting fails (out of file
//! descriptors), the loop pauses instead of spinning, and says so once.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use actix::prelude::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use super::protocol::{MAX_REQUEST, RequestError, Response, parse_request, render};
use super::{Control, ServerActor};

/// A client that has not sent its request line by then is answered with an
/// error and dropped, so idle connections cannot pile up.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long accepting pauses after it failed.
const ACCEPT_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Binds the socket, replacing a stale one; refuses when another daemon answers on it.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    bind_unless_answered(path)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("another portcullis answers on {}", path.display()),
        )
    })
}

/// A mode 0600 listener on `path`, its directory created and a stale
/// socket file replaced; `None` when a live process answers there (our
/// control socket and fail2ban's share this).
pub fn bind_unless_answered(path: &Path) -> io::Result<Option<UnixListener>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Ok(None);
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(Some(listener))
}

/// Accepts connections until the system stops.
pub fn serve(listener: UnixListener, server: Addr<ServerActor>) {
    actix_rt::spawn(async move {
        let mut failing = false;
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    failing = false;
                    actix_rt::spawn(connection(stream, server.clone()));
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!("control socket: cannot accept a connection: {e}");
                    }
                    failing = true;
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                }
            }
        }
    });
}

async fn connection(stream: UnixStream, server: Addr<ServerActor>) {
    let uid = match stream.peer_cred() {
        Ok(cred) => cred.uid(),
        Err(e) => {
            tracing::warn!("control socket: cannot read the peer's credentials: {e}");
            return;
        }
    };
    let (read, mut write) = stream.into_split();
    let mut line = Vec::new();
    let mut reader = BufReader::new(read).take(MAX_REQUEST as u64);
    let read = tokio::time::timeout(REQUEST_TIMEOUT, reader.read_until(b'\n', &mut line));
    let request = match read.await {
        Err(_) => Err(RequestError::Timeout {
            seconds: REQUEST_TIMEOUT.as_secs(),
        }),
        Ok(Err(e)) => Err(RequestError::Read(e)),
        Ok(Ok(_)) => parse_request(&line),
    };
    let response = match request {
        Err(refused) => Response::from(refused),
        Ok(request) => match server.send(Control { request, uid }).await {
            Ok(answer) => Response::of(&answer),
            Err(gone) => Response::of(&Err(gone.into())),
        },
    };
    let _ = write.write_all(&render(&response)).await;
}
