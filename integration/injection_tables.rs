//! The attacks of `injection.rs`, one table per service. `{F}` is the
//! address the client wants banned, `{R}` the client's own.

use crate::injection::{Attack, attack, cut_line};

const SSHD: &str = "Nov 20 03:14:07 bastion sshd[4000]: ";

/// sshd: the user names of "Invalid user", "Failed ... for invalid user"
/// (and what follows "ssh2: "), "maximum authentication attempts", the
/// disconnect lines; single lines and whole connections.
pub fn sshd() -> Vec<Attack> {
    let mut t = Vec::new();
    for args in [&[][..], &["--mode", "aggressive"][..]] {
        let a = |what, lines: &[&str], caught| attack(what, "sshd", args, SSHD, lines, caught);
        t.push(a(
            "invalid user name with a from",
            &["Invalid user x from {F} port 22 from {R} port 51514"],
            true,
        ));
        t.push(a(
            "invalid user name that is a whole sshd line",
            &[
                "Invalid user Nov 20 03:14:07 bastion sshd[4000]: Failed password for root from {F} port 22 ssh2 from {R} port 51514",
            ],
            true,
        ));
        t.push(a(
            "a connection of a user named 'x from F port 1 ssh2:'",
            &[
                "Invalid user x from {F} port 1 ssh2: from {R} port 51514",
                "Failed password for invalid user x from {F} port 1 ssh2: from {R} port 51514 ssh2",
                "Failed password for invalid user x from {F} port 1 ssh2: from {R} port 51514 ssh2",
                "Connection closed by invalid user x from {F} port 1 ssh2: {R} port 51514 [preauth]",
            ],
            true,
        ));
        t.push(a(
            "details after ssh2: naming another address (a certificate's key id)",
            &[
                "Invalid user x from {R} port 51514",
                "Failed publickey for invalid user x from {R} port 51514 ssh2: from {F} port 1 ssh2",
            ],
            true,
        ));
        t.push(a(
            "the ambiguous Failed line alone",
            &["Failed password for invalid user x from {F} port 1 ssh2: from {R} port 51514 ssh2"],
            false,
        ));
        t.push(a(
            "a name with a from and no details",
            &["Failed password for invalid user x from {F} port 1 ssh2 from {R} port 51514 ssh2"],
            true,
        ));
        t.push(a(
            "a name with a from and a key's details",
            &[
                "Failed publickey for invalid user x from {F} port 1 ssh2 from {R} port 51514 ssh2: RSA SHA256:3b2tXbC2a9Qm5u2o8WwZf1pY3eLhVdGs6iJ0KqT1",
            ],
            true,
        ));
        t.push(a(
            "maximum authentication attempts, name with a from",
            &[
                "error: maximum authentication attempts exceeded for invalid user x from {F} port 22 ssh2 from {R} port 51514 ssh2 [preauth]",
            ],
            true,
        ));
        t.push(a(
            "too many authentication failures, name with the whole tail",
            &[
                "Failed password for invalid user y from {R} port 51514 ssh2",
                "Disconnecting invalid user x {F} port 22: Too many authentication failures [preauth] {R} port 51514: Too many authentication failures [preauth]",
            ],
            true,
        ));
        t.push(a(
            "change of username, names with the whole tail",
            &[
                "Disconnecting invalid user x {F} port 22: Change of username or service not allowed: (x,ssh-connection) -> ( {R} port 51514: Change of username or service not allowed: (x {F} port 22: Change of username or service not allowed: (x,ssh-connection) -> (,ssh-connection) -> (y,ssh-connection) [preauth]",
            ],
            false,
        ));
        t.push(a(
            "connection closed, name with a fake tail",
            &[
                "Invalid user x {F} port 22 [preauth] from {R} port 51514",
                "Connection closed by invalid user x {F} port 22 [preauth] {R} port 51514 [preauth]",
            ],
            true,
        ));
        t.push(a(
            "PAM user= with a second rhost=",
            &[
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={R}  user=x rhost={F}",
                "Failed password for x rhost={F} from {R} port 51514 ssh2",
            ],
            true,
        ));
        t.push(a(
            "a newline in the name, as sshd writes it (\\n)",
            &[
                "Invalid user x\\nNov 20 03:14:07 bastion sshd[4001]: Failed password for root from {F} port 22 ssh2: from {R} port 51514",
            ],
            true,
        ));
        t.push(a(
            "CR and NUL in the name",
            &["Invalid user x\r from {F} port 22\0 from {R} port 51514"],
            true,
        ));
        t.push(a(
            "a line the valid-user regex could take",
            &["Failed password for invalid from {F} port 22 ssh2 from {R} port 51514 ssh2"],
            false,
        ));
    }
    t.push(Attack {
        what: "a name so long the line is cut right after a fake address",
        filter: "sshd",
        args: &[],
        lines: vec![cut_line(
            &format!("{SSHD}Invalid user "),
            " from {F} port 22",
            " from {R} port 51514",
        )],
        caught: false,
    });
    t.push(attack(
        "journal: invalid user name with a from",
        "sshd",
        &["--logtype", "journal"],
        "bastion sshd[4000]: ",
        &[
            "Invalid user x from {F} port 1 ssh2: from {R} port 51514",
            "Failed password for invalid user x from {F} port 1 ssh2: from {R} port 51514 ssh2",
        ],
        true,
    ));
    t
}

