//! Log sources: files followed across rotations ([`tail`]), the set of
//! files a jail's patterns name ([`files`]) and the systemd journal
//! ([`journal`]). No actix here: the FilterActor drives the files from
//! inotify events, and a thread of its own reads each journal source.

pub mod files;
pub mod journal;
pub mod tail;
