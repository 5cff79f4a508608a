//! Issue 15's bar: the real fail2ban-server of Debian's package (unpacked,
//! never installed; `banaction = dummy`, an sshd jail on a log file) and a
//! portcullis daemon (in a network namespace, the same jail: fail2ban's own
//! sshd filter file, maxretry 5, findtime and bantime 10 minutes) get the
//! same commands from fail2ban's own `fail2ban-client -s SOCKET`, bans
//! included; the printed output and exit status must match line by line.
//! Only what legitimately differs is normalised, explicitly: ban times
//! (`YYYY-MM-DD HH:MM:SS`), each server's temporary directory, and the
//! `version` reply.

use std::path::Path;

use portcullis::filter::definition::Dialect;
use portcullis::filter::tags::expand_in;

use crate::common::fail2ban_root;
use crate::daemon_common::Daemon;
use crate::f2bproto_oracle::{Fail2banServer, words};

/// The daemon's jail, as fail2ban's `[sshd]` with the package's defaults.
fn config(root: &Path) -> String {
    let filter = root.join("etc/fail2ban/filter.d/sshd.conf");
    format!(
        "fail2ban-socket \"$DIR/f2b.sock\"\n\
         jail \"sshd\" {{\n    source \"$DIR/auth.log\"\n    filter \"{}\"\n    \
         maxretry 5\n    findtime \"10m\"\n    bantime \"10m\"\n    port 22\n}}\n",
        filter.display()
    )
}

/// What legitimately differs between the two servers' output, replaced
/// explicitly: times by `TIME`, the server's directory by `DIR`, in
/// regexes the address pattern each engine substitutes for `<HOST>` (ours
/// has no look-behind) by `<HOST>`, and the jail's one action (fail2ban's
/// `dummy`, our `nftables`) by `ACTION`.
struct Differences {
    dir: String,
    host: String,
    action: &'static str,
}

impl Differences {
    fn apply(&self, line: &str) -> String {
        let time = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").unwrap();
        let line = line.replace(&self.dir, "DIR").replace(&self.host, "<HOST>");
        let line = if line == self.action {
            "ACTION".into()
        } else {
            line
        };
        time.replace_all(&line, "TIME").into_owned()
    }

    fn normalised(&self, printed: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(printed);
        text.lines().map(|line| self.apply(line)).collect()
    }
}

/// fail2ban's own expansion of `<HOST>`, asked of its Python code.
fn fail2ban_host(root: &Path) -> String {
    let script = "from fail2ban.server.failregex import Regex\n\
                  print(Regex._resolveHostTag('<HOST>'))";
    let out = crate::common::fail2ban_python(root, &["-c", script]);
    out.trim_end().to_string()
}

/// The commands of the comparison, in order; the ones that ban are
/// followed by a wait for the kernel (the daemon bans asynchronously).
const COMMANDS: &[&str] = &[
    "ping",
    "status",
    "status sshd",
    "set sshd banip 192.0.2.7",
    "get sshd banip --with-time",
    "banned 192.0.2.7",
    "set sshd banip 192.0.2.9 2001:db8::1",
    "status",
    "status sshd",
    "status sshd short",
    "status sshd basic",
    "banned",
    "banned 192.0.2.7 198.51.100.1",
    "get sshd banned",
    "get sshd banned 192.0.2.9",
    "get sshd banned 192.0.2.9 198.51.100.1",
    "get sshd banip",
    "get sshd banip --with-time",
    // Banned again: fail2ban prolongs the ban (never shortens it), which
    // `get banip --with-time` would show; ours is the CLI work of issue 15
    // (cli-net), so the ends are not compared after this.
    "set sshd banip 192.0.2.7",
    "get sshd maxretry",
    "get sshd findtime",
    "get sshd bantime",
    "get sshd ignoreip",
    "get sshd logpath",
    "get sshd journalmatch",
    "get sshd maxlines",
    "get sshd failregex",
    "get sshd ignoreregex",
    "get sshd actions",
    "get loglevel",
    "set loglevel debug",
    "get loglevel",
    "set loglevel INFO",
    "flushlogs",
    "set sshd maxretry 3",
    "set sshd findtime 3600",
    "set sshd bantime 1200",
    "set sshd addignoreip 10.0.0.0/8 192.0.2.200",
    "set sshd delignoreip 10.0.0.0/8",
    "set sshd unbanip 192.0.2.9",
    "set sshd unbanip --report-absent 198.51.100.1",
    "unban 2001:db8::1",
    "status nosuch",
    "get nosuch maxretry",
    "frobnicate",
    "get sshd frobnicate",
    "set sshd maxretry x",
    "echo a b",
    "unban --all",
    "status sshd",
    "start sshd",
    "start nosuch",
    "stop nosuch",
    "stop sshd",
    "status",
    "status sshd",
];

#[test]
fn fail2ban_client_prints_the_same_from_fail2ban_server_and_the_daemon() {
    let test = "fail2ban_client_prints_the_same_from_fail2ban_server_and_the_daemon";
    let Some(root) = fail2ban_root(test) else {
        return;
    };
    let Some(mut d) = Daemon::prepare("f2b-oracle", &config(&root)) else {
        return;
    };
    d.start();
    let fail2ban = Fail2banServer::start(&root);
    let ours = d.path("f2b.sock");
    let theirs_differ = Differences {
        dir: fail2ban.dir().display().to_string(),
        host: fail2ban_host(&root),
        action: "dummy",
    };
    let ours_differ = Differences {
        dir: d.dir.path().display().to_string(),
        host: expand_in("<HOST>", Dialect::Fail2ban).unwrap(),
        action: "nftables",
    };
    let mut differ = Vec::new();
    for line in COMMANDS {
        let args = words(line);
        let theirs = fail2ban.client(&args);
        let mine = fail2ban.client_at(&ours, &args);
        for addr in args.iter().filter(|a| a.contains(['.', ':'])) {
            if line.contains(" banip ") {
                let set = if addr.contains(':') {
                    "sshd-v6"
                } else {
                    "sshd-v4"
                };
                d.wait_banned(set, addr);
            }
        }
        let want = (
            theirs.status.code(),
            theirs_differ.normalised(&theirs.stdout),
        );
        let got = (mine.status.code(), ours_differ.normalised(&mine.stdout));
        if want != got {
            differ.push(format!(
                "{line}:\n  fail2ban:   {want:?}\n  portcullis: {got:?}"
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{}\nlog:\n{}",
        differ.join("\n"),
        d.log()
    );
}
