//! The [`Banner`]'s prolong rule at fixed times: a re-ban never shortens a
//! running ban unless it replaces it (`ban --replace`).

use super::tests::{HOUR, MIN, T0, ban, banner, manual, nft_ban, replacing, ticket};
use crate::time::BanTime;
use std::time::Duration;

#[test]
fn a_re_ban_prolongs_never_shortens_unless_it_replaces() {
    let (mut b, _) = banner();
    let addr = "192.0.2.9";
    ban(
        &mut b,
        vec![ticket("sshd", addr, BanTime::For(MIN), None)],
        T0,
    );
    // Prolonged: an hour from the re-ban, not from the first ban.
    let later = T0.after(Duration::from_secs(30));
    ban(
        &mut b,
        vec![ticket("sshd", addr, BanTime::For(HOUR), None)],
        later,
    );
    let at = T0.after(MIN);
    let left = HOUR - Duration::from_secs(30);
    assert_eq!(b.rebuild_bans(&[], at), [nft_ban("sshd", addr, Some(left))]);
    assert!(b.expire(at).notices.is_empty());
    // Not shortened: a shorter re-ban leaves the ban as it is.
    let shorter = ticket("sshd", addr, BanTime::For(MIN), None);
    assert_eq!(b.plan(vec![shorter], at), None);
    let permanent = manual("sshd", addr, BanTime::Permanent);
    ban(&mut b, vec![permanent.clone()], at);
    assert_eq!(b.rebuild_bans(&[], at), [nft_ban("sshd", addr, None)]);
    assert_eq!(b.plan(vec![permanent], at), None, "nothing outlasts it");
    // Shortened on purpose (`ban --replace`): a minute from this re-ban.
    ban(&mut b, vec![replacing("sshd", addr, BanTime::For(MIN))], at);
    let expired = b.expire(at.after(MIN));
    assert_eq!(expired.notices, ["[sshd] Unban 192.0.2.9"]);
    assert!(b.rebuild_bans(&[], at.after(MIN)).is_empty());
}
