//! fail2ban's `[recidive]` jail, moved to portcullis's own ban log.
//!
//! fail2ban's recidive reads fail2ban's own log (`/var/log/fail2ban.log`),
//! which no longer grows once fail2ban is stopped. portcullis logs its
//! bans as `NOTICE [JAIL] Ban ADDR` too, and its bundled `recidive` filter
//! matches them, so the imported jail reads portcullis's journal unit.

use super::jail::ImportedJail;

/// Points `jail` at portcullis's journal with the bundled recidive filter.
pub fn adopt(jail: &mut ImportedJail) {
    jail.filter = "recidive".to_string();
    jail.filter_options.clear();
    jail.journals = vec![vec!["_SYSTEMD_UNIT=portcullis.service".to_string()]];
    jail.comments.extend([
        "fail2ban's recidive read fail2ban's own log (/var/log/fail2ban.log), which stops"
            .to_string(),
        "growing once fail2ban is gone: this one reads portcullis's ban lines from its".to_string(),
        "journal unit with the bundled recidive filter. Without systemd, log the daemon to"
            .to_string(),
        "a file and use: source \"/var/log/portcullis.log\"".to_string(),
    ]);
}
