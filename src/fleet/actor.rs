//! The ClusterActor: a shell around [`Fleet`] (what goes out, what comes
//! in), the reader task that owns the NATS client, and the publishing
//! task. Timers: outbox retries, its LMDB copy (persist.rs) and the
//! metrics each second, the drop
//! report once a minute.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

use super::apply::{JailMap, apply};
use super::core::Fleet;
use super::{Connected, GetStatus, Jails, Observed, Ready, Received, Sent, TICK, reader};
use crate::actions::{ActionsActor, ReportTo};
use crate::cluster::client::Publisher;
use crate::cluster::{ClusterSettings, Decided};
use crate::db::DbActor;
use crate::metrics::Metrics;
use crate::time::UnixMs;

pub struct ClusterActor {
    fleet: Fleet,
    publisher: Option<Publisher>,
    publishing: bool,
    /// The last publish failed (logged once until one succeeds).
    failing: bool,
    jails: JailMap,
    /// The reader reads once the jails are known.
    jails_known: bool,
    actions: Addr<ActionsActor>,
    db: Addr<DbActor>,
    metrics: Arc<Metrics>,
}

#[path = "persist.rs"]
mod persist;

impl ClusterActor {
    pub fn new(
        settings: ClusterSettings,
        actions: Addr<ActionsActor>,
        db: Addr<DbActor>,
        metrics: Arc<Metrics>,
    ) -> ClusterActor {
        ClusterActor {
            fleet: Fleet::new(settings),
            publisher: None,
            publishing: false,
            failing: false,
            jails: JailMap::new(),
            jails_known: false,
            actions,
            db,
            metrics,
        }
    }

    /// Publishes what waits in the outbox, one batch at a time.
    fn publish(&mut self, ctx: &mut Context<Self>) {
        let Some(publisher) = self.publisher.clone().filter(|_| !self.publishing) else {
            return;
        };
        let batch = self.fleet.to_publish(UnixMs::now());
        if batch.is_empty() {
            return;
        }
        self.publishing = true;
        let sending = async move {
            let results = publisher.publish(&batch).await;
            let mut sent = Sent {
                acknowledged: Vec::new(),
                failed: None,
            };
            for (decision, result) in batch.into_iter().zip(results) {
                match result {
                    Ok(_) => sent.acknowledged.push(decision),
                    Err(e) => sent.failed = Some(crate::error_chain(&e)),
                }
            }
            sent
        };
        ctx.spawn(fut::wrap_future(sending).map(|sent, act: &mut Self, ctx| {
            act.publishing = false;
            act.sent(sent, ctx);
        }));
    }

    fn sent(&mut self, sent: Sent, ctx: &mut Context<Self>) {
        sent.acknowledged
            .iter()
            .for_each(|d| self.fleet.published(d));
        match sent.failed {
            Some(e) if !self.failing => {
                let waiting = self.fleet.waiting();
                tracing::warn!("{e}; {waiting} decision(s) kept, published when NATS is back");
                self.failing = true;
            }
            Some(_) => {}
            None => {
                if std::mem::take(&mut self.failing) {
                    tracing::info!("cluster: publishing again");
                }
                // More waiting: the next batch at once.
                self.publish(ctx);
            }
        }
    }
}

impl Actor for ClusterActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.actions.do_send(ReportTo(ctx.address().recipient()));
        // Connects and sets up the stream at once; reads once the jails
        // are known (Ready), so no batch is acknowledged before a jail
        // could take it.
        actix_rt::spawn(reader::run(self.fleet.settings().clone(), ctx.address()));
        self.restore_outbox(ctx);
        ctx.run_interval(TICK, |act, ctx| {
            act.persist(ctx);
            act.publish(ctx);
            act.refresh_metrics();
        });
        ctx.run_interval(Duration::from_secs(60), |act, _| {
            if let Some(line) = act.fleet.drop_log(UnixMs::now()) {
                tracing::warn!("{line}");
            }
        });
    }
}

impl Handler<Decided> for ClusterActor {
    type Result = ();

    fn handle(&mut self, msg: Decided, ctx: &mut Context<Self>) {
        if self.fleet.decided(&msg.0, UnixMs::now()) {
            // In LMDB at once: a kill -9 a moment later loses no decision.
            self.persist(ctx);
            self.publish(ctx);
        }
    }
}

impl Handler<Received> for ClusterActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: Received, _: &mut Context<Self>) -> Self::Result {
        let now = UnixMs::now();
        let messages = msg.0.iter().map(|(s, p)| (s.as_str(), p.as_ref()));
        let steps = self.fleet.admit(messages, now);
        if let Some(line) = self.fleet.drop_log(now) {
            tracing::warn!("{line}");
        }
        Box::pin(apply(steps, self.jails.clone(), self.actions.clone()))
    }
}

impl Handler<Observed> for ClusterActor {
    type Result = ();

    fn handle(&mut self, msg: Observed, _: &mut Context<Self>) {
        self.fleet.observed(msg.link, msg.lag);
    }
}

impl Handler<Connected> for ClusterActor {
    type Result = ();

    fn handle(&mut self, msg: Connected, ctx: &mut Context<Self>) {
        self.publisher = Some(msg.0);
        self.publish(ctx);
    }
}

impl Handler<Jails> for ClusterActor {
    type Result = ();

    fn handle(&mut self, msg: Jails, _: &mut Context<Self>) {
        self.jails = msg.0;
        self.jails_known = true;
    }
}

impl Handler<Ready> for ClusterActor {
    type Result = bool;

    fn handle(&mut self, _: Ready, _: &mut Context<Self>) -> bool {
        self.jails_known
    }
}

impl Handler<GetStatus> for ClusterActor {
    type Result = MessageResult<GetStatus>;

    fn handle(&mut self, _: GetStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.fleet.status())
    }
}
