//! The jail set's decisions, on configurations parsed from KDL text, with
//! paths that exist given by a predicate (no file system, no root).

use std::path::Path;

use super::*;

fn config(jails: &str) -> Config {
    crate::config::parse(Path::new("/etc/portcullis/config.kdl"), jails.to_string()).unwrap()
}

/// The set running every enabled jail of `text`, as a start would leave it.
fn running(text: &str) -> JailSet<()> {
    let mut set = JailSet::default();
    for j in config(text).enabled_jails() {
        set.insert(Running {
            config: j.clone(),
            sources: j.sources.clone(),
            journal_matches: active_journal_matches(j, |_| false),
            handle: (),
        });
    }
    set
}

const TWO: &str = r#"
jail "sshd" { source "/var/log/auth.log" }
jail "web" { filter "nginx-http-auth"; source "/var/log/nginx/error.log" }
"#;

#[test]
fn a_new_configuration_stops_removed_and_changed_jails_and_keeps_the_rest() {
    let set = running(TWO);
    let new = config(
        r#"
jail "sshd" { source "/var/log/auth.log"; maxretry 2 }
jail "mail" { filter "postfix"; source "/var/log/mail.log" }
"#,
    );
    let plan = set.plan(&new);
    assert_eq!(plan.stop, vec!["sshd".to_string(), "web".to_string()]);
    let started: Vec<&str> = plan.start.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(started, vec!["sshd", "mail"]);
    assert!(plan.keep.is_empty());
}

#[test]
fn the_same_configuration_changes_nothing() {
    let set = running(TWO);
    let plan = set.plan(&config(TWO));
    assert_eq!(
        plan,
        Plan {
            stop: vec![],
            start: vec![],
            keep: vec!["sshd".into(), "web".into()],
        }
    );
    assert_eq!(
        set.summary(&plan).to_string(),
        "2 jail(s) running; (re)started: none; stopped: none"
    );
}

