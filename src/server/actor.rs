//! The ServerActor: runs the jails of the configuration and answers
//! control requests. Each jail is a JailActor on the main arbiter and a
//! ReaderActor on an arbiter of its own.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use actix::prelude::*;
use serde_json::json;

use super::protocol::{BanEntry, Request, Response};
use super::sources::{WHEN_MISSING_CHECK, describe_sources, jail_input, journal_match_count};
use super::{Control, Reload};
use crate::actions::{ActionsActor, BanTicket, ListBans, Setup, Unban};
use crate::config::{self, Config, JailConfig, parse_bantime};
use crate::db::DbActor;
use crate::jail::actor::JailActor;
use crate::jail::{Forget, GetSetting, GetStats, Jail, SetSetting};
use crate::metrics::Metrics;
use crate::notify::SetNotifications;
use crate::observer::actor::ObserverActor;
use crate::reader::{PositionStore, ReaderActor};

pub(super) struct RunningJail {
    pub(super) config: JailConfig,
    /// Files and journal sources, as chosen when the jail started.
    pub(super) sources: Vec<String>,
    /// Journal matches read since the jail started (`when-missing` decided).
    pub(super) journal_matches: usize,
    pub(super) addr: Addr<JailActor>,
    arbiter: Arbiter,
}

pub struct ServerActor {
    config_path: PathBuf,
    config: Config,
    pub(super) jails: BTreeMap<String, RunningJail>,
    pub(super) actions: Addr<ActionsActor>,
    observer: Addr<ObserverActor>,
    db: Addr<DbActor>,
    notify: Recipient<SetNotifications>,
    /// The host's addresses, kept current by the address watcher.
    pub(super) own: Arc<HashSet<IpAddr>>,
    metrics: Arc<Metrics>,
}

impl ServerActor {
    pub fn new(
        config_path: PathBuf,
        config: Config,
        actions: Addr<ActionsActor>,
        observer: Addr<ObserverActor>,
        db: Addr<DbActor>,
        notify: Recipient<SetNotifications>,
        own: HashSet<IpAddr>,
    ) -> ServerActor {
        ServerActor {
            config_path,
            config,
            jails: BTreeMap::new(),
            actions,
            observer,
            db,
            notify,
            own: Arc::new(own),
            metrics: Arc::default(),
        }
    }

    /// Counts into `metrics` (jails' failures, sources' lines).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> ServerActor {
        self.metrics = metrics;
        self
    }

    pub(super) fn start_jail(&mut self, config: &JailConfig) {
        let Some(input) = jail_input(config) else {
            return;
        };
        let jail = JailActor::new(
            Jail::new(config.clone(), self.own.clone()),
            self.observer.clone().recipient(),
            self.metrics.jail(&config.name),
        )
        .start();
        let arbiter = Arbiter::new();
        let sources = describe_sources(&input);
        let journal_matches = journal_match_count(&input.journals);
        let (name, failures, db) = (
            config.name.clone(),
            jail.clone().recipient(),
            self.db.clone(),
        );
        let metrics = self.metrics.clone();
        ReaderActor::start_in_arbiter(&arbiter.handle(), move |_| {
            let store = PositionStore {
                load_positions: db.clone().recipient(),
                save_positions: db.clone().recipient(),
                load_cursors: db.clone().recipient(),
                save_cursor: db.recipient(),
            };
            ReaderActor::new(name, input, failures, store, metrics)
        });
        tracing::info!(
            "jail {} started: filter {}, sources {}",
            config.name,
            config.filter,
            sources.join(", "),
        );
        self.jails.insert(
            config.name.clone(),
            RunningJail {
                config: config.clone(),
                sources,
                journal_matches,
                addr: jail,
                arbiter,
            },
        );
    }

    pub(super) fn stop_jail(&mut self, name: &str) {
        if let Some(j) = self.jails.remove(name) {
            j.arbiter.stop();
            tracing::info!("jail {name} stopped");
        }
    }

    /// Starts, stops and restarts jails so that the running ones match `new`.
    fn apply(&mut self, new: Config) -> String {
        self.notify.do_send(SetNotifications(new.notifications()));
        let wanted: Vec<JailConfig> = new.enabled_jails().cloned().collect();
        let gone: Vec<String> = self
            .jails
            .iter()
            .filter(|(name, r)| !wanted.iter().any(|w| &w.name == *name && *w == r.config))
            .map(|(name, _)| name.clone())
            .collect();
        for name in &gone {
            self.stop_jail(name);
        }
        let mut started = Vec::new();
        for jail in &wanted {
            if !self.jails.contains_key(&jail.name) {
                self.start_jail(jail);
                started.push(jail.name.clone());
            }
        }
        self.config = new;
        format!(
            "{} jail(s) running; (re)started: {}; stopped: {}",
            self.jails.len(),
            list_or_none(&started),
            list_or_none(
                &gone
                    .into_iter()
                    .filter(|g| !started.contains(g))
                    .collect::<Vec<_>>()
            )
        )
    }

    fn jail(&self, name: &str) -> Result<&RunningJail, Response> {
        self.jails.get(name).ok_or_else(|| {
            let names: Vec<&str> = self.jails.keys().map(String::as_str).collect();
            Response::error(format!(
                "no jail named {name:?} (jails: {})",
                list_or_none(&names)
            ))
        })
    }
}

