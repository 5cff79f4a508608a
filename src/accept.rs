//! A bounded accept loop, shared by the daemon's listeners that serve
//! clients it does not trust to be few (fail2ban's socket, `/metrics`).
//!
//! At most `max` connections are served at once: each holds a [`Slot`],
//! given back when its task ends, by panic too (the slot is dropped with
//! the task). What happens to the next client when every slot is taken is
//! the listener's [`WhenFull`]. When accepting fails (out of file
//! descriptors), the loop pauses instead of spinning, and says so once.
//! A leaf: tokio and the standard library only.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long accepting pauses after it failed.
pub const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// A listener the loop accepts from.
pub trait Listener: 'static {
    type Stream: 'static;
    fn accept_stream(&self) -> impl Future<Output = io::Result<Self::Stream>>;
}

impl Listener for tokio::net::UnixListener {
    type Stream = tokio::net::UnixStream;
    async fn accept_stream(&self) -> io::Result<Self::Stream> {
        self.accept().await.map(|(stream, _)| stream)
    }
}

impl Listener for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;
    async fn accept_stream(&self) -> io::Result<Self::Stream> {
        self.accept().await.map(|(stream, _)| stream)
    }
}

/// What a client gets while every slot is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Accepted and closed at once, unanswered (a scrape retries).
    Refuse,
    /// Not accepted until a slot is free: it waits in the kernel's listen
    /// backlog (`net.core.somaxconn` connections; beyond, its connect
    /// fails) and is served in turn.
    Queue,
}

/// The connections served at once.
#[derive(Debug, Clone)]
pub struct Slots {
    free: Arc<Semaphore>,
}

/// One connection's place among the [`Slots`], given back on drop.
#[derive(Debug)]
pub struct Slot(#[allow(dead_code)] OwnedSemaphorePermit);

impl Slots {
    pub fn new(max: usize) -> Slots {
        Slots {
            free: Arc::new(Semaphore::new(max)),
        }
    }

    /// Whether every slot is taken (clients are waiting or refused).
    pub fn full(&self) -> bool {
        self.free.available_permits() == 0
    }

    fn try_take(&self) -> Option<Slot> {
        self.free.clone().try_acquire_owned().ok().map(Slot)
    }

    async fn take(&self) -> Slot {
        // The semaphore is never closed: acquiring only waits.
        let permit = self.free.clone().acquire_owned().await;
        Slot(permit.expect("the slots' semaphore is never closed"))
    }
}

/// Accepts from `listener` until the system stops, running `serve` on
/// each connection in a task of its own with its slot; `what` names the
/// listener in the log.
pub fn spawn_loop<L, F, Fut>(
    what: &'static str,
    listener: L,
    slots: Slots,
    full: WhenFull,
    serve: F,
) where
    L: Listener,
    F: Fn(L::Stream) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    actix_rt::spawn(async move {
        let mut failing = false;
        loop {
            let queued = match full {
                WhenFull::Queue => Some(slots.take().await),
                WhenFull::Refuse => None,
            };
            let stream = match listener.accept_stream().await {
                Ok(stream) => stream,
                Err(e) => {
                    if !failing {
                        tracing::warn!("{what}: cannot accept a connection: {e}");
                    }
                    failing = true;
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            };
            failing = false;
            let Some(slot) = queued.or_else(|| slots.try_take()) else {
                continue; // dropped: closed at once
            };
            let served = serve(stream);
            actix_rt::spawn(async move {
                served.await;
                drop(slot);
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_given_back_when_dropped_even_by_a_panic() {
        let slots = Slots::new(2);
        let a = slots.try_take().unwrap();
        let b = slots.try_take().unwrap();
        assert!(slots.full());
        assert!(slots.try_take().is_none());
        drop(a);
        assert!(!slots.full());
        let c = slots.try_take().unwrap();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _held = c;
            panic!("a connection's task panics");
        }));
        assert!(unwound.is_err());
        assert!(!slots.full(), "the panicking task's slot came back");
        drop(b);
    }

    #[test]
    fn queued_clients_wait_for_a_slot_and_refused_ones_are_closed() {
        let system = actix_rt::System::new();
        system.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            for (full, answered) in [(WhenFull::Queue, 3), (WhenFull::Refuse, 1)] {
                let path = dir.path().join(format!("{full:?}.sock"));
                let listener = tokio::net::UnixListener::bind(&path).unwrap();
                let (tx, rx) = std::sync::mpsc::channel::<()>();
                let hold = Arc::new(tokio::sync::Notify::new());
                let release = hold.clone();
                spawn_loop("test", listener, Slots::new(1), full, move |stream| {
                    let (tx, hold) = (tx.clone(), hold.clone());
                    async move {
                        tx.send(()).unwrap();
                        hold.notified().await;
                        drop(stream);
                    }
                });
                let mut clients = Vec::new();
                for _ in 0..3 {
                    clients.push(tokio::net::UnixStream::connect(&path).await.unwrap());
                }
                for _ in 0..10 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    release.notify_one();
                }
                assert_eq!(rx.try_iter().count(), answered, "{full:?}");
            }
        });
    }
}
