//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

/// The `portcullis` binary cargo built for this test run.
pub fn portcullis_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_portcullis"))
}
