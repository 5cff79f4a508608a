//! `<name>` substitution (placeholder).
