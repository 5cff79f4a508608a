//! The publishing half of [`super::client::ClusterClient`]: cheap to clone,
//! so an actor can publish from one task while another reads.

use async_nats::HeaderMap;
use async_nats::jetstream;
use bytes::Bytes;

use super::client::{ClientError, Published};
use super::decision::Decision;

/// Publishes decisions under one prefix.
#[derive(Clone)]
pub struct Publisher {
    pub(super) js: jetstream::Context,
    pub(super) prefix: String,
}

impl Publisher {
    /// Publishes `decisions` in order and waits for JetStream's answers
    /// (all at once, each within the context's 5 s timeout); one result
    /// per decision (an error leaves it for the outbox).
    pub async fn publish(&self, decisions: &[Decision]) -> Vec<Result<Published, ClientError>> {
        let mut sent = Vec::with_capacity(decisions.len());
        for decision in decisions {
            sent.push(self.send(decision).await);
        }
        let answers = sent.into_iter().map(|sent| async move {
            let (subject, ack) = sent?;
            let ack = ack
                .await
                .map_err(|source| ClientError::Publish { subject, source })?;
            Ok(Published {
                sequence: ack.sequence,
                duplicate: ack.duplicate,
            })
        });
        futures_util::future::join_all(answers).await
    }

    async fn send(
        &self,
        decision: &Decision,
    ) -> Result<(String, jetstream::context::PublishAckFuture), ClientError> {
        let subject = decision
            .subject(&self.prefix)
            .ok_or_else(|| ClientError::BadDecision {
                id: decision.id.clone(),
            })?;
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", decision.id.as_str());
        let body = Bytes::from(decision.to_json());
        match self
            .js
            .publish_with_headers(subject.clone(), headers, body)
            .await
        {
            Ok(ack) => Ok((subject, ack)),
            Err(source) => Err(ClientError::Publish { subject, source }),
        }
    }
}
