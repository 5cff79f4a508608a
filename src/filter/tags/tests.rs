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
