//! Applying what a batch read from the stream became: each run of remote
//! bans through the jails (their ignore rules) and into the kernel in one
//! transaction, each unban lifting only its origin's ban, in stream order.
//! Returns once the kernel took them all.

use std::collections::HashMap;
use std::time::Duration;

use actix::{Addr, Recipient};

use super::core::{RemoteBanPlan, Step, ban_plan};
use crate::actions::{ActionsActor, ApplyRemote, BanTicket, Unban};
use crate::cluster::{Provenance, Remote};
use crate::jail::RemoteBan;
use crate::time::BanTime;

pub(super) type JailMap = HashMap<String, Recipient<RemoteBan>>;

pub(super) async fn apply(steps: Vec<Step>, jails: JailMap, actions: Addr<ActionsActor>) {
    for step in steps {
        match step {
            Step::Bans(bans) => ban(&bans, &jails, &actions).await,
            Step::Unbans(unbans) => unban(unbans, &actions).await,
        }
    }
}

async fn ban(bans: &[Remote], jails: &JailMap, actions: &Addr<ActionsActor>) {
    let checks = bans.iter().map(ban_plan).filter_map(|plan| {
        let jail = jails.get(&plan.jail)?.clone();
        Some(async move {
            let addr = jail.send(RemoteBan { addr: plan.addr }).await.ok()??;
            Some(ticket(plan, addr))
        })
    });
    let tickets: Vec<BanTicket> = futures_util::future::join_all(checks)
        .await
        .into_iter()
        .flatten()
        .collect();
    if !tickets.is_empty() {
        let _ = actions.send(ApplyRemote(tickets)).await;
    }
}

fn ticket(plan: RemoteBanPlan, addr: crate::network::Network) -> BanTicket {
    BanTicket {
        jail: plan.jail,
        addr,
        // At least a second: the kernel rounds to its own clock.
        bantime: BanTime::For(plan.remaining.max(Duration::from_secs(1))),
        failures: plan.failures,
        read_at: None,
        replace: false,
        provenance: Provenance::Remote {
            origin: plan.origin,
        },
    }
}

async fn unban(unbans: Vec<Remote>, actions: &Addr<ActionsActor>) {
    for u in unbans {
        let lift = Unban::Remote {
            origin: u.origin,
            jail: u.jail,
            addr: u.network,
        };
        if let Ok(Err(e)) = actions.send(lift).await {
            tracing::error!("cluster: {}", crate::error_chain(&e));
        }
    }
}
