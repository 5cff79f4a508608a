//! The integration test binary: real files, real kernel (in throwaway
//! network namespaces), the real `portcullis` binary.

mod actions_repair;
mod cli_pipe;
mod common;
mod daemon;
mod daemon_cli;
mod daemon_common;
mod daemon_files;
mod daemon_heal;
mod daemon_hostaddr;
mod daemon_journal;
mod daemon_metrics;
mod daemon_notify;
mod daemon_recidive;
mod fail2ban_filters;
mod filters;
mod filters_forms;
mod injection;
mod injection_daemon;
mod injection_nginx;
mod injection_slots;
mod injection_tables;
mod nft;
mod nft_cli;
mod nft_dump;
mod nft_monitor;
mod nft_traffic;
mod test_filter;
