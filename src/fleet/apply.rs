//! Applying what a batch read from the stream became: each run of remote
//! bans through the jails (their ignore rules; one message per jail with
//! all of its bans, not one per ban) and into the kernel in one
//! transaction, each unban lifting only its origin's ban, in stream order.
//! Returns once the kernel took them all.

use std::collections::HashMap;
use std::time::Duration;

use actix::{Addr, Recipient};

use super::core::{RemoteBanPlan, Step, ban_plan};
use crate::actions::{ActionsActor, ApplyRemote, BanTicket, Unban};
use crate::cluster::{Provenance, Remote};
use crate::jail::RemoteBans;
use crate::time::BanTime;

pub(super) type JailMap = HashMap<String, Recipient<RemoteBans>>;

pub(super) async fn apply(steps: Vec<Step>, jails: JailMap, actions: Addr<ActionsActor>) {
    for step in steps {
        match step {
            Step::Bans(bans) => ban(&bans, &jails, &actions).await,
            Step::Unbans(unbans) => unban(unbans, &actions).await,
        }
    }
}

/// The plans of a run of bans grouped by jail, in stream order within
/// each; plans for a jail this node does not run are left out.
fn per_jail(bans: &[Remote], jails: &JailMap) -> Vec<(Recipient<RemoteBans>, Vec<RemoteBanPlan>)> {
    let mut groups: HashMap<String, Vec<RemoteBanPlan>> = HashMap::new();
    for plan in bans.iter().map(ban_plan) {
        if jails.contains_key(&plan.jail) {
            groups.entry(plan.jail.clone()).or_default().push(plan);
        }
    }
    (groups.into_iter())
        .filter_map(|(jail, plans)| Some((jails.get(&jail)?.clone(), plans)))
        .collect()
}

async fn ban(bans: &[Remote], jails: &JailMap, actions: &Addr<ActionsActor>) {
    let checks = per_jail(bans, jails)
        .into_iter()
        .map(|(jail, plans)| async move {
            let addrs = plans.iter().map(|p| p.addr).collect();
            // A jail gone meanwhile takes none of them.
            let answers = jail.send(RemoteBans(addrs)).await.unwrap_or_default();
            (plans.into_iter().zip(answers))
                .filter_map(|(plan, addr)| Some(ticket(plan, addr?)))
                .collect::<Vec<_>>()
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
