//! The publishing half of [`super::client::ClusterClient`]: cheap to clone,
//! so an actor can publish from one task while another reads.

use std::sync::Arc;

use async_nats::HeaderMap;
use async_nats::jetstream;
use bytes::Bytes;

use super::block::{Packet, block_bytes, pack};
use super::client::{ClientError, Published};
use super::decision::Decision;

/// Publishes decisions under one prefix.
#[derive(Clone)]
pub struct Publisher {
    pub(super) js: jetstream::Context,
    pub(super) prefix: String,
}

impl Publisher {
    /// Publishes `decisions` in order ([`pack`]: one message each, or a
    /// storm's in blocks) and waits for JetStream's answers (all at once,
    /// each within the context's 5 s timeout); one result per decision,
    /// a block's for each of its decisions (an error leaves it for the
    /// outbox).
    pub async fn publish(
        &self,
        decisions: &[Decision],
    ) -> Vec<Result<Published, Arc<ClientError>>> {
        let max_payload = self.js.client().server_info().max_payload;
        let packets = pack(&self.prefix, decisions, block_bytes(max_payload));
        let mut sent = Vec::with_capacity(packets.len());
        for packet in packets {
            let (covers, sending) = match packet {
                Packet::One(i) => (i..i + 1, self.send_one(&decisions[i]).await),
                Packet::Block {
                    covers,
                    subject,
                    id,
                    body,
                } => (covers, self.send(subject, &id, body).await),
            };
            sent.push((covers, sending));
        }
        let answers = sent.into_iter().map(|(covers, sending)| async move {
            let answer = match sending {
                Ok((subject, ack)) => (ack.await)
                    .map(|ack| Published {
                        sequence: ack.sequence,
                        duplicate: ack.duplicate,
                    })
                    .map_err(|source| ClientError::Publish { subject, source }),
                Err(e) => Err(e),
            };
            (covers, answer.map_err(Arc::new))
        });
        let mut results = Vec::with_capacity(decisions.len());
        for (covers, answer) in futures_util::future::join_all(answers).await {
            results.extend(covers.map(|_| answer.clone()));
        }
        results
    }

    async fn send_one(
        &self,
        decision: &Decision,
    ) -> Result<(String, jetstream::context::PublishAckFuture), ClientError> {
        let subject = decision
            .subject(&self.prefix)
            .ok_or_else(|| ClientError::BadDecision {
                id: decision.id.clone(),
            })?;
        self.send(subject, &decision.id, decision.to_json()).await
    }

    async fn send(
        &self,
        subject: String,
        id: &str,
        body: Vec<u8>,
    ) -> Result<(String, jetstream::context::PublishAckFuture), ClientError> {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", id);
        match (self.js)
            .publish_with_headers(subject.clone(), headers, Bytes::from(body))
            .await
        {
            Ok(ack) => Ok((subject, ack)),
            Err(source) => Err(ClientError::Publish { subject, source }),
        }
    }
}
