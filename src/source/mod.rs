//! Log sources: files followed across rotations ([`tail`]) and the set of
//! files a jail's patterns name ([`files`]). No actix here: the
//! FilterActor drives them from inotify events.

pub mod files;
pub mod tail;
