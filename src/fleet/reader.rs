//! The task that owns the NATS client: connects, sets up the stream and
//! this node's consumer (retried with backoff, one log line per change),
//! waits until the actor knows the running jails, then reads batches, hands each to the ClusterActor and acknowledges its
//! messages one by one once the actor replied (the bans are in the kernel). Every couple of
//! seconds it reports the link and the consumer's lag.

use std::time::{Duration, Instant};

use actix::Addr;

use super::{ClusterActor, Connected, Observed, Ready, Received};
use crate::cluster::ClusterSettings;
use crate::cluster::client::ClusterClient;
use crate::cluster::link::backoff;
use crate::time::UnixMs;

/// Messages handed over at once at most.
const BATCH: usize = 5_000;
/// How long one read waits for a first message.
const WAIT: Duration = Duration::from_millis(500);
/// The link and lag are reported this often.
const OBSERVE_EVERY: Duration = Duration::from_secs(2);

/// Logs an error once, until it changes or clears.
#[derive(Default)]
struct Said(Option<String>);

impl Said {
    fn error(&mut self, error: &dyn std::error::Error, what: &str) {
        let text = crate::error_chain(error);
        if self.0.as_ref() != Some(&text) {
            tracing::warn!("{text}; {what}");
            self.0 = Some(text);
        }
    }

    fn cleared(&mut self, line: &str) {
        if self.0.take().is_some() {
            tracing::info!("{line}");
        }
    }
}

fn pause(attempt: usize) -> Duration {
    backoff(attempt, (UnixMs::now().as_millis() % 1000) as f64 / 1000.0)
}

pub(super) async fn run(settings: ClusterSettings, actor: Addr<ClusterActor>) {
    let mut said = Said::default();
    let mut attempt = 0;
    let mut client = loop {
        match ClusterClient::connect(&settings).await {
            Ok(client) => break client,
            Err(e) => said.error(&e, "retrying with backoff"),
        }
        tokio::time::sleep(pause(attempt)).await;
        attempt += 1;
    };
    actor.do_send(Connected(client.publisher()));
    attempt = 0;
    while let Err(e) = client.ensure().await {
        said.error(&e, "retrying with backoff");
        tokio::time::sleep(pause(attempt)).await;
        attempt += 1;
    }
    said.0 = None;
    tracing::info!(
        "cluster: stream {} and consumer {} ready",
        settings.stream,
        settings.node
    );
    loop {
        match actor.send(Ready).await {
            Ok(true) => break,
            Ok(false) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(_) => return,
        }
    }
    read(client, actor).await;
}

async fn read(mut client: ClusterClient, actor: Addr<ClusterActor>) {
    let (mut said, mut attempt) = (Said::default(), 0);
    let mut observed = Instant::now() - OBSERVE_EVERY;
    loop {
        if observed.elapsed() >= OBSERVE_EVERY {
            let lag = client.lag().await;
            actor.do_send(Observed {
                link: client.link(),
                lag,
            });
            observed = Instant::now();
        }
        let batch = match client.next_batch(BATCH, WAIT).await {
            Ok(batch) => batch,
            Err(e) => {
                said.error(&e, "retrying with backoff");
                tokio::time::sleep(pause(attempt)).await;
                attempt += 1;
                continue;
            }
        };
        said.cleared("cluster: reading the stream again");
        attempt = 0;
        if batch.is_empty() {
            continue;
        }
        let messages = (batch.iter())
            .map(|m| (m.subject.clone(), m.payload.clone()))
            .collect();
        if actor.send(Received(messages)).await.is_err() {
            return;
        }
        // Each message handed over is acknowledged, no other (explicit
        // ack policy). Unacknowledged, it comes again after the ack wait;
        // a ban applied twice is harmless (a running one is skipped).
        if let Err(e) = client.ack(&batch).await {
            said.error(&e, "the batch will be delivered again");
        }
    }
}
