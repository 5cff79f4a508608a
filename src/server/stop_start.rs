//! fail2ban's `stop JAIL`, `stop --all` and `start JAIL` (served by the
//! fail2ban socket), and the details its `get JAIL failregex...` reads.
//!
//! A stopped jail leaves the running set exactly as a jail a reload
//! removed does: its reader's thread stops (so it stops reading: no second
//! mechanism), its jail actor goes, and, as fail2ban does, its bans are
//! lifted. It is not in `status` until `start JAIL` or a reload starts it
//! again from the configuration. The decisions are the plain functions
//! [`to_stop`] and [`to_start`]; the handlers only carry them out.

use actix::prelude::*;

use super::fail2ban_view::JailDetails;
use super::jails::{JailSet, NoSuchJail};
use super::launch::{start_jail, stop_jail};
use super::reply::ControlError;
use super::{Details, DrainReaders, ServerActor, StartJail, StopJails};
use crate::actions::Unban;
use crate::config::{Config, JailConfig};
use crate::reader::Drain;

/// Why `start JAIL` started nothing.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    NoSuchJail(#[from] NoSuchJail),
    #[error("jail {jail} cannot start: its filter does not load (the daemon's log says why)")]
    CannotStart { jail: String },
}

/// The running jails `stop` stops: the one named, or all.
pub fn to_stop<H>(jails: &JailSet<H>, only: Option<&str>) -> Result<Vec<String>, NoSuchJail> {
    let selected = jails.selected(only)?;
    Ok(selected.iter().map(|j| j.config.name.clone()).collect())
}

/// What `start NAME` starts: nothing when it runs, else the enabled jail
/// of `config` named so; no such jail is an error naming the jails there are.
pub fn to_start<H>(
    jails: &JailSet<H>,
    config: &Config,
    name: &str,
) -> Result<Option<JailConfig>, NoSuchJail> {
    if jails.get(name).is_ok() {
        return Ok(None);
    }
    match config.enabled_jails().find(|j| j.name == name) {
        Some(jail) => Ok(Some(jail.clone())),
        None => Err(NoSuchJail {
            name: name.to_string(),
            running: config.enabled_jails().map(|j| j.name.clone()).collect(),
        }),
    }
}

impl Handler<StopJails> for ServerActor {
    type Result = ResponseFuture<Result<usize, ControlError>>;

    fn handle(&mut self, msg: StopJails, _: &mut Context<Self>) -> Self::Result {
        let names = match to_stop(&self.jails, msg.only.as_deref()) {
            Ok(names) => names,
            Err(e) => return Box::pin(std::future::ready(Err(e.into()))),
        };
        for name in &names {
            if let Some(jail) = self.jails.remove(name) {
                stop_jail(jail);
            }
        }
        let actions = self.links.actions.clone();
        Box::pin(async move {
            let mut lifted = 0;
            for jail in names {
                let unban = Unban::All { jail: Some(jail) };
                lifted +=
                    (actions.send(unban).await?).map_err(|e| ControlError::Bans(Box::new(e)))?;
            }
            Ok(lifted)
        })
    }
}

impl Handler<StartJail> for ServerActor {
    type Result = Result<bool, StartError>;

    fn handle(&mut self, msg: StartJail, _: &mut Context<Self>) -> Self::Result {
        let Some(config) = to_start(&self.jails, &self.config, &msg.jail)? else {
            return Ok(false);
        };
        let jail = start_jail(&config, &self.links, &self.own, false);
        let jail = jail.ok_or(StartError::CannotStart { jail: msg.jail })?;
        self.jails.insert(jail);
        Ok(true)
    }
}

impl Handler<DrainReaders> for ServerActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: DrainReaders, _: &mut Context<Self>) -> Self::Result {
        let jails = self.jails.iter();
        let drains: Vec<_> = jails.map(|j| j.handle.reader.send(Drain)).collect();
        Box::pin(async move {
            futures_util::future::join_all(drains).await;
        })
    }
}

impl Handler<Details> for ServerActor {
    type Result = Result<JailDetails, NoSuchJail>;

    fn handle(&mut self, msg: Details, _: &mut Context<Self>) -> Self::Result {
        let jail = self.jails.get(&msg.jail)?;
        Ok(JailDetails::of(&jail.handle.filter))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::server::jails::Running;

    fn config() -> Config {
        let text = r#"
            jail "sshd" { source "/var/log/auth.log"; }
            jail "web" { source "/var/log/web.log"; }
            jail "off" { source "/var/log/off.log"; enabled #false; }
        "#;
        crate::config::parse(Path::new("/c.kdl"), text.into()).unwrap()
    }

    fn running(config: &Config, names: &[&str]) -> JailSet<()> {
        let mut set = JailSet::default();
        for name in names {
            set.insert(Running {
                config: config.jail(name).unwrap().clone(),
                sources: Vec::new(),
                journal_matches: 0,
                handle: (),
            });
        }
        set
    }

    #[test]
    fn stop_names_one_running_jail_or_all() {
        let c = config();
        let set = running(&c, &["sshd", "web"]);
        assert_eq!(to_stop(&set, Some("web")).unwrap(), vec!["web"]);
        assert_eq!(to_stop(&set, None).unwrap(), vec!["sshd", "web"]);
        let none = running(&c, &["sshd"]);
        assert_eq!(
            to_stop(&none, Some("web")).unwrap_err().to_string(),
            "no jail named \"web\" (jails: sshd)"
        );
    }

    #[test]
    fn start_brings_back_a_configured_jail_and_leaves_a_running_one() {
        let c = config();
        let set = running(&c, &["sshd"]);
        assert_eq!(to_start(&set, &c, "sshd").unwrap(), None);
        let web = to_start(&set, &c, "web").unwrap().unwrap();
        assert_eq!(web.name, "web");
        for name in ["off", "nosuch"] {
            assert_eq!(
                to_start(&set, &c, name).unwrap_err().to_string(),
                format!("no jail named \"{name}\" (jails: sshd, web)")
            );
        }
    }
}
