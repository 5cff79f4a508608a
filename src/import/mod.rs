//! `portcullis import-fail2ban`: a fail2ban installation's jails
//! (jail.conf, jail.d, jail.local, read as fail2ban's `JailsReader` reads
//! them, see [`jail`]) as one portcullis KDL configuration ([`to_kdl`]).
//!
//! Built on [`crate::fail2ban`] (the INI reader, interpolation, filter
//! files) and written in [`crate::config`]'s terms: fail2ban's value
//! syntaxes ([`values`]), its actions ([`action`]) and its `[recidive]`
//! jail ([`recidive`]) map onto our settings; what has no counterpart
//! becomes a note. No actix in here.

pub mod action;
pub mod jail;
mod jail_settings;
pub mod recidive;
pub mod to_kdl;
pub mod values;