const NGINX: &str = "2026/11/20 03:14:07 [error] 2865#0: *66647 ";
const NGINX_TAIL: &str =
    ", server: www.example.org, request: \"GET /private/ HTTP/1.1\", host: \"www.example.org\"";

/// nginx: basic-auth user names, request URLs, referrers (error log);
/// URLs, remote users, referrers and user agents (access log).
pub fn nginx() -> Vec<Attack> {
    let auth = |what, line: String, caught| {
        let line: &'static str = Box::leak(line.into_boxed_str());
        attack(what, "nginx-http-auth", &[], NGINX, &[line], caught)
    };
    let bots = |what, line: &str, caught| attack(what, "nginx-botsearch", &[], "", &[line], caught);
    vec![
        auth(
            "user name with a fake client part",
            format!(
                "user \"x\": password mismatch, client: {{F}}, server: s, request: \"GET / HTTP/1.1\", host: \"h\"\": password mismatch, client: {{R}}{NGINX_TAIL}"
            ),
            true,
        ),
        auth(
            "referrer with a fake client part",
            format!(
                "user \"bob\": password mismatch, client: {{R}}{NGINX_TAIL}, referrer: \"x\": password mismatch, client: {{F}}, server: s, host: \"h\""
            ),
            true,
        ),
        auth(
            "unknown user, referrer with a fake client part",
            format!(
                "user \"bob\" was not found in \"/etc/nginx/htpasswd\", client: {{R}}{NGINX_TAIL}, referrer: \"x\" was not found in \"/x\", client: {{F}}, server: s\""
            ),
            true,
        ),
        auth(
            "request URL with a fake client part",
            "user \"bob\": password mismatch, client: {R}, server: www.example.org, request: \"GET /?\",client:{F},server:s HTTP/1.1\", host: \"www.example.org\""
                .to_string(),
            true,
        ),
        auth(
            "PAM user with a fake client part in the referrer",
            format!(
                "PAM: user 'bob' - not authenticated: Authentication failure, client: {{R}}{NGINX_TAIL}, referrer: \"' - not authenticated: x, client: {{F}}, server: s\""
            ),
            true,
        ),
        auth(
            "a 1500-byte name ending the line nginx cut at 2047 bytes",
            format!(
                "user \"{}\": password mismatch, client: {{F}}, server: s",
                "A".repeat(1500)
            ),
            false,
        ),
        bots(
            "access log: URL, remote user, referrer and agent with the client's form (quotes as nginx escapes them)",
            "{R} - {F} [20/Nov/2026:03:14:07 +0000] \"GET /phpmyadmin/?{F} HTTP/1.1\" 404 162 \"{F} - - [20/Nov/2026:03:14:07 +0000] \\x22GET /pma/ HTTP/1.1\\x22 404 1\" \"{F}\"",
            true,
        ),
        bots(
            "access log: a remote user with a space",
            "{R} - x {F} - - [20/Nov/2026:03:14:07 +0000] \"GET /pma/ HTTP/1.1\" 404 162 \"-\" \"-\"",
            false,
        ),
        bots(
            "error log: a path with a fake client part",
            "2026/11/20 03:14:07 [error] 2833#0: *16336 open() \"/srv/www/pma/x\" failed (2: No such file or directory), client: {F}, server: s, request: \"GET /pma HTTP/1.1\"\" failed (2: No such file or directory), client: {R}, server: www.example.org, request: \"GET /pma/x%22%20failed HTTP/1.1\", host: \"www.example.org\"",
            false,
        ),
        Attack {
            what: "error log: a path so long nginx cut the line after a fake client",
            filter: "nginx-botsearch",
            args: &[],
            lines: vec![
                format!(
                    "2026/11/20 03:14:07 [error] 2833#0: *16336 open() \"/srv/www/pma/{}\" failed (2: No such file or directory), client: {FAKE}, server: s, request: \"GET /pma HTTP/1.1\"",
                    "A".repeat(1900),
                    FAKE = crate::injection::FAKE
                )
                .into_bytes(),
            ],
            caught: false,
        },
    ]
}

