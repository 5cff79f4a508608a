//! The database actor and its LMDB store.

pub mod store;
