//! sora-batch: turns folders of storyboard JSON files into finished videos through paid
//! video-generation APIs. The binary (main.rs) wires these modules together; data flows
//! config → storyboard → plan → (dry run) report, or → engine → provider.

pub mod app;
pub mod cli;
pub mod config;
pub mod download;
pub mod durable;
pub mod engine;
pub mod i18n;
pub mod journal;
pub mod keys;
pub mod lock;
pub mod plan;
pub mod pricing;
pub mod provider;
pub mod report;
pub mod review;
pub mod sidecar;
pub mod sim;
pub mod storyboard;
pub mod ui;

// The catalogs of `i18n`, read at compile time.
rust_i18n::i18n!("src/i18n/locales", fallback = "en");
