//! Answers to control requests: each looks the named jail up in the jail
//! set and hands back a future over the other actors' replies. No state is
//! kept here; the ServerActor runs the future.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix::prelude::*;

use super::ban_times;
use super::jails::JailSet;
use super::launch::{JailHandle, Links};
use super::protocol::Request;
use super::reply::{BanDone, BanEntry, ControlError, JailStatus, Pong, Reading, Reply};
use super::{Reload, ServerActor};
use crate::actions::{ActionsActor, BanTicket, ListBans, Unban};
use crate::config::{JailConfig, parse_bantime};
use crate::jail::{Forget, GetSetting, GetStats, SetSetting};
use crate::network::Network;
use crate::reader::{Pause, Resume};

type Answered = Result<Reply, ControlError>;

/// A reply still to come.
pub type Answer = Pin<Box<dyn Future<Output = Answered>>>;

/// Answers `request` (already authorized); `me` receives a reload.
pub fn answer(
    request: Request,
    jails: &mut JailSet<JailHandle>,
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
    jails: &mut JailSet<JailHandle>,
    links: &Links,
    me: Addr<ServerActor>,
) -> Result<Answer, ControlError> {
    let actions = links.actions.clone();
    Ok(match request {
        Request::Status { jail } => status(jails, jail, actions)?,
        Request::Ban {
            jail,
            addr,
            bantime,
            replace,
        } => {
            let mut ticket = ban_ticket(&jails.get(&jail)?.config, addr, bantime.as_deref())?;
            ticket.replace = replace;
            Box::pin(std::future::ready(Ok(ban(ticket, &actions))))
        }
        Request::Unban { jail, addr } => {
            if addr.is_host() {
                let addr = addr.addr;
                jails.get(&jail)?.handle.addr.do_send(Forget { addr });
            } else {
                jails.get(&jail)?;
            }
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
        Request::Ping => Box::pin(std::future::ready(Ok(Reply::Pong(Pong {
            version: env!("CARGO_PKG_VERSION").to_string(),
        })))),
        Request::BanTimes { jail } => {
            if let Some(j) = &jail {
                jails.get(j)?;
            }
            ban_times::answer(actions, links.db.clone(), jail)
        }
        Request::Pause { jail } => reading(jails, jail, true)?,
        Request::Resume { jail } => reading(jails, jail, false)?,
        Request::Cluster => {
            let fleet = links.cluster.clone();
            Box::pin(async move {
                let Some(fleet) = fleet else {
                    return Ok(Reply::Cluster(None));
                };
                Ok(Reply::Cluster(Some(
                    fleet.send(crate::fleet::GetStatus).await?,
                )))
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

/// Pauses or resumes the reading of `jail`: recorded in the set (a reload
/// keeps it), then sent to its reader.
fn reading(
    jails: &mut JailSet<JailHandle>,
    jail: String,
    paused: bool,
) -> Result<Answer, ControlError> {
    let changed = jails.set_paused(&jail, paused)?;
    let reader = jails.get(&jail)?.handle.reader.clone();
    Ok(Box::pin(async move {
        match paused {
            true => reader.send(Pause).await?,
            false => reader.send(Resume).await?,
        };
        Ok(Reply::Reading(Reading {
            jail,
            paused,
            changed,
        }))
    }))
}

/// Hands a ban by hand to the ActionsActor.
fn ban(ticket: BanTicket, actions: &Addr<ActionsActor>) -> Reply {
    let done = BanDone {
        jail: ticket.jail.clone(),
        addr: ticket.addr,
        bantime: ticket.bantime.to_string(),
    };
    actions.do_send(ticket);
    Reply::Banned(done)
}

/// The ticket of a ban by hand of an address or network in `jail`: for
/// `bantime` when given, else for the jail's bantime (prolonging only).
pub fn ban_ticket(
    jail: &JailConfig,
    addr: Network,
    bantime: Option<&str>,
) -> Result<BanTicket, ControlError> {
    let bantime = match bantime {
        Some(text) => parse_bantime(text).map_err(ControlError::BadBantime)?,
        None => jail.settings.bantime,
    };
    Ok(BanTicket {
        jail: jail.name.clone(),
        addr,
        bantime,
        failures: 0,
        read_at: None,
        replace: false,
        provenance: crate::cluster::Provenance::Local,
    })
}

fn lift(actions: Addr<ActionsActor>, unban: Unban) -> Answer {
    Box::pin(async move {
        let lifted = actions.send(unban).await?;
        lifted
            .map(Reply::Lifted)
            .map_err(|e| ControlError::Bans(Box::new(e)))
    })
}

async fn bans(
    actions: &Addr<ActionsActor>,
    jail: Option<String>,
) -> Result<Vec<BanEntry>, ControlError> {
    let listed = actions.send(ListBans { jail }).await?;
    listed
        .map_err(|e| ControlError::Bans(Box::new(e)))
        .map(|e| BanEntry::from_elements(e, None))
}

async fn banned(actions: Addr<ActionsActor>, addr: Option<IpAddr>) -> Answered {
    let listed = actions.send(ListBans { jail: None }).await?;
    let elements = listed.map_err(|e| ControlError::Bans(Box::new(e)))?;
    Ok(Reply::Bans(BanEntry::from_elements(elements, addr)))
}

/// Every jail (or `only` that one) with its counters and number of bans;
/// with `only`, also its bans.
fn status(
    jails: &JailSet<JailHandle>,
    only: Option<String>,
    actions: Addr<ActionsActor>,
) -> Result<Answer, ControlError> {
    let rows: Vec<_> = (jails.selected(only.as_deref())?.into_iter())
        .map(|j| {
            let status = JailStatus {
                jail: j.config.name.clone(),
                filter: j.config.filter.clone(),
                sources: j.sources.clone(),
                banned: 0,
                stats: Default::default(),
                paused: jails.is_paused(&j.config.name),
                addresses: None,
            };
            (status, j.handle.addr.clone())
        })
        .collect();
    Ok(Box::pin(async move {
        let bans = bans(&actions, only.clone()).await?;
        let mut jails = Vec::new();
        for (status, addr) in rows {
            jails.push((status, addr.send(GetStats).await.unwrap_or_default()));
        }
        let with_addresses = only.is_some();
        Ok(Reply::Status(JailStatus::assemble(
            jails,
            &bans,
            with_addresses,
        )))
    }))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::BanTime;

    #[test]
    fn a_ban_by_hand_lasts_what_was_asked_or_the_jails_bantime() {
        let text = r#"jail "sshd" { source "/var/log/auth.log"; bantime "2h" }"#;
        let config = crate::config::parse(Path::new("/c.kdl"), text.into()).unwrap();
        let sshd = config.jail("sshd").unwrap();
        let addr: Network = "203.0.113.7".parse().unwrap();
        let ticket = ban_ticket(sshd, addr, None).unwrap();
        assert_eq!((ticket.jail.as_str(), ticket.addr), ("sshd", addr));
        assert_eq!(ticket.bantime.to_string(), "2h");
        let ticket = ban_ticket(sshd, addr, Some("permanent")).unwrap();
        assert_eq!(ticket.bantime, BanTime::Permanent);
        assert_eq!(ticket.failures, 0);
        let refused = ban_ticket(sshd, addr, Some("soon")).unwrap_err();
        assert!(matches!(refused, ControlError::BadBantime(_)));
        assert_eq!(
            refused.to_string(),
            "invalid ban time: \"soon\" is not a duration (examples: 30s, 10m, 1h30m, 2d, 1w) or \"permanent\""
        );
    }
}
