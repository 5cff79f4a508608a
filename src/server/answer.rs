//! Answers to control requests: each looks the named jail up in the jail
//! set and hands back a future over the other actors' replies. No state is
//! kept here; the ServerActor runs the future.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix::prelude::*;

use super::jails::{JailSet, Running};
use super::launch::{JailHandle, Links};
use super::protocol::{BanEntry, Request};
use super::reply::{BanDone, ControlError, JailStatus, Reply};
use super::{Reload, ServerActor};
use crate::actions::{ActionsActor, BanTicket, ListBans, Unban};
use crate::config::parse_bantime;
use crate::jail::{Forget, GetSetting, GetStats, SetSetting};

type Answered = Result<Reply, ControlError>;

/// A reply still to come.
pub type Answer = Pin<Box<dyn Future<Output = Answered>>>;

/// Answers `request` (already authorized); `me` receives a reload.
pub fn answer(
    request: Request,
    jails: &JailSet<JailHandle>,
    links: &Links,
    me: Addr<ServerActor>,
) -> Answer {
    match reply(request, jails, links, me) {
        Ok(answer) => answer,
        Err(refused) => Box::pin(std::future::ready(Err(refused))),
    }
}

fn reply(
    request: Request,
    jails: &JailSet<JailHandle>,
    links: &Links,
    me: Addr<ServerActor>,
) -> Result<Answer, ControlError> {
    let actions = links.actions.clone();
    Ok(match request {
        Request::Status { jail } => status(jails.selected(jail.as_deref())?, actions, jail),
        Request::Ban {
            jail,
            addr,
            bantime,
        } => Box::pin(std::future::ready(ban(
            jails.get(&jail)?,
            addr,
            bantime,
            &actions,
        ))),
        Request::Unban { jail, addr } => {
            jails.get(&jail)?.handle.addr.do_send(Forget { addr });
            lift(actions, Unban::One { jail, addr })
        }
        Request::UnbanAll { jail } => {
            if let Some(j) = &jail {
                jails.get(j)?;
            }
            lift(actions, Unban::All { jail })
        }
        Request::Banned { addr } => Box::pin(banned(actions, addr)),
        Request::Reload => Box::pin(async move { Ok(Reply::Reloaded(me.send(Reload).await??)) }),
        Request::Get { jail, key } => {
            let addr = jails.get(&jail)?.handle.addr.clone();
            Box::pin(async move {
                let value = addr.send(GetSetting { key }).await?;
                value.map(Reply::Setting).map_err(ControlError::Setting)
            })
        }
        Request::Set { jail, key, value } => {
            let addr = jails.get(&jail)?.handle.addr.clone();
            Box::pin(async move {
                let value = addr.send(SetSetting { key, value }).await?;
                value.map(Reply::Setting).map_err(ControlError::Setting)
            })
        }
    })
}

/// A ban by hand, for `bantime` (`1h`, `permanent`) or the jail's.
fn ban(
    jail: &Running<JailHandle>,
    addr: IpAddr,
    bantime: Option<String>,
    actions: &Addr<ActionsActor>,
) -> Answered {
    let bantime = match bantime {
        Some(text) => parse_bantime(&text).map_err(ControlError::BadBantime)?,
        None => jail.config.settings.bantime,
    };
    let name = jail.config.name.clone();
    actions.do_send(BanTicket {
        jail: name.clone(),
        addr,
        bantime,
        failures: 0,
        read_at: None,
    });
    Ok(Reply::Banned(BanDone {
        jail: name,
        addr,
        bantime: bantime.to_string(),
    }))
}

fn lift(actions: Addr<ActionsActor>, unban: Unban) -> Answer {
    Box::pin(async move {
        let lifted = actions.send(unban).await?;
        lifted.map(Reply::Lifted).map_err(ControlError::Bans)
    })
}

async fn bans(
    actions: &Addr<ActionsActor>,
    jail: Option<String>,
) -> Result<Vec<BanEntry>, ControlError> {
    let listed = actions.send(ListBans { jail }).await?;
    listed
        .map_err(ControlError::Bans)
        .map(|e| BanEntry::from_elements(e, None))
}

async fn banned(actions: Addr<ActionsActor>, addr: Option<IpAddr>) -> Answered {
    let listed = actions.send(ListBans { jail: None }).await?;
    let elements = listed.map_err(ControlError::Bans)?;
    Ok(Reply::Bans(BanEntry::from_elements(elements, addr)))
}

/// Every selected jail with its counters and number of bans; with `only`,
/// also its bans.
fn status(
    selected: Vec<&Running<JailHandle>>,
    actions: Addr<ActionsActor>,
    only: Option<String>,
) -> Answer {
    let rows: Vec<_> = (selected.into_iter())
        .map(|j| {
            let status = JailStatus {
                jail: j.config.name.clone(),
                filter: j.config.filter.clone(),
                sources: j.sources.clone(),
                banned: 0,
                stats: Default::default(),
                addresses: None,
            };
            (status, j.handle.addr.clone())
        })
        .collect();
    Box::pin(async move {
        let bans = bans(&actions, only.clone()).await?;
        let mut out = Vec::new();
        for (mut status, addr) in rows {
            status.stats = addr.send(GetStats).await.unwrap_or_default().into();
            let mine: Vec<BanEntry> = (bans.iter())
                .filter(|b| b.jail == status.jail)
                .cloned()
                .collect();
            status.banned = mine.len();
            status.addresses = only.is_some().then_some(mine);
            out.push(status);
        }
        Ok(Reply::Status(out))
    })
}
