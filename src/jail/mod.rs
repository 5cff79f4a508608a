//! Jails: failures in, ban requests out.

pub mod ignore;
pub mod window;
