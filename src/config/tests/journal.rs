//! `journal` nodes and the journal sources they make.

use super::*;

#[test]
fn journal_nodes_and_their_sources() {
    let dir = tempfile::tempdir().unwrap();
    let present = write(dir.path(), "auth.log", "");
    let config = parse(&format!(
        r#"
jail "sshd" {{
    journal "_SYSTEMD_UNIT=sshd.service"
    journal "_SYSTEMD_UNIT=ssh.service" "_COMM=sshd" directory="/var/log/journal/remote"
    journal "SYSLOG_IDENTIFIER=sshd"
    journal "_SYSTEMD_UNIT=x.service" when-missing="{}"
    journal "_SYSTEMD_UNIT=y.service" when-missing="/nonexistent/auth.log"
}}
"#,
        present.display()
    ))
    .unwrap();
    let jail = &config.jails[0];
    assert!(jail.sources.is_empty());
    assert_eq!(jail.journals.len(), 5);
    assert_eq!(
        jail.journals[1],
        JournalNode {
            matches: vec!["_SYSTEMD_UNIT=ssh.service".into(), "_COMM=sshd".into()],
            directory: Some("/var/log/journal/remote".into()),
            when_missing: None,
        }
    );
    let specs = journal_sources(&jail.journals);
    assert_eq!(specs.len(), 2);
    assert_eq!(specs[0].directory, None);
    assert_eq!(
        specs[0].matches,
        vec![
            vec!["_SYSTEMD_UNIT=sshd.service".to_string()],
            vec!["SYSLOG_IDENTIFIER=sshd".to_string()],
            vec!["_SYSTEMD_UNIT=y.service".to_string()],
        ]
    );
    assert_eq!(specs[1].matches.len(), 1);
    assert_eq!(specs[0].cursor_key(), "journal:system");
    assert_eq!(specs[1].cursor_key(), "journal:/var/log/journal/remote");
}

#[test]
fn bad_journal_matches_point_at_the_entry() {
    assert_eq!(
        errors(concat!(
            "jail \"a\" {\n",
            " journal \"sshd\" \"=x\" \"_systemd_unit=sshd.service\" \"1X=y\"\n",
            " journal directory=\"rel\" unit=\"x\" \"A=b\"\n",
            " journal 3\n",
            "}\n"
        )),
        vec![
            "2:10 journal match \"sshd\" has no `=`: write FIELD=value, e.g. \"_SYSTEMD_UNIT=sshd.service\"",
            "2:17 journal match \"=x\" has no field name before `=`",
            "2:22 \"_systemd_unit\" is not a journal field name: upper-case letters, digits and `_` (e.g. _SYSTEMD_UNIT)",
            "2:51 \"1X\" is not a journal field name: upper-case letters, digits and `_` (e.g. _SYSTEMD_UNIT)",
            "3:10 `directory` takes an absolute path, not \"rel\"",
            "3:26 `journal` takes no property unit",
            "4:10 `journal` takes a string",
            "1:1 jail a has no source",
        ]
    );
}

#[test]
fn a_journal_is_a_source() {
    let config = parse("jail \"a\" { journal \"_SYSTEMD_UNIT=a.service\"; }\n").unwrap();
    assert_eq!(config.jails[0].journals.len(), 1);
}

/// A `journal` node without matches reads every entry of its journal (as
/// fail2ban's systemd backend without `journalmatch`), also beside others.
#[test]
fn a_journal_without_matches_is_every_entry() {
    let config = parse(concat!(
        "jail \"a\" {\n",
        " journal\n",
        " journal \"_COMM=x\"\n",
        " journal directory=\"/var/log/journal/remote\"\n",
        "}\n"
    ))
    .unwrap();
    let nodes = &config.jails[0].journals;
    assert_eq!(nodes.len(), 3);
    assert!(nodes[0].matches.is_empty());
    let specs = journal_sources(nodes);
    assert_eq!(specs.len(), 2);
    assert!(specs[0].reads_every_entry());
    assert_eq!(specs[0].matches.len(), 2, "one group per node");
    assert!(specs[1].reads_every_entry());
    assert_eq!(
        specs[1].describe(),
        "journal, every entry (directory /var/log/journal/remote)"
    );
}
