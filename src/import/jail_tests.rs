use std::path::Path;

use super::*;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn options(dir: &Path) -> ImportOptions {
    ImportOptions {
        dir: dir.to_path_buf(),
        prefer_bundled: false,
        services: Services::parse("ssh 22/tcp\n"),
    }
}

fn jails(dir: &Path) -> Vec<ImportedJail> {
    import(&options(dir), &mut Vec::new()).unwrap()
}

const JAIL_CONF: &str = "[DEFAULT]\nbanaction = nftables-multiport\naction = %(banaction)s[port=\"%(port)s\", protocol=\"%(protocol)s\"]\nprotocol = tcp\nport = 0:65535\nbantime = 1m\nlogpath = /var/log/%(__name__)s.log\n[a]\nport = ssh\n[b]\n";

#[test]
fn files_are_read_in_fail2bans_order_last_word_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "filter.d/a.conf",
        "[Definition]\nfailregex = x <HOST>\n",
    );
    write(dir, "jail.conf", JAIL_CONF);
    write(dir, "jail.d/2.conf", "[a]\nenabled = true\nbantime = 2m\n");
    write(dir, "jail.d/1.conf", "[a]\nbantime = 1h\n");
    write(dir, "jail.local", "[a]\nbantime = 3m\n");
    let only = |jails: Vec<ImportedJail>| {
        assert_eq!(jails.len(), 1);
        jails.into_iter().next().unwrap()
    };
    let a = only(jails(dir));
    assert_eq!(a.bantime, Some(BanTime::For(Duration::from_secs(180))));
    assert_eq!(a.ports, Ports::tcp(&[22]));
    assert_eq!(a.sources, ["/var/log/a.log"]);
    assert_eq!(a.filter, dir.join("filter.d/a.conf").display().to_string());
    write(dir, "jail.d/9.local", "[a]\nbantime = 4m\n");
    assert_eq!(
        only(jails(dir)).bantime,
        Some(BanTime::For(Duration::from_secs(240)))
    );
    write(dir, "jail.d/9.local", "[a]\nenabled = false\n");
    assert!(jails(dir).is_empty());
}

#[test]
fn a_jail_without_its_filter_file_is_written_disabled_with_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "jail.conf", JAIL_CONF);
    write(
        dir,
        "jail.local",
        "[b]\nenabled = true\nbackend = systemd\n",
    );
    let b = &jails(dir)[0];
    assert!(!b.runnable);
    let notes: Vec<&str> = b.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(
        notes,
        [format!(
            "filter b: no {}/filter.d/b.conf; the jail is left disabled",
            dir.display()
        )
        .as_str(),]
    );
}

/// fail2ban's systemd backend runs a filter without `journalmatch` on the
/// whole journal: the jail is imported enabled, reading every entry.
#[test]
fn systemd_backend_without_journalmatch_reads_every_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "filter.d/a.conf",
        "[Definition]\nfailregex = x <HOST>\n",
    );
    write(dir, "jail.conf", JAIL_CONF);
    write(
        dir,
        "jail.local",
        "[a]\nenabled = true\nbackend = systemd\n",
    );
    let a = &jails(dir)[0];
    assert!(a.runnable, "{:?}", a.notes);
    assert!(a.notes.is_empty(), "{:?}", a.notes);
    assert!(a.sources.is_empty());
    assert_eq!(a.journals, [Vec::<String>::new()]);
    assert_eq!(
        a.comments,
        [
            "backend = systemd and no journalmatch: the filter reads every journal entry, as fail2ban's does"
        ]
    );
}

#[test]
fn systemd_backend_takes_the_filters_journalmatch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "filter.d/a.conf",
        "[Init]\nunit = x\n[Definition]\nfailregex = x <HOST>\njournalmatch = _SYSTEMD_UNIT=%(unit)s.service + _COMM=a\n",
    );
    write(dir, "jail.conf", JAIL_CONF);
    write(
        dir,
        "jail.local",
        "[a]\nenabled = true\nbackend = systemd\nfilter = a[unit=ssh]\n",
    );
    let a = &jails(dir)[0];
    assert_eq!(
        a.journals,
        [
            vec!["_SYSTEMD_UNIT=ssh.service".to_string()],
            vec!["_COMM=a".to_string()]
        ]
    );
    assert!(a.sources.is_empty());
    assert_eq!(a.filter_options, [("unit".to_string(), "ssh".to_string())]);
}

/// A filter may give `journalmatch` in `[Init]`, which overrides
/// `[Definition]` as for every filter setting; each line of it is a group
/// of its own (fail2ban adds each line as a disjunction), and two matches of
/// one field in a line stay in one group (the journal ORs those itself).
#[test]
fn systemd_backend_takes_an_init_journalmatch_line_by_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "filter.d/a.conf",
        "[Definition]\nfailregex = x <HOST>\njournalmatch = _COMM=unused\n[Init]\njournalmatch = _SYSTEMD_UNIT=a.service _SYSTEMD_UNIT=a@-.service\n    _COMM=a-helper\n",
    );
    write(dir, "jail.conf", JAIL_CONF);
    write(
        dir,
        "jail.local",
        "[a]\nenabled = true\nbackend = systemd\n",
    );
    let a = &jails(dir)[0];
    assert!(a.runnable, "{:?}", a.notes);
    assert_eq!(
        a.journals,
        [
            vec![
                "_SYSTEMD_UNIT=a.service".to_string(),
                "_SYSTEMD_UNIT=a@-.service".to_string()
            ],
            vec!["_COMM=a-helper".to_string()]
        ]
    );
}
