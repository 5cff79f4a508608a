//! The filters shipped in `kdl-config/filters/`, compiled into the binary
//! so that `portcullis test-filter sshd` works from anywhere.

/// (name, KDL text) of every bundled filter file, shared includes too.
const BUNDLED: &[(&str, &str)] = &[
    (
        "common",
        include_str!("../../kdl-config/filters/common.kdl"),
    ),
    ("sshd", include_str!("../../kdl-config/filters/sshd.kdl")),
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
