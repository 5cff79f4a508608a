//! Hostile text in every client-controlled slot, generated: each slot of a
//! service's line (`{U}`) takes every fragment of a pool built from the
//! services' own phrases around the address the client wants banned, and
//! every pair of them. Each filled line runs through the bundled filter;
//! no failure may name another address than the peer's.

use crate::injection::{FAKE, REAL, reported};

/// Text a client may send: pieces of the services' own messages around
/// the address it wants banned, and bytes that frame lines.
const FRAGMENTS: &[&str] = &[
    "{F}",
    " from {F}",
    " from {F} port 22",
    " from {F} port 22 ssh2",
    " from {F} port 22 ssh2:",
    ": from {F} port 1 ssh2",
    " {F} port 22 [preauth]",
    " rhost={F}",
    ">, method=PLAIN, rip={F}, lip=192.0.2.1",
    ",{F},<s>)",
    "unknown[{F}]: ",
    "[{F}]:25",
    " {F}]",
    " from [{F}",
    "\", client: {F}, server: s",
    "\": password mismatch, client: {F}, server: s, host: \"h",
    "::ffff:{F}",
    "\r",
    "\0",
    "\\n",
    " ",
    "'",
];

/// Lines with a `{U}` slot: (filter, options, line).
const TEMPLATES: &[(&str, &[&str], &str)] = &[
    (
        "sshd",
        &[],
        "sshd[{P}]: Invalid user {U} from {R} port 51514",
    ),
    (
        "sshd",
        &[],
        "sshd[{P}]: Failed password for invalid user {U} from {R} port 51514 ssh2",
    ),
    (
        "sshd",
        &[],
        "sshd[{P}]: Failed publickey for invalid user {U} from {R} port 51514 ssh2: RSA SHA256:Hq3b2tXbC2a9",
    ),
    (
        "sshd",
        &[],
        "sshd[{P}]: Failed password for invalid user x from {R} port 51514 ssh2: {U}",
    ),
    (
        "sshd",
        &[],
        "sshd[{P}]: error: maximum authentication attempts exceeded for invalid user {U} from {R} port 51514 ssh2 [preauth]",
    ),
    (
        "sshd",
        &["--mode", "aggressive"],
        "sshd[{P}]: Connection closed by invalid user {U} {R} port 51514 [preauth]",
    ),
    (
        "sshd",
        &["--mode", "aggressive"],
        "sshd[{P}]: Disconnected from invalid user {U} {R} port 51514 [preauth]",
    ),
    (
        "sshd",
        &[],
        "sshd[{P}]: Disconnecting invalid user {U} {R} port 51514: Change of username or service not allowed: ({U},ssh-connection) -> (root,ssh-connection) [preauth]",
    ),
    (
        "postfix",
        &["--mode", "aggressive"],
        "postfix/smtpd[{P}]: NOQUEUE: reject: RCPT from unknown[{R}]: 450 4.7.1 <{U}>: Helo command rejected: Host not found; from=<{U}> to=<{U}> proto=ESMTP helo=<{U}>",
    ),
    (
        "postfix",
        &["--mode", "aggressive"],
        "postfix/smtpd[{P}]: warning: unknown[{R}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username={U}",
    ),
    (
        "dovecot",
        &["--mode", "aggressive"],
        "dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{U}>, method=PLAIN, rip={R}, lip=192.0.2.1, TLS, session=<k3Y2bQZP5JDL>",
    ),
    (
        "dovecot",
        &[],
        "dovecot: auth-worker({P}): Info: pam({U},{R},<k3Y2bQZP5JDL>): pam_authenticate() failed: Authentication failure (password mismatch?)",
    ),
    (
        "dovecot",
        &[],
        "dovecot: auth-worker({P}): Info: sql({U},{R},<k3Y2bQZP5JDL>): unknown user",
    ),
    (
        "gitea",
        &[],
        "gitea[{P}]: 2026/11/20 03:14:07 ...routers/web/auth/auth.go:214:SignInPost() [I] Failed authentication attempt for {U} from {R}:51500: user does not exist [uid: 0, name: {U}, keyid: 0]",
    ),
    (
        "gitea",
        &[],
        "gitea[{P}]: 2026/11/20 03:14:07 ...routers/web/auth/auth.go:214:SignInPost() [I] Failed authentication attempt for {U} from {R}:51500: user's password is invalid",
    ),
];

/// nginx error log lines: the basic-auth user holds no ':' (nginx splits
/// the header there), the referrer anything.
const NGINX: &[(&str, &str)] = &[
    (
        "nginx-http-auth",
        "[error] 2865#0: *{P} user \"{U}\": password mismatch, client: {R}, server: www, request: \"GET / HTTP/1.1\", host: \"www\"",
    ),
    (
        "nginx-http-auth",
        "[error] 2865#0: *{P} user \"bob\" was not found in \"/etc/htpasswd\", client: {R}, server: www, request: \"GET / HTTP/1.1\", host: \"www\", referrer: \"{U}\"",
    ),
    (
        "nginx-limit-req",
        "[error] 2865#0: *{P} limiting requests, excess: 1.000 by zone \"one\", client: {R}, server: www, request: \"GET / HTTP/1.1\", host: \"www\", referrer: \"{U}\"",
    ),
];

/// Every fragment and every pair of fragments.
fn payloads() -> Vec<String> {
    let mut all: Vec<String> = FRAGMENTS.iter().map(|f| format!("x{f}")).collect();
    for a in FRAGMENTS {
        for b in FRAGMENTS {
            all.push(format!("{a}{b}"));
        }
    }
    all.into_iter().map(|p| p.replace("{F}", FAKE)).collect()
}

fn fill(template: &str, payload: &str, pid: usize) -> Vec<u8> {
    template
        .replace("{U}", payload)
        .replace("{R}", REAL)
        .replace("{P}", &pid.to_string())
        .into_bytes()
}

/// The hosts reported on `template` filled with every payload, each line
/// its own connection.
fn run(
    filter: &str,
    args: &[&str],
    prefix: &str,
    template: &str,
    payloads: &[String],
) -> Vec<String> {
    let lines: Vec<Vec<u8>> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| [prefix.as_bytes(), &fill(template, p, 10_000 + i)].concat())
        .collect();
    reported(filter, args, &lines, Some("2026-11-21T00:00:00+00:00"))
}

#[test]
fn no_payload_in_any_slot_names_another_address() {
    let payloads = payloads();
    let mut wrong = Vec::new();
    let mut caught = 0;
    for (filter, args, template) in TEMPLATES {
        let hosts = run(filter, args, "Nov 20 03:14:07 mail ", template, &payloads);
        caught += hosts.len();
        if hosts.iter().any(|h| h != REAL) {
            wrong.push(format!("{filter} {template}: {hosts:?}"));
        }
    }
    let clean: Vec<String> = payloads
        .iter()
        .filter(|p| !p.contains(':'))
        .cloned()
        .collect();
    for (filter, template) in NGINX {
        let user_slot = template.contains("user \"{U}\"");
        let pool = if user_slot { &clean } else { &payloads };
        let hosts = run(filter, &[], "2026/11/20 03:14:07 ", template, pool);
        caught += hosts.len();
        if hosts.iter().any(|h| h != REAL) {
            wrong.push(format!("{filter} {template}: {hosts:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The lines are real failures: most of them must still be caught.
    let lines = payloads.len() * TEMPLATES.len();
    assert!(caught > lines / 2, "only {caught} of {lines} lines caught");
}
