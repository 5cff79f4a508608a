use super::*;
use regex::bytes::Regex;

fn groups(pattern: &str, line: &str) -> Vec<(String, String)> {
    let re = Regex::new(&expand(pattern).unwrap()).unwrap();
    let mut names = Names::default();
    let map = GroupMap::new(re.capture_names(), &mut names);
    let caps = re.captures(line.as_bytes()).expect("matches");
    map.iter()
        .filter_map(|(id, _, idx)| {
            let m = idx.iter().find_map(|&i| caps.get(i))?;
            Some((
                names.name(id).to_string(),
                String::from_utf8_lossy(m.as_bytes()).into(),
            ))
        })
        .collect()
}

fn host(pattern: &str, line: &str) -> (String, String) {
    groups(pattern, line)
        .into_iter()
        .find(|(n, _)| n == "ip4" || n == "ip6" || n == "dns")
        .unwrap()
}

#[test]
fn host_takes_ipv4_ipv6_bracketed_mapped_and_names() {
    let p = r"^from <HOST> port";
    assert_eq!(
        host(p, "from 192.0.2.1 port"),
        ("ip4".into(), "192.0.2.1".into())
    );
    assert_eq!(
        host(p, "from 2001:db8::1 port"),
        ("ip6".into(), "2001:db8::1".into())
    );
    assert_eq!(
        host(p, "from [2001:db8::1] port"),
        ("ip6".into(), "2001:db8::1".into())
    );
    assert_eq!(
        host(p, "from ::ffff:1.2.3.4 port"),
        ("ip4".into(), "1.2.3.4".into())
    );
    assert_eq!(
        host(p, "from example.com port"),
        ("dns".into(), "example.com".into())
    );
}

#[test]
fn addr_refuses_host_names() {
    let re = Regex::new(&expand(r"^from <ADDR>$").unwrap()).unwrap();
    assert!(re.is_match(b"from 198.51.100.7"));
    assert!(!re.is_match(b"from example.com"));
}

#[test]
fn named_captures_and_failure_id() {
    let g = groups(
        r"^user <F-USER>\S+</F-USER> id <F-ID>\w+</F-ID>$",
        "user root id abc",
    );
    assert_eq!(
        g,
        vec![("user".into(), "root".into()), ("fid".into(), "abc".into())]
    );
}

#[test]
fn repeated_tags_fold_to_the_participating_group() {
    let g = groups(r"^(?:a <HOST>|b <HOST>)$", "b 192.0.2.9");
    assert_eq!(g, vec![("ip4".into(), "192.0.2.9".into())]);
}

#[test]
fn literal_angle_brackets_and_regex_groups_pass_through() {
    let p = r"^for <invalid username> from (?P<x>\S+)$";
    assert_eq!(
        groups(p, "for <invalid username> from h"),
        vec![("x".into(), "h".into())]
    );
}

#[test]
fn a_tag_right_after_a_literal_angle_bracket_is_expanded() {
    let p = r"^user=<<F-USER>[^>]*</F-USER>>, rip=<HOST>$";
    assert_eq!(
        groups(p, "user=<bob>, rip=192.0.2.4"),
        vec![
            ("user".into(), "bob".into()),
            ("ip4".into(), "192.0.2.4".into())
        ]
    );
}

#[test]
fn skiplines_spans_lines() {
    let re = Regex::new(&expand(r"^a<SKIPLINES>c$").unwrap()).unwrap();
    assert!(re.is_match(b"a\nb\nc"));
}

#[test]
fn errors_name_the_tag() {
    assert_eq!(expand("<F-USER>x"), Err(TagError::Unclosed("USER".into())));
    assert_eq!(
        expand("x</F-USER>"),
        Err(TagError::Unopened("F-USER".into()))
    );
    assert_eq!(expand("<HOTS>"), Err(TagError::Unknown("HOTS".into())));
}

fn f2b_groups(pattern: &str, line: &str) -> Vec<(String, String)> {
    let re = Regex::new(&expand_in(pattern, Dialect::Fail2ban).unwrap()).unwrap();
    let caps = re.captures(line.as_bytes()).unwrap();
    re.capture_names()
        .flatten()
        .filter_map(|n| {
            Some((
                n.to_string(),
                String::from_utf8(caps.name(n)?.as_bytes().to_vec()).unwrap(),
            ))
        })
        .collect()
}

#[test]
fn fail2ban_self_closed_and_subnet_tags() {
    assert_eq!(
        f2b_groups("^<F-ID/> x", "abc x"),
        [("fid".to_string(), "abc".to_string())]
    );
    assert_eq!(
        f2b_groups("^<F-PORT/>$", "ssh"),
        [("port".to_string(), "ssh".to_string())]
    );
    assert_eq!(
        f2b_groups("^<F-IP4/>$", "192.0.2.1"),
        [("ip4".to_string(), "192.0.2.1".to_string())]
    );
    let subnet = f2b_groups("^<SUBNET>$", "192.0.2.0/24");
    assert!(
        subnet.contains(&("ip4".to_string(), "192.0.2.0".to_string())),
        "{subnet:?}"
    );
    assert!(
        subnet.contains(&("cidr".to_string(), "24".to_string())),
        "{subnet:?}"
    );
}

#[test]
fn fail2ban_ipv6_stops_before_a_port() {
    let got = f2b_groups(r"^<HOST>:\d+ x", "2001:db8::1234:58430 x");
    assert!(
        got.contains(&("ip6".to_string(), "2001:db8::1234".to_string())),
        "{got:?}"
    );
}

#[test]
fn fail2ban_leaves_unknown_tags_and_skiplines_as_fail2ban_does() {
    assert_eq!(
        expand_in("^<NOSRV> <HOST>", Dialect::Fail2ban)
            .unwrap()
            .starts_with("^<NOSRV> "),
        true
    );
    assert!(expand("^<NOSRV> <HOST>").is_err());
    let re = Regex::new(&expand_in("^a<SKIPLINES>b$", Dialect::Fail2ban).unwrap()).unwrap();
    assert!(re.is_match(b"a\nx\nb") && re.is_match(b"a\nb"));
    assert!(
        !re.is_match(b"a x\nb"),
        "fail2ban's <SKIPLINES> starts at a line break"
    );
}

#[test]
fn numbered_alternatives_fold_into_their_base_name() {
    let mut names = Names::default();
    let alt = names.intern("alt_user_2");
    assert_eq!(&**names.name(names.alt_base(alt).unwrap()), "user");
    let alt1 = names.intern("alt_user1");
    assert_eq!(&**names.name(names.alt_base(alt1).unwrap()), "user1");
}
