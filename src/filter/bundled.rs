//! The filters shipped in `kdl-config/filters/`, compiled into the binary
//! so that `portcullis test-filter sshd` works from anywhere.

/// (name, KDL text) of every bundled filter file, shared includes too.
const BUNDLED: &[(&str, &str)] = &[
    (
        "common",
        include_str!("../../kdl-config/filters/common.kdl"),
    ),
    ("sshd", include_str!("../../kdl-config/filters/sshd.kdl")),
    (
        "nginx-common",
        include_str!("../../kdl-config/filters/nginx-common.kdl"),
    ),
    (
        "nginx-http-auth",
        include_str!("../../kdl-config/filters/nginx-http-auth.kdl"),
    ),
    (
        "nginx-limit-req",
        include_str!("../../kdl-config/filters/nginx-limit-req.kdl"),
    ),
    (
        "nginx-botsearch",
        include_str!("../../kdl-config/filters/nginx-botsearch.kdl"),
    ),
    (
        "apache-auth",
        include_str!("../../kdl-config/filters/apache-auth.kdl"),
    ),
    (
        "dovecot",
        include_str!("../../kdl-config/filters/dovecot.kdl"),
    ),
    (
        "postfix",
        include_str!("../../kdl-config/filters/postfix.kdl"),
    ),
    ("exim", include_str!("../../kdl-config/filters/exim.kdl")),
    (
        "asterisk",
        include_str!("../../kdl-config/filters/asterisk.kdl"),
    ),
    (
        "sendmail-reject",
        include_str!("../../kdl-config/filters/sendmail-reject.kdl"),
    ),
    (
        "mysqld-auth",
        include_str!("../../kdl-config/filters/mysqld-auth.kdl"),
    ),
    ("gitea", include_str!("../../kdl-config/filters/gitea.kdl")),
    (
        "vaultwarden",
        include_str!("../../kdl-config/filters/vaultwarden.kdl"),
    ),
    (
        "bitwarden",
        include_str!("../../kdl-config/filters/bitwarden.kdl"),
    ),
    (
        "traefik-auth",
        include_str!("../../kdl-config/filters/traefik-auth.kdl"),
    ),
    (
        "haproxy-http-auth",
        include_str!("../../kdl-config/filters/haproxy-http-auth.kdl"),
    ),
    (
        "pam-generic",
        include_str!("../../kdl-config/filters/pam-generic.kdl"),
    ),
    (
        "recidive",
        include_str!("../../kdl-config/filters/recidive.kdl"),
    ),
    (
        "vsftpd",
        include_str!("../../kdl-config/filters/vsftpd.kdl"),
    ),
    (
        "proftpd",
        include_str!("../../kdl-config/filters/proftpd.kdl"),
    ),
    (
        "courier-auth",
        include_str!("../../kdl-config/filters/courier-auth.kdl"),
    ),
    (
        "named-refused",
        include_str!("../../kdl-config/filters/named-refused.kdl"),
    ),
];

/// Files that only exist to be included by others; not filters themselves.
const INCLUDES: &[&str] = &["common", "nginx-common"];

/// The text of bundled filter `name`.
pub fn get(name: &str) -> Option<&'static str> {
    BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Names of the bundled filters (shared include files left out).
pub fn names() -> impl Iterator<Item = &'static str> {
    BUNDLED
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !INCLUDES.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::compile::{CompiledFilter, FilterOptions};
    use crate::filter::definition;

    /// Every bundled filter loads and compiles for every value of every
    /// parameter it declares.
    #[test]
    fn every_bundled_filter_compiles_in_every_setting() {
        for name in names() {
            let def = definition::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            for param in &def.params {
                for value in &param.choices {
                    let options = FilterOptions {
                        set: vec![(param.name.clone(), value.clone())],
                        ..FilterOptions::default()
                    };
                    if let Err(e) = CompiledFilter::new(&def, &options) {
                        panic!("{name} with {}={value}: {e:?}", param.name);
                    }
                }
            }
        }
    }
}
