use super::*;
use crate::filter::tags::Names;

/// Builds lines as the matcher does: one haystack, spans into it.
struct Line {
    hay: String,
    spans: Vec<Span>,
    nofail: bool,
    gained: bool,
    forget: bool,
}

impl Line {
    fn new(user: &str, ip4: &str) -> Line {
        let mut line = Line {
            hay: String::new(),
            spans: Vec::new(),
            nofail: false,
            gained: false,
            forget: false,
        };
        let mut names = Names::default();
        for (name, value) in [("user", user), ("ip4", ip4)] {
            let id = names.intern(name);
            if !value.is_empty() {
                let start = line.hay.len();
                line.hay.push_str(value);
                line.spans.push((id, Role::of(name), start..line.hay.len()));
            }
        }
        line
    }

    fn get(&self) -> LineMatch<'_> {
        let mut m = LineMatch::new(self.hay.as_bytes(), &self.spans);
        (m.nofail, m.gained, m.forget) = (self.nofail, self.gained, self.forget);
        m
    }
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap()
}

fn feed(ml: &mut MultiLine, l: &Line) -> Record {
    ml.merge(b"sshd[1]", &l.get(), t(0)).clone()
}

#[test]
fn failures_on_one_connection_count_attempts_and_users() {
    let mut ml = MultiLine::default();
    let first = feed(&mut ml, &Line::new("root", "192.0.2.1"));
    assert_eq!(
        (first.matches, first.users.clone()),
        (1, vec!["root".to_string()])
    );
    let second = feed(&mut ml, &Line::new("sudoer", ""));
    assert_eq!(second.matches, 1, "a reported failure starts a new count");
    assert_eq!(second.users, vec!["root".to_string(), "sudoer".to_string()]);
    assert_eq!(
        second.get(Role::Ip4),
        Some("192.0.2.1"),
        "the address is remembered"
    );
}

#[test]
fn nofail_lines_count_once_a_failure_comes() {
    let mut ml = MultiLine::default();
    for _ in 0..2 {
        let mut l = Line::new("git", "192.0.2.111");
        l.nofail = true;
        assert!(feed(&mut ml, &l).nofail);
    }
    let fail = feed(&mut ml, &Line::new("git", ""));
    assert!(!fail.nofail);
    assert_eq!(fail.matches, 3);
}

#[test]
fn forget_drops_the_connection() {
    let mut ml = MultiLine::default();
    feed(&mut ml, &Line::new("", "192.0.2.5"));
    let mut bye = Line::new("", "");
    bye.forget = true;
    let last = feed(&mut ml, &bye);
    assert_eq!(
        last.get(Role::Ip4),
        Some("192.0.2.5"),
        "the last line still sees the record"
    );
    assert!(ml.is_empty());
}

#[test]
fn gained_access_forgives_one_user_but_not_several() {
    let mut ml = MultiLine::default();
    let mut held = Line::new("rda", "192.0.2.113");
    held.nofail = true;
    feed(&mut ml, &held);
    let mut ok = Line::new("rda", "");
    ok.gained = true;
    assert!(feed(&mut ml, &ok).nofail, "same user logged in: no failure");

    let mut ml = MultiLine::default();
    let mut held = Line::new("root", "192.0.2.116");
    held.nofail = true;
    feed(&mut ml, &held);
    feed(&mut ml, &held);
    let mut ok = Line::new("known", "");
    ok.gained = true;
    let record = feed(&mut ml, &ok);
    assert!(!record.nofail, "another user logged in: still a failure");
    assert_eq!(record.matches, 3);
}

#[test]
fn a_new_connection_starts_clean_in_a_reused_record() {
    let mut ml = MultiLine::default();
    let mut bye = Line::new("root", "192.0.2.5");
    bye.forget = true;
    feed(&mut ml, &Line::new("admin", "192.0.2.4"));
    feed(&mut ml, &bye);
    let fresh = ml.merge(b"sshd[2]", &Line::new("", "").get(), t(0)).clone();
    assert_eq!((fresh.get(Role::Ip4), fresh.users.len()), (None, 0));
    let next = ml
        .merge(b"sshd[3]", &Line::new("git", "").get(), t(0))
        .clone();
    assert_eq!(next.get(Role::Ip4), None);
    assert_eq!(next.users, vec!["git".to_string()]);
    assert_eq!(ml.len(), 2);
}

#[test]
fn idle_connections_are_swept_before_the_table_is_full() {
    let mut ml = MultiLine::default();
    let line = Line::new("root", "192.0.2.1");
    let idle = MAX_IDLE.as_secs();
    for i in 0..(FIRST_SWEEP as i64 * 4) {
        ml.merge(
            format!("sshd[{i}]").as_bytes(),
            &line.get(),
            t(i * idle / 64),
        );
    }
    assert!(ml.len() <= 2 * 64 + FIRST_SWEEP, "{} records", ml.len());
    let again = Line::new("admin", "192.0.2.1");
    let record = ml.merge(b"sshd[5]", &again.get(), t(0)).clone();
    assert_eq!(
        record.users,
        vec!["admin".to_string()],
        "swept: a new record"
    );
}

#[test]
fn the_table_is_bounded() {
    let mut ml = MultiLine::default();
    let line = Line::new("", "192.0.2.1");
    for i in 0..(MAX_CONNECTIONS as i64 * 3) {
        ml.merge(format!("sshd[{i}]").as_bytes(), &line.get(), t(i));
    }
    assert!(ml.len() <= MAX_CONNECTIONS);
}
