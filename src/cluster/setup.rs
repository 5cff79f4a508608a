//! How [`super::client`] talks to NATS, as plain functions: the server
//! list, the credentials, the stream and consumer it creates, and the
//! connection-event logger.

use std::sync::{Arc, Mutex, OnceLock};

use async_nats::jetstream::{self, consumer::pull, stream};
use async_nats::{ConnectOptions, ServerAddr};

use super::client::{ACK_WAIT, ClientError, DUPLICATE_WINDOW};
use super::link::{Link, LinkLog};
use super::settings::{Auth, ClusterSettings};
use super::subject::wildcard;

pub(super) fn server_addrs(servers: &[String]) -> Result<Vec<ServerAddr>, ClientError> {
    servers
        .iter()
        .map(|s| {
            s.parse::<ServerAddr>()
                .map_err(|e| ClientError::BadServer(s.clone(), e))
        })
        .collect()
}

pub(super) async fn auth_options(
    settings: &ClusterSettings,
) -> Result<ConnectOptions, ClientError> {
    let mut options = match &settings.auth {
        Auth::None => ConnectOptions::new(),
        Auth::Credentials(path) => {
            ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|source| ClientError::Credentials {
                    path: path.display().to_string(),
                    source,
                })?
        }
        Auth::UserPassword { user, password } => {
            ConnectOptions::with_user_and_password(user.clone(), password.clone())
        }
        Auth::Token(token) => ConnectOptions::with_token(token.clone()),
        Auth::UserPasswordFile { user, path } => {
            ConnectOptions::with_user_and_password(user.clone(), secret(path)?)
        }
        Auth::TokenFile(path) => ConnectOptions::with_token(secret(path)?),
    };
    if let Some(tls) = &settings.tls {
        options = options.require_tls(true);
        if let Some(ca) = &tls.ca {
            options = options.add_root_certificates(ca.clone());
        }
        if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
    }
    Ok(options)
}

/// A password or token file's text, without the line end an editor or
/// `echo` leaves.
fn secret(path: &std::path::Path) -> Result<String, ClientError> {
    let text = std::fs::read_to_string(path).map_err(|source| ClientError::Credentials {
        path: path.display().to_string(),
        source,
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// The stream as [`ClusterClient::ensure`] creates it.
pub fn stream_config(s: &ClusterSettings) -> stream::Config {
    stream::Config {
        name: s.stream.clone(),
        subjects: vec![wildcard(&s.subject_prefix)],
        max_messages_per_subject: 1,
        max_age: s.max_age,
        storage: stream::StorageType::File,
        num_replicas: s.replicas(),
        duplicate_window: DUPLICATE_WINDOW,
        description: Some("portcullis: the latest ban decision per node, jail and address".into()),
        ..Default::default()
    }
}

/// Messages delivered and not yet acknowledged at most: several of the
/// reader's batches (5,000), so the server keeps delivering while one is
/// applied (nats-server's default, 1,000, cut a 100,000 storm into 100
/// round trips of apply and ack).
pub const MAX_ACK_PENDING: i64 = 20_000;

/// This node's durable consumer.
pub fn consumer_config(s: &ClusterSettings) -> pull::Config {
    pull::Config {
        durable_name: Some(s.node.clone()),
        deliver_policy: jetstream::consumer::DeliverPolicy::All,
        // Explicit: each handed-over message is acknowledged by itself, so
        // a message delivered to an abandoned pull is never acknowledged
        // by a later ack (as *all* did) without having been applied.
        ack_policy: jetstream::consumer::AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        max_ack_pending: MAX_ACK_PENDING,
        filter_subject: wildcard(&s.subject_prefix),
        ..Default::default()
    }
}

/// This node's consumer on `stream`, created if missing. A consumer left
/// by an older version with another ack policy (JetStream refuses to
/// change it in place) is deleted and created again, logged once: it then
/// delivers the stream from its start, harmless as decisions are
/// idempotent and expired ones are skipped.
pub(super) async fn open_consumer(
    stream: &stream::Stream,
    s: &ClusterSettings,
) -> Result<jetstream::consumer::Consumer<pull::Config>, stream::ConsumerError> {
    let want = consumer_config(s);
    let consumer: jetstream::consumer::Consumer<pull::Config> =
        stream.get_or_create_consumer(&s.node, want.clone()).await?;
    let had = consumer.cached_info().config.ack_policy;
    if had == want.ack_policy {
        return Ok(consumer);
    }
    tracing::warn!(
        "cluster: consumer {} had ack policy {had:?}; recreating it with {:?} \
         (it delivers the stream again from its start, already applied decisions are skipped)",
        s.node,
        want.ack_policy
    );
    stream.delete_consumer(&s.node).await?;
    stream.create_consumer(want).await
}

pub(super) fn event_logger(
    link: Arc<Mutex<LinkLog>>,
    client: Arc<OnceLock<async_nats::Client>>,
) -> impl Fn(async_nats::Event) -> std::future::Ready<()> + Send + Sync {
    move |event| {
        let state = match event {
            async_nats::Event::Connected => Some(Link::Connected {
                server: client
                    .get()
                    .map(|c| {
                        let info = c.server_info();
                        format!("{}:{}", info.host, info.port)
                    })
                    .unwrap_or_else(|| "a listed server".into()),
            }),
            async_nats::Event::Disconnected => Some(Link::Disconnected),
            async_nats::Event::Closed => Some(Link::Disconnected),
            _ => None,
        };
        let up = matches!(state, Some(Link::Connected { .. }));
        match state.and_then(|s| link.lock().ok()?.update(s)) {
            Some(line) if up => tracing::info!("{line}"),
            Some(line) => tracing::warn!("{line}"),
            None => {}
        }
        std::future::ready(())
    }
}

/// 0.0..1.0 from the clock's nanoseconds: enough to spread a fleet's
/// reconnections, no randomness crate needed.
pub(super) fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stream_and_consumer_are_configured_as_documented() {
        let mut s = ClusterSettings::new(
            (1..=5).map(|i| format!("nats://10.0.0.{i}:4222")).collect(),
            "gate-1",
        );
        s.subject_prefix = "fleet".into();
        let stream = stream_config(&s);
        assert_eq!(stream.name, "PORTCULLIS");
        assert_eq!(stream.subjects, ["fleet.>"]);
        assert_eq!(stream.max_messages_per_subject, 1);
        assert_eq!(stream.num_replicas, 3);
        assert_eq!(stream.storage, stream::StorageType::File);
        assert_eq!(stream.max_age, Duration::from_secs(30 * 86_400));
        let consumer = consumer_config(&s);
        assert_eq!(consumer.durable_name.as_deref(), Some("gate-1"));
        assert_eq!(
            consumer.ack_policy,
            jetstream::consumer::AckPolicy::Explicit
        );
        assert_eq!(consumer.max_ack_pending, MAX_ACK_PENDING);
    }

    #[test]
    fn server_lists_are_parsed_or_named_in_the_error() {
        assert!(server_addrs(&["nats://10.0.0.5:4222".into(), "h:4222".into()]).is_ok());
        let err = server_addrs(&["nats://h:x".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cluster: server address \"nats://h:x\" is not a NATS URL"
        );
    }

    #[test]
    fn secrets_are_read_without_their_line_end_or_named_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("password");
        std::fs::write(&path, "s3cret\n").unwrap();
        assert_eq!(secret(&path).unwrap(), "s3cret");
        let missing = dir.path().join("none");
        let err = secret(&missing).unwrap_err();
        let want = format!(
            "cluster: cannot read NATS credentials {}",
            missing.display()
        );
        assert_eq!(err.to_string(), want);
    }
}
