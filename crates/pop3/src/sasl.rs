//! The pluggable SASL step interface the client machine drives during `AUTH` (RFC 5034).
//!
//! The machine handles the POP3 side (the `AUTH` line, base64, `+ ` continuations, `*` to
//! cancel); a [`SaslMechanism`] only turns each decoded challenge into a response.

use mailwire_core::Secret;

use crate::types::Word;

/// A SASL mechanism failed to compute a response; the machine cancels the exchange with `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The server's challenge is not what the mechanism expects.
    #[error("unexpected challenge")]
    UnexpectedChallenge,
    /// The server's final message does not prove that it knows the credentials.
    #[error("server verification failed")]
    Verification,
}

/// The client side of one SASL mechanism: challenge bytes in, response bytes out.
pub trait SaslMechanism: Send {
    /// The mechanism name as announced in `CAPA` (`PLAIN`, `SCRAM-SHA-256`, ...).
    fn name(&self) -> Word;

    /// The initial response sent on the `AUTH` line (RFC 4422 client-first mechanisms), if
    /// the mechanism has one. Called once, before any challenge.
    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>>;

    /// Answers one decoded server challenge.
    fn step(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError>;
}

/// The `PLAIN` mechanism (RFC 4616): `authzid NUL authcid NUL password`, sent as the initial
/// response.
#[derive(Debug, Clone)]
pub struct Plain {
    message: Secret<Vec<u8>>,
    sent: bool,
}

impl Plain {
    /// `PLAIN` for `user` with `password`, no separate authorization identity.
    pub fn new(user: &str, password: &Secret<String>) -> Self {
        let mut m = Vec::with_capacity(user.len() + password.expose().len() + 2);
        m.push(0);
        m.extend_from_slice(user.as_bytes());
        m.push(0);
        m.extend_from_slice(password.expose().as_bytes());
        Self { message: Secret::new(m), sent: false }
    }
}

impl SaslMechanism for Plain {
    fn name(&self) -> Word {
        Word::from_static("PLAIN")
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        self.sent = true;
        Some(self.message.clone())
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        if self.sent || !challenge.is_empty() {
            return Err(SaslError::UnexpectedChallenge);
        }
        self.sent = true;
        Ok(self.message.clone())
    }
}