fn list_or_none<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Actor for ServerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let summary = self.apply(self.config.clone());
        ctx.run_interval(WHEN_MISSING_CHECK, |act, _| act.follow_when_missing());
        self.lift_own_bans(self.own.iter().copied().collect());
        // Stored bans are back and the socket listens (start.rs): ready.
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        tracing::info!(
            "portcullis {} running: {summary}; control socket {}",
            env!("CARGO_PKG_VERSION"),
            self.config.socket.display()
        );
    }
}

impl Handler<Reload> for ServerActor {
    type Result = ResponseActFuture<Self, Result<String, String>>;

    fn handle(&mut self, _: Reload, _: &mut Context<Self>) -> Self::Result {
        let new = match config::load_checked(&self.config_path) {
            Ok(c) => c,
            Err(e) => {
                let text = match &e {
                    config::ConfigError::Problems(p) => format!("{e}\n{}", p.render()),
                    other => crate::error_chain(other),
                };
                tracing::error!("reload rejected, the running configuration stays: {text}");
                return Box::pin(fut::ready(Err(format!(
                    "configuration rejected, the running one stays: {text}"
                ))));
            }
        };
        if new.table != self.config.table
            || new.database != self.config.database
            || new.socket != self.config.socket
            || new.metrics != self.config.metrics
        {
            tracing::warn!(
                "reload: table, database, socket and metrics changes take effect at the next restart"
            );
        }
        let mut nft = new.nft_config();
        nft.table = self.config.table.clone();
        Box::pin(
            self.actions
                .send(Setup(nft))
                .into_actor(self)
                .map(|res, act, _| match res {
                    Ok(Ok(())) => {
                        let summary = act.apply(new);
                        tracing::info!("configuration reloaded: {summary}");
                        Ok(summary)
                    }
                    Ok(Err(e)) => Err(format!(
                        "cannot rebuild table inet {}: {e}",
                        act.config.table
                    )),
                    Err(e) => Err(format!("the actions actor is gone: {e}")),
                }),
        )
    }
}

impl Handler<Control> for ServerActor {
    type Result = ResponseActFuture<Self, Response>;

    fn handle(&mut self, msg: Control, ctx: &mut Context<Self>) -> Self::Result {
        if msg.uid != 0 && !msg.request.is_read_only() {
            let reply = Response::error(format!(
                "permission denied: only root may change bans and settings (you are uid {})",
                msg.uid
            ));
            return Box::pin(fut::ready(reply));
        }
        match self.control(msg.request, ctx) {
            Ok(f) => f,
            Err(reply) => Box::pin(fut::ready(reply)),
        }
    }
}

