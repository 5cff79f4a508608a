//! The NATS side (async-nats, no actix): connect with the configured
//! credentials, create the stream if it is missing, publish decisions with
//! `Nats-Msg-Id`, read the others' through a durable pull consumer named
//! after this node, acknowledge what was handed over.
//!
//! The stream (created once, never changed if it exists):
//! subjects `PREFIX.>`, file storage, max messages per subject 1 (the
//! latest decision per origin, jail and address), max age from the
//! settings, replicas min(3, servers) unless set, de-duplication window
//! [`DUPLICATE_WINDOW`]. The consumer: durable `<node>`, deliver all, ack
//! policy *explicit* (each message handed over is acknowledged by itself,
//! so a message that reached an abandoned pull is delivered again, never
//! acknowledged unseen by a later ack), so a new node first receives the
//! current decisions and a node that was down resumes where it stopped.
//!
//! async-nats reconnects on its own, with [`backoff`] between attempts;
//! its connection events go through [`LinkLog`], one log line per change.
//! [`ClusterClient::connect`] never waits for a server (a node bans locally
//! whether or not NATS is up); [`ClusterClient::ensure`] sets up the stream
//! and consumer once one answers, and the caller retries it with backoff.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};

use super::decision::Decision;
use super::link::{Link, LinkLog, backoff};
pub use super::publisher::Publisher;
use super::settings::ClusterSettings;
use super::setup::{
    auth_options, event_logger, jitter, open_consumer, server_addrs, stream_config,
};

/// JetStream forgets a message id after this; a retry within it is dropped.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// A pull request lasts this long before the client renews it: a request
/// lost while JetStream elected its leaders costs at most this much.
pub const PULL_EXPIRES: Duration = Duration::from_secs(5);
/// Idle heartbeat of a pull request; two missed ones end the stream of
/// messages with an error ([`ClusterClient::next_batch`] then renews it).
pub const PULL_HEARTBEAT: Duration = Duration::from_secs(2);
/// Bytes one pull request asks for at most: a few dozen blocks of a
/// storm ([`super::block`]), so what is in flight stays bounded.
pub const PULL_MAX_BYTES: usize = 8 * 1024 * 1024;
/// An unacknowledged message is delivered again after this.
pub const ACK_WAIT: Duration = Duration::from_secs(30);

