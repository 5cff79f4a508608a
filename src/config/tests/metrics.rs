//! The `metrics` node.

use super::*;

#[test]
fn metrics_on_loopback_or_with_allow_remote() {
    let jail = "jail \"a\" { source \"/l\" }\n";
    assert_eq!(parse(jail).unwrap().metrics, None);
    let m = parse(&format!("metrics \"127.0.0.1:9617\"\n{jail}"))
        .unwrap()
        .metrics
        .unwrap();
    assert_eq!(m.listen, "127.0.0.1:9617".parse().unwrap());
    assert!(!m.allow_remote);
    let m = parse(&format!("metrics \"[::1]:0\"\n{jail}"))
        .unwrap()
        .metrics;
    assert_eq!(m.unwrap().listen.port(), 0);
    let m = parse(&format!(
        "metrics \"0.0.0.0:9617\" allow-remote=#true\n{jail}"
    ))
    .unwrap()
    .metrics
    .unwrap();
    assert!(m.allow_remote);
}

#[test]
fn metrics_refuses_remote_addresses_and_bad_values() {
    assert_eq!(
        errors(
            "jail \"a\" { source \"/l\" }\nmetrics \"0.0.0.0:9617\"\nmetrics \"192.0.2.1:9617\" allow-remote=#false\nmetrics \"localhost\"\nmetrics \"127.0.0.1:1\" public=#true\n"
        ),
        vec![
            "2:9 `metrics`: 0.0.0.0:9617 is not a loopback address; the metrics page has no authentication",
            "3:9 `metrics`: 192.0.2.1:9617 is not a loopback address; the metrics page has no authentication",
            "4:9 `metrics`: \"localhost\" is not an address and port such as \"127.0.0.1:9617\" or \"[::1]:9617\"",
            "5:23 `metrics` takes no property public",
        ]
    );
}