type Reply = ResponseActFuture<ServerActor, Response>;

fn done<T: serde::Serialize>(result: Result<T, String>) -> Response {
    match result {
        Ok(v) => Response::ok(serde_json::to_value(v).unwrap_or_default()),
        Err(e) => Response::error(e),
    }
}

impl ServerActor {
    fn control(&mut self, request: Request, ctx: &mut Context<Self>) -> Result<Reply, Response> {
        let actions = self.actions.clone();
        Ok(match request {
            Request::Status { jail } => self.status(jail)?,
            Request::Ban {
                jail,
                addr,
                bantime,
            } => {
                let running = self.jail(&jail)?;
                let bantime = match bantime {
                    Some(text) => parse_bantime(&text).map_err(Response::error)?,
                    None => running.config.settings.bantime,
                };
                actions.do_send(BanTicket {
                    jail: jail.clone(),
                    addr,
                    bantime,
                    failures: 0,
                    read_at: None,
                });
                Box::pin(fut::ready(Response::ok(
                    json!({"jail": jail, "addr": addr, "bantime": bantime.to_string()}),
                )))
            }
            Request::Unban { jail, addr } => {
                self.jail(&jail)?.addr.do_send(Forget { addr });
                Box::pin(
                    async move { done(flatten(actions.send(Unban::One { jail, addr }).await)) }
                        .into_actor(self),
                )
            }
            Request::UnbanAll { jail } => {
                if let Some(j) = &jail {
                    self.jail(j)?;
                }
                Box::pin(
                    async move { done(flatten(actions.send(Unban::All { jail }).await)) }
                        .into_actor(self),
                )
            }
            Request::Banned { addr } => Box::pin(
                async move {
                    let listed = flatten(actions.send(ListBans { jail: None }).await);
                    done(listed.map(|e| BanEntry::from_elements(e, addr)))
                }
                .into_actor(self),
            ),
            Request::Reload => {
                let me = ctx.address();
                Box::pin(async move { done(flatten(me.send(Reload).await)) }.into_actor(self))
            }
            Request::Get { jail, key } => {
                let addr = self.jail(&jail)?.addr.clone();
                Box::pin(
                    async move { done(flatten(addr.send(GetSetting { key }).await)) }
                        .into_actor(self),
                )
            }
            Request::Set { jail, key, value } => {
                let addr = self.jail(&jail)?.addr.clone();
                Box::pin(
                    async move { done(flatten(addr.send(SetSetting { key, value }).await)) }
                        .into_actor(self),
                )
            }
        })
    }

    fn status(&self, only: Option<String>) -> Result<Reply, Response> {
        let mut jails = Vec::new();
        for (name, j) in &self.jails {
            if only.as_ref().is_none_or(|o| o == name) {
                jails.push((
                    name.clone(),
                    j.config.filter.clone(),
                    j.sources.clone(),
                    j.addr.clone(),
                ));
            }
        }
        if let Some(o) = &only {
            self.jail(o)?;
        }
        let actions = self.actions.clone();
        Ok(Box::pin(
            async move {
                let bans = match flatten(actions.send(ListBans { jail: only.clone() }).await) {
                    Ok(b) => BanEntry::from_elements(b, None),
                    Err(e) => return Response::error(e),
                };
                let mut out = Vec::new();
                for (name, filter, sources, addr) in jails {
                    let stats = addr.send(GetStats).await.unwrap_or_default();
                    let mine: Vec<&BanEntry> = bans.iter().filter(|b| b.jail == name).collect();
                    let mut item = json!({
                        "jail": name, "filter": filter, "sources": sources,
                        "banned": mine.len(), "stats": stats,
                    });
                    if only.is_some() {
                        item["addresses"] = json!(mine);
                    }
                    out.push(item);
                }
                Response::ok(json!(out))
            }
            .into_actor(self),
        ))
    }
}

pub(super) fn flatten<T>(r: Result<Result<T, String>, MailboxError>) -> Result<T, String> {
    r.map_err(|e| format!("internal error: {e}"))?
}
