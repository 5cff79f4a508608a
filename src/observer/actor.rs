//! The ObserverActor: a shell around [`bantime::ban_time`] and the purge timer.

use std::time::Duration;

use actix::prelude::*;

use super::BanRequest;
use super::bantime::{ban_time, random_unit};
use crate::actions::BanTicket;
use crate::db::{DbActor, History, Purge};

pub struct ObserverActor {
    db: Addr<DbActor>,
    bans: Recipient<BanTicket>,
    purge_after: Duration,
}

impl ObserverActor {
    pub fn new(
        db: Addr<DbActor>,
        bans: Recipient<BanTicket>,
        purge_after: Duration,
    ) -> ObserverActor {
        ObserverActor {
            db,
            bans,
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

impl Handler<BanRequest> for ObserverActor {
    type Result = Response<()>;

    fn handle(&mut self, req: BanRequest, _: &mut Context<Self>) -> Self::Result {
        if req.increment.is_none() {
            self.bans.do_send(BanTicket {
                jail: req.jail,
                addr: req.addr,
                bantime: req.bantime,
                failures: req.failures,
            });
            return Response::reply(());
        }
        let db = self.db.clone();
        let bans = self.bans.clone();
        Response::fut(async move {
            let scope = match &req.increment {
                Some(i) if i.across_jails => None,
                _ => Some(req.jail.clone()),
            };
            // Without history (database trouble) the ban still goes out.
            let previous = db
                .send(History {
                    jail: scope,
                    addr: req.addr,
                })
                .await
                .map(|h| h.count)
                .unwrap_or(0);
            let bantime = ban_time(req.bantime, req.increment.as_ref(), previous, random_unit());
            bans.do_send(BanTicket {
                jail: req.jail,
                addr: req.addr,
                bantime,
                failures: req.failures,
            });
        })
    }
}