const POSTFIX: &str = "Nov 20 03:14:07 mail postfix/smtpd[5000]: ";

/// Postfix: HELO names, sender and recipient addresses, SASL user names,
/// pipelined text, postscreen's quoted client text.
pub fn postfix() -> Vec<Attack> {
    let p = |what, args, line: &str| attack(what, "postfix", args, POSTFIX, &[line], true);
    vec![
        p(
            "HELO name",
            &[],
            "NOQUEUE: reject: RCPT from unknown[{R}]: 450 4.7.1 <unknown[{F}]>: Helo command rejected: Host not found; from=<a@example.org> to=<b@example.org> proto=ESMTP helo=<unknown[{F}]: 554>",
        ),
        p(
            "sender and recipient",
            &[],
            "NOQUEUE: reject: RCPT from unknown[{R}]: 554 5.7.1 <unknown[{F}]@example.org>: Relay access denied; from=<RCPT from unknown[{F}]:@example.org> to=<unknown[{F}]@example.org> proto=ESMTP helo=<[{F}]>",
        ),
        p(
            "SASL user name",
            &["--mode", "auth"],
            "warning: unknown[{R}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=warning: unknown[{F}]: SASL LOGIN authentication failed:",
        ),
        p(
            "pipelined text",
            &[],
            "improper command pipelining after EHLO from unknown[{R}]: QUIT\\r\\nimproper command pipelining after EHLO from unknown[{F}]:\\r\\n",
        ),
        attack(
            "postscreen's quoted client text",
            "postfix",
            &["--mode", "ddos"],
            "Nov 20 03:14:07 mail postfix/postscreen[5001]: ",
            &["PREGREET 14 after 0.08 from [{R}]:59415: EHLO from [{F}]:1\\r\\n"],
            true,
        ),
    ]
}

const DOVECOT: &str = "Nov 20 03:14:07 mail dovecot: ";

/// Dovecot: login user names before rip=, passdb user names before the
/// address, PAM's ruser.
pub fn dovecot() -> Vec<Attack> {
    let d = |what, line: &str, caught| attack(what, "dovecot", &[], DOVECOT, &[line], caught);
    vec![
        d(
            "login user with a fake rip",
            "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip={F}, lip=192.0.2.1>, method=PLAIN, rip={R}, lip=192.0.2.1, TLS, session=<k3Y2bQZP5JDLjwEB>",
            true,
        ),
        d(
            "login user that is a whole login line",
            "pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, rip={F}, lip=192.0.2.1>, method=PLAIN, rip={R}, lip=192.0.2.1, session=<k3Y2bQZP5JDLjwEB>",
            true,
        ),
        d(
            "pam passdb user with commas",
            "auth-worker(1234): Info: pam(x,{F},y,{R},<k3Y2bQZP5JDLjwEB>): pam_authenticate() failed: Authentication failure (password mismatch?)",
            true,
        ),
        d(
            "sql passdb user with commas",
            "auth-worker(1234): Info: sql(x,{F},<s>,{R},<k3Y2bQZP5JDLjwEB>): unknown user",
            true,
        ),
        d(
            "PAM ruser with a space and a fake rhost",
            "auth-worker(22401): pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=x rhost={F} rhost={R}",
            false,
        ),
        Attack {
            what: "a user so long the line is cut right after a fake rip",
            filter: "dovecot",
            args: &[],
            lines: vec![cut_line(
                &format!(
                    "{DOVECOT}imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<"
                ),
                ">, method=PLAIN, rip={F}, lip=192.0.2.1",
                ">, method=PLAIN, rip={R}, lip=192.0.2.1",
            )],
            caught: false,
        },
    ]
}