/// What failed talking to NATS.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cluster: server address {0:?} is not a NATS URL")]
    BadServer(String, #[source] std::io::Error),
    #[error("cluster: cannot read NATS credentials {path}")]
    Credentials {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cluster: cannot connect to NATS")]
    Connect(#[source] async_nats::ConnectError),
    #[error(
        "cluster: cannot create or open stream {stream} (is JetStream enabled on the servers?)"
    )]
    Stream {
        stream: String,
        #[source]
        source: jetstream::context::CreateStreamError,
    },
    #[error("cluster: cannot create or open consumer {consumer} on stream {stream}")]
    Consumer {
        stream: String,
        consumer: String,
        #[source]
        source: jetstream::stream::ConsumerError,
    },
    #[error("cluster: stream and consumer are not set up yet (NATS unreachable?)")]
    NotReady,
    #[error("cluster: decision {id} has no valid subject")]
    BadDecision { id: String },
    #[error("cluster: cannot publish {subject}")]
    Publish {
        subject: String,
        #[source]
        source: jetstream::context::PublishError,
    },
    #[error("cluster: cannot read from consumer {consumer}")]
    Fetch {
        consumer: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cluster: cannot acknowledge message {sequence}")]
    Ack {
        sequence: u64,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A message read from the stream, to hand to [`super::Intake::admit`].
#[derive(Debug)]
pub struct Incoming {
    pub subject: String,
    pub payload: Bytes,
    /// Its sequence in the stream.
    pub sequence: u64,
    message: jetstream::Message,
}

/// JetStream's answer to a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub sequence: u64,
    /// The stream had this message id already (a retry): nothing stored.
    pub duplicate: bool,
}

/// One node's connection to the fleet.
pub struct ClusterClient {
    settings: ClusterSettings,
    client: async_nats::Client,
    js: jetstream::Context,
    link: Arc<Mutex<LinkLog>>,
    consumer: Option<jetstream::consumer::Consumer<pull::Config>>,
    messages: Option<pull::Stream>,
}

impl ClusterClient {
    /// Starts connecting to `settings.servers` (in the background: this
    /// returns at once even if no server answers).
    pub async fn connect(settings: &ClusterSettings) -> Result<ClusterClient, ClientError> {
        let servers = server_addrs(&settings.servers)?;
        let link = Arc::new(Mutex::new(LinkLog::default()));
        let client_cell: Arc<OnceLock<async_nats::Client>> = Arc::new(OnceLock::new());
        let options = auth_options(settings)
            .await?
            .name(format!("portcullis {}", settings.node))
            .retry_on_initial_connect()
            .reconnect_delay_callback(|attempt| backoff(attempt.saturating_sub(1), jitter()))
            .event_callback(event_logger(link.clone(), client_cell.clone()));
        let client = options
            .connect(servers)
            .await
            .map_err(ClientError::Connect)?;
        let _ = client_cell.set(client.clone());
        let js = jetstream::new(client.clone());
        Ok(ClusterClient {
            settings: settings.clone(),
            client,
            js,
            link,
            consumer: None,
            messages: None,
        })
    }

    /// Creates the stream and this node's consumer if they are missing
    /// (once; a no-op afterwards). Fails while no server answers.
    pub async fn ensure(&mut self) -> Result<(), ClientError> {
        if self.consumer.is_some() {
            return Ok(());
        }
        let s = &self.settings;
        let stream = self
            .js
            .get_or_create_stream(stream_config(s))
            .await
            .map_err(|source| ClientError::Stream {
                stream: s.stream.clone(),
                source,
            })?;
        let consumer = open_consumer(&stream, s)
            .await
            .map_err(|source| ClientError::Consumer {
                stream: s.stream.clone(),
                consumer: s.node.clone(),
                source,
            })?;
        self.consumer = Some(consumer);
        Ok(())
    }

    /// Publishes `decisions`: see [`Publisher::publish`].
    pub async fn publish(
        &self,
        decisions: &[Decision],
    ) -> Vec<Result<Published, Arc<ClientError>>> {
        self.publisher().publish(decisions).await
    }

    /// A cheap clone of the publishing side, for a task that publishes
    /// while another reads through `&mut self`.
    pub fn publisher(&self) -> Publisher {
        Publisher {
            js: self.js.clone(),
            prefix: self.settings.subject_prefix.clone(),
        }
    }

    /// Waits up to `wait` for the first message, then takes those already
    /// there, up to `max`, in stream order. Empty if none came.
    pub async fn next_batch(
        &mut self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Incoming>, ClientError> {
        if self.messages.is_none() {
            self.messages = Some(self.open_messages(max).await?);
        }
        let messages = self.messages.as_mut().ok_or(ClientError::NotReady)?;
        let mut batch = Vec::new();
        let Ok(mut next) = tokio::time::timeout(wait, messages.next()).await else {
            return Ok(batch);
        };
        loop {
            match next {
                Some(Ok(message)) => batch.push(incoming(message)),
                // Ended or failed: the next call renews the pull; an error
                // is reported only when there is nothing to hand over.
                Some(Err(e)) if batch.is_empty() => {
                    self.messages = None;
                    return Err(self.fetch_error(e.into()));
                }
                Some(Err(_)) | None => {
                    self.messages = None;
                    break;
                }
            }
            if batch.len() >= max {
                break;
            }
            let Some(item) = messages.next().now_or_never() else {
                break;
            };
            next = item;
        }
        Ok(batch)
    }

    async fn open_messages(&self, max: usize) -> Result<pull::Stream, ClientError> {
        let consumer = self.consumer.as_ref().ok_or(ClientError::NotReady)?;
        consumer
            .stream()
            .max_messages_per_batch(max.clamp(1, 10_000))
            .max_bytes_per_batch(PULL_MAX_BYTES)
            .expires(PULL_EXPIRES)
            .heartbeat(PULL_HEARTBEAT)
            .messages()
            .await
            .map_err(|e| self.fetch_error(e.into()))
    }

    fn fetch_error(&self, source: Box<dyn std::error::Error + Send + Sync>) -> ClientError {
        ClientError::Fetch {
            consumer: self.settings.node.clone(),
            source,
        }
    }

    /// Acknowledges each message of `handed` (and only those): call it
    /// once they were handed over. The acks are queued without waiting
    /// for each round trip, then flushed once; a lost ack only means the
    /// message comes again after [`ACK_WAIT`], and applying a decision
    /// twice is harmless.
    pub async fn ack(&self, handed: &[Incoming]) -> Result<(), ClientError> {
        let mut failed = None;
        for message in handed {
            if let Err(source) = message.message.ack().await {
                failed.get_or_insert(ClientError::Ack {
                    sequence: message.sequence,
                    source,
                });
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        let sequence = handed.last().map_or(0, |m| m.sequence);
        (self.client.flush().await).map_err(|e| ClientError::Ack {
            sequence,
            source: e.into(),
        })
    }

    /// Messages the consumer has not delivered yet (its lag).
    pub async fn lag(&mut self) -> Option<u64> {
        let info = self.consumer.as_mut()?.info().await.ok()?;
        Some(info.num_pending)
    }

    /// The link's state as last logged.
    pub fn link(&self) -> Link {
        self.link
            .lock()
            .map(|l| l.state().clone())
            .unwrap_or(Link::Disconnected)
    }

    /// The JetStream context (for tests and status).
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// The underlying client (for tests and status).
    pub fn nats(&self) -> &async_nats::Client {
        &self.client
    }
}

fn incoming(message: jetstream::Message) -> Incoming {
    let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
    Incoming {
        subject: message.subject.to_string(),
        payload: message.payload.clone(),
        sequence,
        message,
    }
}
