//! fail2ban filter files (placeholder).
/// A fail2ban filter file read for given options.
pub struct Fail2banFilter;
