//! The environment of the interop tests: real Postfix and Dovecot started on loopback by
//! `scripts/interop/start.sh`, which writes their ports, users and CA into an env file.

use std::collections::HashMap;
use std::path::PathBuf;

/// The running interop servers, as described by `target/interop/env` (or the file named by
/// `MAILWIRE_INTEROP_ENV`).
#[derive(Debug, Clone)]
pub struct InteropEnv {
    vars: HashMap<String, String>,
}

impl InteropEnv {
    /// Loads the environment. When the servers are not running, prints the reason and returns
    /// `None` so the calling test can return early: a plain `cargo test` works anywhere.
    ///
    /// # Panics
    ///
    /// When `MAILWIRE_INTEROP_REQUIRED=1` (set by `.ci/run`) and the environment is missing:
    /// in CI a skipped interop test is a failure.
    #[allow(clippy::disallowed_methods, reason = "the test harness reads the env file")]
    pub fn load(test: &str) -> Option<Self> {
        let path = std::env::var_os("MAILWIRE_INTEROP_ENV").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/interop/env"),
            PathBuf::from,
        );
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                let reason = format!(
                    "{test}: skipped: no interop servers ({}: {e}); run scripts/interop/start.sh",
                    path.display()
                );
                assert!(
                    std::env::var("MAILWIRE_INTEROP_REQUIRED").as_deref() != Ok("1"),
                    "{reason}, but MAILWIRE_INTEROP_REQUIRED=1"
                );
                #[allow(clippy::print_stderr, reason = "a skip must say why")]
                {
                    eprintln!("{reason}");
                }
                return None;
            }
        };
        let vars = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Some(Self { vars })
    }

    /// A variable of the env file, without its `MAILWIRE_INTEROP_` prefix (`"SMTP_PORT"`).
    ///
    /// # Panics
    ///
    /// If the variable is missing (the env file and this harness disagree).
    pub fn get(&self, name: &str) -> &str {
        let key = format!("MAILWIRE_INTEROP_{name}");
        #[allow(clippy::panic, reason = "a broken env file fails the test")]
        self.vars
            .get(&key)
            .map_or_else(|| panic!("{key} missing from the interop env"), String::as_str)
    }

    /// `host:port` of a named port (`"SUBMISSION"`, `"SMTPS"`, `"POP3"`, `"POP3S"`, ...).
    pub fn addr(&self, port: &str) -> String {
        format!("{}:{}", self.get("HOST"), self.get(&format!("{port}_PORT")))
    }
}
