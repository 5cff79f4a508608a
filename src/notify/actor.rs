//! The NotifyActor: a shell around [`runner::run`] and the [`Budget`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

use super::runner::{self, Budget};
use super::{Finished, MAX_RUNNING, Notify, NotifyAction, SetNotifications};

/// How often dropped events and unlogged failures are summarised.
const SUMMARY_PERIOD: Duration = Duration::from_secs(10);

pub struct NotifyActor {
    actions: HashMap<String, Vec<Arc<NotifyAction>>>,
    budget: Budget,
}

impl NotifyActor {
    pub fn new(actions: HashMap<String, Vec<NotifyAction>>) -> Self {
        Self::with_max_running(actions, MAX_RUNNING)
    }

    /// At most `max_running` processes at once.
    pub fn with_max_running(
        actions: HashMap<String, Vec<NotifyAction>>,
        max_running: usize,
    ) -> Self {
        let mut actor = NotifyActor {
            actions: HashMap::new(),
            budget: Budget::new(max_running),
        };
        actor.set(actions);
        actor
    }

    fn set(&mut self, actions: HashMap<String, Vec<NotifyAction>>) {
        self.actions = actions
            .into_iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(jail, list)| (jail, list.into_iter().map(Arc::new).collect()))
            .collect();
    }
}

impl Actor for NotifyActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(SUMMARY_PERIOD, |act, _| {
            if let Some(line) = act.budget.summary() {
                tracing::warn!("{line}");
            }
        });
    }
}

impl Handler<Notify> for NotifyActor {
    type Result = ();

    fn handle(&mut self, msg: Notify, ctx: &mut Context<Self>) {
        let Some(list) = self.actions.get(&msg.jail) else {
            return;
        };
        let values = msg.values();
        for action in list.iter().filter(|a| a.events.contains(&msg.event)) {
            if !self.budget.admit() {
                continue;
            }
            let (action, jail, me) = (action.clone(), msg.jail.clone(), ctx.address());
            let argv = action.argv(&values);
            actix::spawn(async move {
                let outcome = runner::run(&argv, action.timeout).await;
                me.do_send(Finished {
                    action,
                    jail,
                    outcome,
                });
            });
        }
    }
}

impl Handler<Finished> for NotifyActor {
    type Result = ();

    fn handle(&mut self, msg: Finished, _: &mut Context<Self>) {
        let success = msg.outcome.is_success();
        if self.budget.finished(success) {
            tracing::warn!(
                "jail {}: notification {} ({}) {}",
                msg.jail,
                msg.action.name,
                msg.action
                    .argv
                    .first()
                    .map(|t| t.source())
                    .unwrap_or_default(),
                msg.outcome.describe(msg.action.timeout)
            );
        }
    }
}

impl Handler<SetNotifications> for NotifyActor {
    type Result = ();

    fn handle(&mut self, msg: SetNotifications, _: &mut Context<Self>) {
        self.set(msg.0);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::notify::{Event, Template};

    /// 50 bans at once with room for 4 processes: 4 run, the rest are dropped.
    #[actix_rt::test]
    async fn a_flood_of_bans_starts_no_more_than_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("started");
        let argv = [
            "/bin/sh",
            "-c",
            "echo \"$1\" >> \"$0\"; sleep 1",
            out.to_str().unwrap(),
            "{ip}",
        ];
        let action = NotifyAction {
            name: "count".into(),
            argv: argv.iter().map(|a| Template::parse(a).unwrap()).collect(),
            events: vec![Event::Ban],
            timeout: Duration::from_secs(5),
        };
        let actions = HashMap::from([("sshd".to_string(), vec![action])]);
        let actor = NotifyActor::with_max_running(actions, 4).start();
        for i in 0..50u8 {
            let msg = Notify {
                event: Event::Ban,
                jail: "sshd".into(),
                addr: std::net::IpAddr::from([192, 0, 2, i]).into(),
                ban: Some((crate::time::BanTime::Permanent, 5)),
                time: 0,
            };
            actor.send(msg).await.unwrap();
        }
        let lines = || {
            std::fs::read_to_string(&out)
                .unwrap_or_default()
                .lines()
                .count()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while lines() < 4 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // All 50 were handled before the first process could end: no more come.
        let text = std::fs::read_to_string(&out).unwrap();
        let mut started: Vec<&str> = text.lines().collect();
        started.sort();
        assert_eq!(
            started,
            ["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3"]
        );
    }
}
