//! The integration test binary: real files, real kernel (in throwaway
//! network namespaces), the real `portcullis` binary.

mod common;
mod filters;
mod nft;
