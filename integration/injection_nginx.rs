//! Log injection through a real nginx (Debian's package, unpacked by
//! `integration/nginx-package`, run in a network namespace): requests whose
//! basic-auth user name, referrer and path carry another address (and, in
//! the user name, a newline and a whole forged access-log line, which
//! nginx writes to its error log as they came). The bundled nginx filters
//! on the logs nginx wrote report the client, 127.0.0.1, and nothing else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::{NetNs, poll_until, skip};
use crate::daemon_common::DEADLINE;
use crate::injection::{FAKE, reported};

/// The client: every request comes from the namespace's loopback.
const CLIENT: &str = "127.0.0.1";

/// The unpacked nginx package, or `None` after saying why the test skips
/// (a missing package fails under CI).
fn nginx_root(test: &str) -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("integration/nginx-package");
    let out = Command::new(script)
        .output()
        .expect("run integration/nginx-package");
    let root = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if out.status.success() && root.join("usr/sbin/nginx").exists() {
        return Some(root);
    }
    let why = format!(
        "SKIP {test}: nginx's package could not be unpacked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::env::var_os("CI").is_none(), "{why}");
    skip(&why);
    None
}

/// nginx in the foreground, killed on drop.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\nerror_log {d}/error.log info;\npid {d}/nginx.pid;\n\
         events {{}}\nhttp {{\n  access_log {d}/access.log;\n\
         client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};\n\
         uwsgi_temp_path {d}; scgi_temp_path {d};\n\
         server {{\n    listen 127.0.0.1:18080;\n    root {d}/www;\n\
         location / {{ auth_basic \"private\"; auth_basic_user_file {d}/htpasswd; }}\n\
         location /pma/ {{ }}\n  }}\n}}\n"
    )
}

/// One request; returns the status line.
fn request(path: &str, headers: &[(&str, String)]) -> String {
    let mut s = TcpStream::connect("127.0.0.1:18080").expect("connect to nginx");
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: www.example.org\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply.lines().next().unwrap_or_default().to_string()
}

/// `Basic base64(user:password)` (RFC 4648 alphabet, padded).
fn basic(user: &str, password: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{password}").into_bytes();
    let mut token = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            token.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    format!("Basic {token}")
}

/// The attacks, sent from inside the namespace.
fn attack() -> Vec<String> {
    let forged = format!("\n{FAKE} - x [] \"GET /pma/ HTTP/1.1\" 404 1 ");
    let referrer = format!("x\": password mismatch, client: {FAKE}, server: s, host: \"h");
    let path = format!(
        "/pma/x%22%20failed%20(2:%20No%20such%20file%20or%20directory),%20client:%20{FAKE},%20server:%20s,%20request:%20%22GET%20/pma/%20HTTP/1.1%22"
    );
    vec![
        request("/", &[("Authorization", basic(&forged, "pw"))]),
        request(
            "/",
            &[
                ("Authorization", basic("bob", "wrong")),
                ("Referer", referrer.clone()),
            ],
        ),
        request(
            "/",
            &[("Authorization", basic(&format!("{FAKE} bob"), "pw"))],
        ),
        request(
            &path,
            &[
                ("Referer", referrer),
                ("User-Agent", format!("{FAKE}\" \"x")),
            ],
        ),
    ]
}

#[test]
fn nginx_logs_with_injected_addresses_name_only_the_client() {
    let test = "nginx_logs_with_injected_addresses";
    let Some(root) = nginx_root(test) else {
        return;
    };
    let Some(ns) = NetNs::new(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("www")).unwrap();
    std::fs::write(dir.path().join("htpasswd"), "bob:{PLAIN}secret\n").unwrap();
    std::fs::write(dir.path().join("nginx.conf"), config(dir.path())).unwrap();
    let _nginx = Nginx(
        Command::new("ip")
            .args(["netns", "exec", &ns.name])
            .arg(root.join("usr/sbin/nginx"))
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx"),
    );
    let statuses = ns.run(|| {
        poll_until(DEADLINE, || TcpStream::connect("127.0.0.1:18080").ok()).expect("nginx listens");
        attack()
    });
    assert!(statuses[0].contains(" 401 "), "{statuses:?}");
    assert!(statuses[3].contains(" 404 "), "{statuses:?}");

    let lines = |name: &str| -> Vec<Vec<u8>> {
        let text = std::fs::read(dir.path().join(name)).unwrap();
        text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
    };
    let (error, access) = (lines("error.log"), lines("access.log"));
    // nginx wrote the user name's newline as it came: the forged line is there.
    let forged = format!("{FAKE} - x [] ");
    assert!(
        error.iter().any(|l| l.starts_with(forged.as_bytes())),
        "nginx escaped the newline; the forged line is not in error.log"
    );
    for (filter, log, caught) in [
        ("nginx-http-auth", &error, true),
        // The only 404 of the error log has a quote in its path: a line
        // that could read two ways, not matched.
        ("nginx-botsearch", &error, false),
        ("nginx-botsearch", &access, true),
    ] {
        let hosts = reported(filter, &[], log, None);
        let shown = || String::from_utf8_lossy(&log.join(&b'\n')).into_owned();
        assert!(
            hosts.iter().all(|h| h == CLIENT),
            "{filter} reported {hosts:?} on:\n{}",
            shown()
        );
        assert!(
            !caught || !hosts.is_empty(),
            "{filter}: {CLIENT} not reported on:\n{}",
            shown()
        );
    }
}
