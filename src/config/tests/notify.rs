//! `notify` nodes: merged from defaults, their errors.

use super::*;

#[test]
fn notify_in_defaults_and_jail_merge_by_name() {
    let config = parse(
        r#"
defaults {
    notify "mail" { exec "/bin/mail-ban" "{ip}"; }
    notify "chat" { exec "/bin/chat" "{jail}: {ip} for {bantime}"; on "ban" "unban"; timeout "2s"; }
}
jail "sshd" {
    source "/l"
    notify "mail" { exec "/usr/local/bin/notify-ban" "--ip" "{ip}" "--failures" "{failures}"; timeout 30; }
}
"#,
    )
    .unwrap();
    let notify = &config.jails[0].settings.notify;
    let values = crate::notify::Values {
        ip: "192.0.2.1".into(),
        jail: "sshd".into(),
        bantime: "10m".into(),
        failures: "5".into(),
        ..Default::default()
    };
    assert_eq!(notify.len(), 2);
    assert_eq!(notify[0].name, "mail");
    assert_eq!(
        notify[0].argv(&values),
        vec![
            "/usr/local/bin/notify-ban",
            "--ip",
            "192.0.2.1",
            "--failures",
            "5"
        ]
    );
    assert_eq!(notify[0].events, vec![crate::notify::Event::Ban]);
    assert_eq!(notify[0].timeout, Duration::from_secs(30));
    assert_eq!(notify[1].argv(&values)[1], "sshd: 192.0.2.1 for 10m");
    assert_eq!(
        notify[1].events,
        vec![crate::notify::Event::Ban, crate::notify::Event::Unban]
    );
    assert_eq!(notify[1].timeout, Duration::from_secs(2));
    assert_eq!(config.notifications()["sshd"], *notify);
}

#[test]
fn notify_errors_point_at_the_offending_text() {
    assert_eq!(
        errors(concat!(
            "jail \"a\" {\n source \"/l\"\n",
            " notify \"n1\" { on \"ban\"; }\n",
            " notify \"n2\" { exec \"/bin/x\" \"--ip={ip}&{foo}\"; timeout \"soon\"; on \"kill\"; }\n",
            " notify \"n3\" { exec \"notify-send\"; retries 3; }\n",
            " notify \"n4\" { exec; timeout 0; }\n",
            "}\n"
        )),
        vec![
            "3:2 notify n1 has no `exec`",
            "4:41 unknown tag {foo}",
            "4:57 `timeout`: \"soon\" is not a duration (examples: 30s, 10m, 1h30m, 2d, 1w)",
            "4:68 unknown event \"kill\": use \"ban\", \"unban\"",
            "5:21 the program \"notify-send\" is not an absolute path",
            "5:36 unknown notify setting `retries`",
            "6:16 `exec` needs a program and its arguments",
            "6:22 `timeout` must be longer than 0s",
        ]
    );
}
