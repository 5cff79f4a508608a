//! The `cluster` block.

use super::*;
use crate::cluster::{Auth, Jails};

const JAILS: &str = "jail \"sshd\" { source \"/l\" }\njail \"web\" { source \"/l\" }\n";

#[test]
fn full_cluster_block() {
    let text = format!(
        r#"{JAILS}cluster {{
    servers "nats://10.0.0.5:4222" "nats://10.0.0.6:4222"
    node "gate-1"
    subject-prefix "fleet.bans"
    stream "BANS"
    replicas 2
    max-age "7d"
    credentials "/etc/portcullis/nats.creds"
    tls {{ ca "/etc/ca.pem"; cert "/etc/c.pem"; key "/etc/k.pem" }}
    share "sshd" "web"
    accept "sshd"
    max-bantime "2h"
}}
"#
    );
    let c = parse(&text).unwrap().cluster.unwrap();
    assert_eq!(c.servers, ["nats://10.0.0.5:4222", "nats://10.0.0.6:4222"]);
    assert_eq!(
        (c.node.as_str(), c.subject_prefix.as_str()),
        ("gate-1", "fleet.bans")
    );
    assert_eq!((c.stream.as_str(), c.replicas()), ("BANS", 2));
    assert_eq!(c.max_age, Duration::from_secs(7 * 86_400));
    assert_eq!(
        c.auth,
        Auth::Credentials("/etc/portcullis/nats.creds".into())
    );
    let tls = c.tls.unwrap();
    assert_eq!(tls.key, Some("/etc/k.pem".into()));
    assert_eq!(c.share, Jails::only(["sshd", "web"]));
    assert!(c.accept.contains("sshd") && !c.accept.contains("web"));
    assert_eq!(c.max_bantime, Duration::from_secs(7200));
}

#[test]
fn defaults_and_no_cluster() {
    assert_eq!(parse(JAILS).unwrap().cluster, None);
    let c = parse(&format!(
        "{JAILS}cluster {{ servers \"nats://h:4222\"; user \"u\"; password \"p\" }}"
    ))
    .unwrap()
    .cluster
    .unwrap();
    assert_eq!(
        c.node,
        crate::cluster::ClusterSettings::default_node().unwrap()
    );
    assert_eq!(
        (c.stream.as_str(), c.subject_prefix.as_str()),
        ("PORTCULLIS", "portcullis")
    );
    assert_eq!((c.share, c.accept), (Jails::All, Jails::All));
    let password = "p".to_string();
    assert_eq!(
        c.auth,
        Auth::UserPassword {
            user: "u".into(),
            password
        }
    );
}

#[test]
fn cluster_errors_point_at_their_values() {
    let text = format!(
        r#"{JAILS}cluster {{
    servers "nats://h:4222/x"
    node "gate.1"
    stream "A.B"
    share "sshd" "nginx"
    accept "web" "ng.inx"
    max-bantime "0s"
    token "t"
    credentials "/c"
    replicas 9
    colour "blue"
}}
cluster {{ user "u" }}
"#
    );
    assert_eq!(
        errors(&text),
        [
            "13:5 unknown cluster setting `colour`",
            "11:17 cluster: one of credentials, user/password or token",
            "4:13 cluster: server \"nats://h:4222/x\" is not a NATS URL (nats://host:port or tls://host:port)",
            "5:10 cluster: node name \"gate.1\" is not a single NATS subject token (letters, digits, - and _, at most 64)",
            "6:12 cluster: stream name \"A.B\" may hold only letters, digits, - and _",
            "8:18 cluster: jail name \"ng.inx\" is not a single NATS subject token (letters, digits, - and _)",
            "12:14 cluster: replicas 9 must be between 1 and 5",
            "9:17 cluster: max-bantime must be longer than zero",
            "15:1 `cluster` is given twice; a node belongs to one fleet",
            "7:18 cluster: no jail named \"nginx\"",
            "8:18 cluster: no jail named \"ng.inx\"",
        ]
    );
}

#[test]
fn secrets_from_files() {
    let block = |auth: &str| {
        parse(&format!(
            "{JAILS}cluster {{ servers \"nats://h:4222\"; node \"n\"; {auth} }}"
        ))
        .unwrap()
        .cluster
        .unwrap()
        .auth
    };
    assert_eq!(
        block("user \"gate-1\"; password-file \"/run/secrets/nats\""),
        Auth::UserPasswordFile {
            user: "gate-1".into(),
            path: "/run/secrets/nats".into()
        }
    );
    assert_eq!(
        block("token-file \"/run/secrets/t\""),
        Auth::TokenFile("/run/secrets/t".into())
    );
    assert_eq!(
        errors(&format!(
            "{JAILS}cluster {{ servers \"nats://h:4222\"; node \"n\"; password-file \"/p\" }}"
        )),
        ["3:1 cluster: `user` and `password` (or `password-file`) go together"]
    );
}
