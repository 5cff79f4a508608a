//! The observer: ban times from history.

pub mod bantime;
