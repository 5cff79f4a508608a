//! The JailActor: a shell around [`Jail`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix::prelude::*;

use super::state::Decision;
use super::{
    Failures, Forget, GetSetting, GetStats, Jail, RemoteBans, SetOwnAddresses, SetSetting,
    SettingError,
};
use crate::metrics::JailCounters;
use crate::nft::Network;
use crate::observer::BanRequests;
use crate::time::UnixMs;

pub struct JailActor {
    jail: Jail,
    bans: Recipient<BanRequests>,
    metrics: Arc<JailCounters>,
}

impl JailActor {
    pub fn new(jail: Jail, bans: Recipient<BanRequests>, metrics: Arc<JailCounters>) -> JailActor {
        JailActor {
            jail,
            bans,
            metrics,
        }
    }
}

impl Actor for JailActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The reader `send`s its batches (it waits for their replies): with
        // the default capacity of 16, a send beyond it would be held by its
        // request and could overtake an earlier one. Unbounded, they queue
        // in order, as `do_send` did.
        ctx.set_mailbox_capacity(0);
        ctx.run_interval(Duration::from_secs(60), |act, _| {
            act.jail.expire(UnixMs::now())
        });
    }
}

impl Handler<Failures> for JailActor {
    type Result = ResponseFuture<()>;

    /// The batch's bans go on in one message; the reply waits for the
    /// kernel to hold them (none: at once).
    fn handle(&mut self, msg: Failures, _: &mut Context<Self>) -> Self::Result {
        let now = UnixMs::now();
        (self.metrics.failures).fetch_add(msg.0.len() as u64, Ordering::Relaxed);
        let mut bans = Vec::new();
        for f in msg.0 {
            match self.jail.on_failure(f.addr, f.time, f.attempts, now) {
                Decision::Ban(mut request) => {
                    request.ticket.read_at = Some(f.read_at);
                    bans.push(request)
                }
                Decision::Evicted(total) => tracing::warn!(
                    "jail {}: failure table full ({} addresses): evicted the oldest ({total} so far); raise max-tracked if this is not an attack",
                    self.jail.config.name,
                    self.jail.config.settings.max_tracked
                ),
                Decision::Nothing => {}
            }
        }
        if bans.is_empty() {
            return Box::pin(std::future::ready(()));
        }
        let in_kernel = self.bans.send(BanRequests(bans));
        Box::pin(async move {
            // Failing only when the daemon stops: nothing to wait for.
            let _ = in_kernel.await;
        })
    }
}

impl Handler<GetStats> for JailActor {
    type Result = MessageResult<GetStats>;

    fn handle(&mut self, _: GetStats, _: &mut Context<Self>) -> MessageResult<GetStats> {
        MessageResult(self.jail.stats())
    }
}

impl Handler<GetSetting> for JailActor {
    type Result = Result<String, SettingError>;

    fn handle(&mut self, msg: GetSetting, _: &mut Context<Self>) -> Self::Result {
        self.jail.get(&msg.key)
    }
}

impl Handler<SetSetting> for JailActor {
    type Result = Result<String, SettingError>;

    fn handle(&mut self, msg: SetSetting, _: &mut Context<Self>) -> Self::Result {
        let result = self.jail.set(&msg.key, &msg.value);
        if let Ok(v) = &result {
            tracing::info!("jail {}: {} set to {v}", self.jail.config.name, msg.key);
        }
        result
    }
}

impl Handler<RemoteBans> for JailActor {
    type Result = Vec<Option<Network>>;

    fn handle(&mut self, msg: RemoteBans, _: &mut Context<Self>) -> Vec<Option<Network>> {
        self.jail.remote_bans(msg.0)
    }
}

impl Handler<Forget> for JailActor {
    type Result = ();

    fn handle(&mut self, msg: Forget, _: &mut Context<Self>) {
        self.jail.forget(msg.addr);
    }
}

impl Handler<SetOwnAddresses> for JailActor {
    type Result = ();

    fn handle(&mut self, msg: SetOwnAddresses, _: &mut Context<Self>) {
        self.jail.set_own(msg.0);
    }
}
