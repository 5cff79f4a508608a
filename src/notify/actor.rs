//! The NotifyActor: a shell around [`runner::run`] and the [`Budget`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

use super::runner::{self, Budget};
use super::{MAX_RUNNING, Notify, NotifyAction, SetNotifications};

/// How often dropped events and unlogged failures are summarised.
const SUMMARY_PERIOD: Duration = Duration::from_secs(10);

pub struct NotifyActor {
    actions: HashMap<String, Vec<Arc<NotifyAction>>>,
    budget: Budget,
}

impl NotifyActor {
    pub fn new(actions: HashMap<String, Vec<NotifyAction>>) -> Self {
        let mut actor = NotifyActor {
            actions: HashMap::new(),
            budget: Budget::new(MAX_RUNNING),
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

/// A process ended. Sent by the NotifyActor to itself; no reply.
#[derive(Message)]
#[rtype(result = "()")]
struct Finished {
    action: Arc<NotifyAction>,
    jail: String,
    outcome: runner::Outcome,
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