#[test]
fn a_disabled_jail_stops_and_a_restarted_one_is_reported_once() {
    let mut set = running(TWO);
    let new = config(
        r#"
jail "sshd" { source "/var/log/auth.log"; bantime "2h" }
jail "web" { enabled #false; filter "nginx-http-auth"; source "/var/log/nginx/error.log" }
"#,
    );
    let plan = set.plan(&new);
    let mut stopped = Vec::new();
    let start = |c: &JailConfig| {
        Some(Running {
            config: c.clone(),
            sources: vec![],
            journal_matches: 0,
            handle: (),
        })
    };
    let summary = set.carry_out(&plan, start, |j| stopped.push(j.config.name));
    assert_eq!(stopped, vec!["sshd".to_string(), "web".to_string()]);
    assert_eq!(
        summary,
        ReloadSummary {
            running: 1,
            started: vec!["sshd".into()],
            stopped: vec!["web".into()],
        }
    );
    assert_eq!(
        summary.to_string(),
        "1 jail(s) running; (re)started: sshd; stopped: web"
    );
}

#[test]
fn an_unknown_jail_is_named_with_the_running_ones() {
    let set = running(TWO);
    assert_eq!(set.get("web").unwrap().config.filter, "nginx-http-auth");
    assert_eq!(
        set.get("ssh").unwrap_err().to_string(),
        "no jail named \"ssh\" (jails: sshd, web)"
    );
    assert_eq!(
        JailSet::<()>::default()
            .selected(Some("sshd"))
            .unwrap_err()
            .to_string(),
        "no jail named \"sshd\" (jails: none)"
    );
    let all: Vec<&str> = (set.selected(None).unwrap().iter())
        .map(|j| j.config.name.as_str())
        .collect();
    assert_eq!(all, vec!["sshd", "web"]);
    assert_eq!(set.selected(Some("web")).unwrap().len(), 1);
}

#[test]
fn only_ignoreself_jails_lift_bans_of_the_hosts_addresses() {
    let set = running(
        r#"
jail "sshd" { source "/var/log/auth.log" }
jail "web" { filter "nginx-http-auth"; source "/l"; ignoreself #false }
"#,
    );
    assert_eq!(set.ignoreself(), vec!["sshd".to_string()]);
}

const WHEN_MISSING: &str = r#"
jail "sshd" {
    source "/var/log/auth.log"
    journal "_SYSTEMD_UNIT=ssh.service" when-missing="/var/log/auth.log"
    journal "_SYSTEMD_UNIT=sshd.service"
}
jail "web" { filter "nginx-http-auth"; source "/l"; journal "_COMM=nginx" }
"#;

#[test]
fn a_when_missing_file_that_appears_restarts_its_jail_off_the_journal() {
    let set = running(WHEN_MISSING);
    assert_eq!(set.get("sshd").unwrap().journal_matches, 2);
    assert!(set.when_missing_appeared(|_| false).is_empty());
    let auth = |p: &Path| p == Path::new("/var/log/auth.log");
    let appeared = set.when_missing_appeared(auth);
    assert_eq!(appeared.len(), 1);
    assert_eq!(appeared[0].config.name, "sshd");
    assert_eq!(appeared[0].paths, vec!["/var/log/auth.log".to_string()]);
    // Any other file appearing changes nothing.
    assert!(
        set.when_missing_appeared(|p| p == Path::new("/l"))
            .is_empty()
    );
}

#[test]
fn a_jail_started_on_the_file_never_goes_back_to_the_journal() {
    let mut set = JailSet::default();
    let c = config(WHEN_MISSING);
    let sshd = c.jail("sshd").unwrap();
    let exists = |p: &Path| p == Path::new("/var/log/auth.log");
    // Started with auth.log there: one journal match group read.
    assert_eq!(active_journal_matches(sshd, exists), 1);
    set.insert(Running {
        config: sshd.clone(),
        sources: vec![],
        journal_matches: 1,
        handle: (),
    });
    assert!(set.when_missing_appeared(exists).is_empty());
    // auth.log gone for a moment (rotation): the jail stays as it is.
    assert!(set.when_missing_appeared(|_| false).is_empty());
}

#[test]
fn table_database_socket_and_metrics_changes_wait_for_a_restart() {
    let old = config(TWO);
    assert!(restart_only_changes(&old, &config(TWO)).is_empty());
    let new = config(&format!(
        "table \"other\"\nsocket \"/run/x.sock\"\nmetrics \"127.0.0.1:9100\"\ncluster {{ servers \"nats://h:4222\"; node \"n\" }}\n{TWO}"
    ));
    assert_eq!(
        restart_only_changes(&old, &new),
        vec!["table", "socket", "metrics", "cluster"]
    );
}

#[test]
fn a_jail_that_cannot_start_is_left_out_but_reported_as_started() {
    let mut set = running(TWO);
    let new = config(&format!(
        "{TWO}jail \"mail\" {{ filter \"no-such-filter\"; source \"/var/log/mail.log\" }}\n"
    ));
    let plan = set.plan(&new);
    assert_eq!(plan.keep, vec!["sshd".to_string(), "web".to_string()]);
    let summary = set.carry_out(&plan, |_| None, |_| panic!("nothing stops"));
    assert!(set.get("mail").is_err());
    // As before this change: the summary says which jails were started.
    assert_eq!(
        summary.to_string(),
        "2 jail(s) running; (re)started: mail; stopped: none"
    );
}

#[test]
fn a_paused_jail_stays_paused_across_a_reload_until_it_stops() {
    let mut set = running(TWO);
    assert_eq!(set.set_paused("sshd", true), Ok(true));
    assert_eq!(set.set_paused("sshd", true), Ok(false), "already paused");
    assert!(set.is_paused("sshd") && !set.is_paused("web"));
    let unknown = set.set_paused("ssh", true).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "no jail named \"ssh\" (jails: sshd, web)"
    );
    // sshd changes (restarted: still paused), web goes away.
    let new = config(r#"jail "sshd" { source "/var/log/auth.log"; maxretry 2 }"#);
    let plan = set.plan(&new);
    let paused = set.paused();
    let mut started_paused = Vec::new();
    set.carry_out(
        &plan,
        |c| {
            started_paused.push((c.name.clone(), paused.contains(&c.name)));
            Some(Running {
                config: c.clone(),
                sources: c.sources.clone(),
                journal_matches: 0,
                handle: (),
            })
        },
        |_| {},
    );
    assert_eq!(started_paused, vec![("sshd".to_string(), true)]);
    assert!(set.is_paused("sshd"));
    assert_eq!(
        set.set_paused("web", true),
        Err(NoSuchJail {
            name: "web".into(),
            running: vec!["sshd".into()],
        })
    );
    // Stopped (removed from the configuration), it is forgotten.
    set.carry_out(&set.plan(&config("")), |_| None, |_| {});
    assert!(set.paused().is_empty());
    assert_eq!(
        set.set_paused("sshd", false).unwrap_err().running,
        Vec::<String>::new()
    );
}
