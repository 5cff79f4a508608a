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

/// The text of bundled filter `name`.
pub fn get(name: &str) -> Option<&'static str> {
    BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Names of the bundled filters (shared include files left out).
pub fn names() -> impl Iterator<Item = &'static str> {
    BUNDLED.iter().map(|(n, _)| *n).filter(|n| *n != "common")
}
