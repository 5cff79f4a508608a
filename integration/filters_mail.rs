//! The bundled filters of mail servers on their sample logs (see
//! `filters`): Dovecot, Postfix, Exim, Sendmail, Courier.

use crate::filters::{expect, failures, users};

#[test]
fn dovecot_sample() {
    assert_eq!(
        failures("dovecot", &[]),
        expect(&[
            (1, "203.0.113.51"),
            (2, "203.0.113.52"),
            (5, "2001:db8::55"),
            (6, "192.0.2.56"),
            (7, "192.0.2.57"),
        ])
    );
    assert_eq!(
        users("dovecot", &[]),
        [
            "sales@example.org",
            "info@example.org",
            "carol",
            "dave",
            "erin"
        ]
        .map(String::from)
    );
    let aggressive = failures("dovecot", &["--mode", "aggressive"]);
    assert!(
        aggressive.contains(&(4, "198.51.100.54".to_string())),
        "{aggressive:?}"
    );
}

#[test]
fn postfix_sample() {
    assert_eq!(
        failures("postfix", &[]),
        expect(&[(1, "203.0.113.61"), (4, "2001:db8::64"), (8, "192.0.2.68")])
    );
    // SASL failures, but not the lost connection to the auth server.
    assert_eq!(
        failures("postfix", &["--mode", "auth"]),
        expect(&[(3, "203.0.113.63"), (7, "192.0.2.67")])
    );
    assert_eq!(users("postfix", &["--mode", "auth"])[1], "info@example.org");
    assert_eq!(
        failures("postfix", &["--mode", "errors"]),
        expect(&[(8, "192.0.2.68")])
    );
    // Line 10's client had no address ("unknown[unknown]"): nothing to ban.
    assert_eq!(
        failures("postfix", &["--mode", "ddos"]),
        expect(&[(6, "192.0.2.66")])
    );
}

#[test]
fn exim_sample() {
    // Line 3 is a delivery, line 8 a temporary failure of the server.
    assert_eq!(
        failures("exim", &[]),
        expect(&[
            (1, "203.0.113.81"),
            (2, "198.51.100.82"),
            (4, "203.0.113.84"),
            (5, "2001:db8::85"),
            (6, "192.0.2.86"),
            (7, "192.0.2.87"),
        ])
    );
    assert_eq!(users("exim", &[])[0], "admin@example.org");
    let aggressive = failures("exim", &["--mode", "aggressive"]);
    assert!(
        aggressive.contains(&(9, "192.0.2.89".to_string())),
        "{aggressive:?}"
    );
}

#[test]
fn sendmail_reject_sample() {
    // Line 7's unknown user names no client: the failure is reported on
    // line 8, the same connection's from= line.
    assert_eq!(
        failures("sendmail-reject", &[]),
        expect(&[
            (1, "203.0.113.101"),
            (2, "198.51.100.102"),
            (6, "192.0.2.106"),
            (8, "192.0.2.107"),
        ])
    );
    let extra = failures("sendmail-reject", &["--mode", "extra"]);
    assert!(extra.contains(&(4, "192.0.2.104".to_string())), "{extra:?}");
    assert!(
        extra.contains(&(5, "2001:db8::105".to_string())),
        "{extra:?}"
    );
}

#[test]
fn courier_auth_sample() {
    assert_eq!(
        failures("courier-auth", &[]),
        expect(&[
            (1, "203.0.113.81"),
            (2, "198.51.100.82"),
            (4, "203.0.113.84")
        ])
    );
}
