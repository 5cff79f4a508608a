use std::time::Duration;

use super::*;

fn secs(n: u64) -> Result<BanTime, String> {
    Ok(BanTime::For(Duration::from_secs(n)))
}

#[test]
fn times_take_fail2ban_abbreviations_and_combinations() {
    assert_eq!(parse_time("600"), secs(600));
    assert_eq!(parse_time("10m"), secs(600));
    assert_eq!(parse_time("1h 30m"), secs(5400));
    assert_eq!(parse_time("1d3h"), secs(97_200));
    assert_eq!(parse_time("1.5h"), secs(5400));
    assert_eq!(parse_time("2 weeks"), secs(1_209_600));
    assert_eq!(parse_time("1w"), secs(604_800));
    assert_eq!(parse_time("1mo"), secs(2_629_800));
    assert_eq!(parse_time("1y"), secs(31_557_600));
    assert_eq!(parse_time("30S"), secs(30));
    assert_eq!(parse_time("-1"), Ok(BanTime::Permanent));
    assert_eq!(
        parse_time("soon"),
        Err("\"soon\" is not a fail2ban time (examples: 600, 10m, 1h 30m, 1w, -1)".into())
    );
    assert!(parse_time("10 fortnights").is_err());
    assert!(parse_time("").is_err());
}

#[test]
fn booleans() {
    assert_eq!(parse_bool("true"), Some(true));
    assert_eq!(parse_bool(" Yes "), Some(true));
    assert_eq!(parse_bool("off"), Some(false));
    assert_eq!(parse_bool("0"), Some(false));
    assert_eq!(parse_bool("maybe"), None);
}

#[test]
fn specs_with_options_quoted_and_not() {
    let s = parse_spec(r#"sshd[mode=aggressive, port=22]"#).unwrap();
    assert_eq!(s.name, "sshd");
    assert_eq!(
        s.options,
        vec![
            ("mode".into(), "aggressive".into()),
            ("port".into(), "22".into())
        ]
    );
    let s = parse_spec(r#"x[a="v, 2", b='w]'][b=3]"#).unwrap();
    assert_eq!(s.option("a"), Some("v, 2"));
    assert_eq!(s.option("b"), Some("3"));
    let s = parse_spec(r#"iptables-multiport[port="ssh", chain="<known/chain>"]"#).unwrap();
    assert_eq!(s.option("chain"), Some("<known/chain>"));
    assert_eq!(parse_spec("recidive").unwrap().options, vec![]);
    assert_eq!(
        parse_spec("sshd[mode=x").unwrap_err(),
        "\"sshd[mode=x\": a missing `]`"
    );
    assert_eq!(
        parse_spec("[a=b]").unwrap_err(),
        "\"[a=b]\" does not start with a name"
    );
}

#[test]
fn action_lists_split_outside_brackets() {
    let text = "iptables-multiport[port=\"ssh\", protocol=\"tcp\"]\n   sendmail-whois-lines[dest=\"a b\", logpath=\"/x\"]\n  abuseipdb";
    assert_eq!(
        split_specs(text),
        vec![
            "iptables-multiport[port=\"ssh\", protocol=\"tcp\"]",
            "sendmail-whois-lines[dest=\"a b\", logpath=\"/x\"]",
            "abuseipdb",
        ]
    );
    assert_eq!(split_specs("a [x=1]  b"), vec!["a[x=1]", "b"]);
}

#[test]
fn ports_by_number_range_and_service() {
    let services =
        Services::parse("ssh 22/tcp\nhttp 80/tcp www # web\nhttps 443/tcp\nhttps 443/udp\n");
    let r = |a, b| PortRange { first: a, last: b };
    assert_eq!(
        resolve_ports("ssh,2222", &services),
        (Some(vec![r(22, 22), r(2222, 2222)]), vec![])
    );
    assert_eq!(
        resolve_ports("www, https 8000:8100", &services),
        (Some(vec![r(80, 80), r(443, 443), r(8000, 8100)]), vec![])
    );
    assert_eq!(resolve_ports("0:65535", &services), (None, vec![]));
    assert_eq!(resolve_ports("all", &services), (None, vec![]));
    assert_eq!(
        resolve_ports("ssh,gopherish", &services),
        (Some(vec![r(22, 22)]), vec!["gopherish".to_string()])
    );
}
