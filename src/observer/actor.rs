//! The ObserverActor: a shell around [`super::bantime::ban_time`], the purge timer
//! and the repair of our table when another process damaged it.

use std::time::{Duration, Instant};

use actix::prelude::*;

use super::bantime::{ban_time, random_unit};
use super::{BanRequest, BanRequests, Tampered};
use crate::actions::{BanBatch, BanTicket, Repair};
use crate::db::{DbActor, History, Purge};

pub struct ObserverActor {
    db: Addr<DbActor>,
    bans: Recipient<BanBatch>,
    repair: Recipient<Repair>,
    table: String,
    purge_after: Duration,
}

impl ObserverActor {
    pub fn new(
        db: Addr<DbActor>,
        bans: Recipient<BanBatch>,
        repair: Recipient<Repair>,
        table: String,
        purge_after: Duration,
    ) -> ObserverActor {
        ObserverActor {
            db,
            bans,
            repair,
            table,
            purge_after,
        }
    }
}

impl Actor for ObserverActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let purge = |act: &mut Self, _: &mut Context<Self>| {
            act.db.do_send(Purge {
                older_than: act.purge_after,
            })
        };
        purge(self, ctx);
        ctx.run_interval(Duration::from_secs(3600), purge);
    }
}

impl Handler<BanRequests> for ObserverActor {
    type Result = ResponseFuture<()>;

    /// The batch goes to the kernel in one message, once each ban has its
    /// length; replies when the kernel holds them.
    fn handle(&mut self, msg: BanRequests, _: &mut Context<Self>) -> Self::Result {
        let (db, bans) = (self.db.clone(), self.bans.clone());
        Box::pin(async move {
            let tickets = msg.0.into_iter().map(|req| lengthened(&db, req));
            let tickets = futures_util::future::join_all(tickets).await;
            // Failing only when the daemon stops: nothing to wait for.
            let _ = bans.send(BanBatch(tickets)).await;
        })
    }
}

/// `req`'s ban with its length after the increment, from the address's
/// history (looked up through the DbActor).
async fn lengthened(db: &Addr<DbActor>, req: BanRequest) -> BanTicket {
    let BanRequest {
        mut ticket,
        increment,
    } = req;
    let Some(increment) = increment else {
        return ticket;
    };
    let scope = (!increment.across_jails).then(|| ticket.jail.clone());
    // Without history (database trouble) the ban still goes out.
    let history = db.send(History {
        jail: scope,
        addr: ticket.addr,
    });
    let previous = history.await.map(|h| h.count).unwrap_or(0);
    ticket.bantime = ban_time(ticket.bantime, Some(&increment), previous, random_unit());
    ticket
}

impl Handler<Tampered> for ObserverActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: Tampered, _: &mut Context<Self>) -> Self::Result {
        let tampering = msg.0;
        let generation = (!tampering.lost).then_some(tampering.generation).flatten();
        let repair = self.repair.clone();
        let table = self.table.clone();
        Box::pin(async move {
            let started = Instant::now();
            let only_if_damaged = tampering.only_lost();
            let what = tampering.describe();
            match repair
                .send(Repair {
                    only_if_damaged,
                    generation,
                })
                .await
            {
                Ok(Ok(Some(n))) => tracing::warn!(
                    "table inet {table}: {what}; rebuilt it and put {n} ban(s) back in {} ms",
                    started.elapsed().as_millis()
                ),
                Ok(Ok(None)) if only_if_damaged => {
                    tracing::debug!("table inet {table}: {what}; it is intact")
                }
                Ok(Ok(None)) => tracing::warn!(
                    "table inet {table}: {what}; already rebuilt with every ban, {} ms later",
                    started.elapsed().as_millis()
                ),
                Ok(Err(e)) => tracing::error!("table inet {table}: {what}; cannot repair it: {e}"),
                Err(e) => tracing::error!("table inet {table}: {what}; cannot repair it: {e}"),
            }
        })
    }
}
