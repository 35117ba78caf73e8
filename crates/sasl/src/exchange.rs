//! Exchanges: a mechanism plus the wire rules every protocol shares (base64 lines, `=`, `*`,
//! the initial-response line-length decision, and where the server's final data goes).
//!
//! A protocol crate frames the lines (`334 ...` / `+ ...` / `+ ...`) and hands their text to
//! these types; they give back the text of the next line to send.

use mailwire_core::Secret;

use crate::client::{ClientMechanism, ClientStep};
use crate::oauth::OAuthError;
use crate::server::{Authenticated, ServerFailure, ServerMechanism, ServerStep};
use crate::wire::{
    ResponseLine, decode_base64, decode_initial_response, decode_response_line, encode_base64,
    encode_initial_response, fits_initial_response,
};
use crate::{Mechanism, SaslError};

/// The longest challenge or response line accepted by default: 12288 octets, the AUTH line
/// length RFC 4954 section 4 asks servers to accept.
pub const DEFAULT_MAX_LINE: usize = 12_288;

/// What the client sends in reply to a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// Send this line (base64, without CRLF).
    Send(Secret<String>),
    /// The server reported an error (XOAUTH2, OAUTHBEARER): send `line` (no credential in it)
    /// so the server can end the exchange; it will then report failure.
    ServerError {
        /// The acknowledgement line to send (base64, without CRLF).
        line: String,
        /// What the server said, for the user.
        error: OAuthError,
    },
}

/// The client side of one exchange, speaking base64 lines.
///
/// ```
/// use mailwire_core::Secret;
/// use mailwire_sasl::{ClientExchange, PlainClient};
///
/// let plain = PlainClient::new("", "tim", Secret::new("tanstaaftanstaaf".into())).unwrap();
/// let mut exchange = ClientExchange::new(Box::new(plain));
/// let ir = exchange.initial_response("AUTH PLAIN ".len(), 512, true).unwrap();
/// assert_eq!(ir.expose(), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
/// exchange.success(None).unwrap();
/// ```
#[derive(Debug)]
pub struct ClientExchange {
    mechanism: Box<dyn ClientMechanism>,
    deferred: Option<Secret<Vec<u8>>>,
    started: bool,
    max_line: usize,
}

impl ClientExchange {
    /// An exchange driving `mechanism`.
    pub fn new(mechanism: Box<dyn ClientMechanism>) -> Self {
        Self { mechanism, deferred: None, started: false, max_line: DEFAULT_MAX_LINE }
    }

    /// Sets the longest challenge line accepted (default [`DEFAULT_MAX_LINE`]).
    #[must_use]
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// The mechanism's name, for the command.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism.mechanism()
    }

    /// Call once, before sending the command. Returns the initial-response argument to put on
    /// the command line (`=` for an empty one), or `None` to send the command without one:
    /// when the mechanism is server-first, when `allowed` is false (IMAP without SASL-IR), or
    /// when the response would make the line longer than `max_line` octets including CRLF
    /// (RFC 4954 section 4; `command_prefix_len` counts everything before the argument,
    /// including its space). A withheld response is sent in reply to the first challenge.
    pub fn initial_response(
        &mut self,
        command_prefix_len: usize,
        max_line: usize,
        allowed: bool,
    ) -> Option<Secret<String>> {
        if self.started {
            return None;
        }
        self.started = true;
        let response = self.mechanism.initial_response()?;
        if allowed && fits_initial_response(command_prefix_len, response.expose().len(), max_line) {
            Some(Secret::new(encode_initial_response(response.expose())))
        } else {
            self.deferred = Some(response);
            None
        }
    }

    /// Answers one challenge line (the text after `334 ` or `+ `). On an error, send the
    /// cancel line `*` and treat the session as not authenticated.
    pub fn challenge(&mut self, line: &[u8]) -> Result<Reply, SaslError> {
        if line.len() > self.max_line {
            return Err(SaslError::TooLong { len: line.len(), limit: self.max_line });
        }
        if !self.started {
            self.started = true;
            if let Some(response) = self.mechanism.initial_response() {
                self.deferred = Some(response);
            }
        }
        if let Some(response) = self.deferred.take() {
            // The server's first challenge of a client-first mechanism is empty; some servers
            // put text in it anyway, which is ignored (docs/quirks/sasl.md).
            return Ok(Reply::Send(Secret::new(encode_base64(response.expose()))));
        }
        let challenge = decode_base64(line)?;
        match self.mechanism.step(&challenge)? {
            ClientStep::Response(r) => Ok(Reply::Send(Secret::new(encode_base64(r.expose())))),
            ClientStep::ServerError { ack, error } => {
                Ok(Reply::ServerError { line: encode_base64(&ack), error })
            }
        }
    }

    /// Handles the server's success reply, with the base64 additional data it carried if
    /// any. An error here means the server did not complete the mechanism (for SCRAM: did not
    /// prove it knows the password): treat the session as not authenticated and close it.
    pub fn success(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        if self.deferred.is_some() {
            return Err(SaslError::Incomplete);
        }
        match additional_data {
            Some(data) => {
                let data = decode_base64(data)?;
                self.mechanism.finish(Some(&data))
            }
            None => self.mechanism.finish(None),
        }
    }

    /// The line that cancels the exchange.
    pub const fn cancel_line() -> &'static str {
        "*"
    }
}

/// Settings of a [`ServerExchange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerExchangeConfig {
    /// The protocol can carry additional data with its success reply. When false (SMTP,
    /// POP3), the data is sent as a last challenge and the client's empty answer awaited.
    pub success_data: bool,
    /// The most challenges one exchange may send (default 8).
    pub max_steps: usize,
    /// The longest client line accepted (default [`DEFAULT_MAX_LINE`]).
    pub max_line: usize,
}

impl Default for ServerExchangeConfig {
    fn default() -> Self {
        Self { success_data: false, max_steps: 8, max_line: DEFAULT_MAX_LINE }
    }
}

/// What the server sends next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerReply {
    /// Send this challenge (base64 text, possibly empty, without CRLF) and feed the client's
    /// next line to [`ServerExchange::response`].
    Challenge(String),
    /// Authenticated; send the success reply, with `additional_data` (base64) if present.
    Success {
        /// Who authenticated.
        identity: Authenticated,
        /// Base64 data to carry in the success reply (only with
        /// [`ServerExchangeConfig::success_data`]).
        additional_data: Option<String>,
    },
    /// Send the failure reply.
    Failure(ServerFailure),
}

/// The server side of one exchange, speaking base64 lines.
#[derive(Debug)]
pub struct ServerExchange<'a> {
    mechanism: Box<dyn ServerMechanism + Send + 'a>,
    config: ServerExchangeConfig,
    steps: usize,
    awaiting_final_ack: Option<Authenticated>,
    done: bool,
}

impl<'a> ServerExchange<'a> {
    /// An exchange driving `mechanism`. The mechanism must be `Send` (its store `Sync`) so that
    /// the exchange can wait for the client's next line across an `.await`.
    pub fn new(
        mechanism: Box<dyn ServerMechanism + Send + 'a>,
        config: ServerExchangeConfig,
    ) -> Self {
        Self { mechanism, config, steps: 0, awaiting_final_ack: None, done: false }
    }

    /// The mechanism's name.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism.mechanism()
    }

    /// Starts with the command's initial-response argument, if any (`=` or base64).
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> ServerReply {
        if self.done || self.steps > 0 {
            return self.fail(ServerFailure::Finished);
        }
        let step = match initial_response {
            Some(arg) if arg.len() > self.config.max_line => {
                return self.fail(ServerFailure::TooLong);
            }
            Some(arg) => match decode_initial_response(arg) {
                Ok(data) => self.mechanism.start(Some(&data)),
                Err(_) => return self.fail(ServerFailure::Malformed("invalid base64")),
            },
            None => self.mechanism.start(None),
        };
        self.convert(step)
    }

    /// Handles one client line (the answer to the last challenge).
    pub fn response(&mut self, line: &[u8]) -> ServerReply {
        if self.done {
            return self.fail(ServerFailure::Finished);
        }
        if line.len() > self.config.max_line {
            return self.fail(ServerFailure::TooLong);
        }
        let data = match decode_response_line(line) {
            Ok(ResponseLine::Cancel) => return self.fail(ServerFailure::Cancelled),
            Ok(ResponseLine::Response(data)) => data,
            Err(_) => return self.fail(ServerFailure::Malformed("invalid base64")),
        };
        if let Some(identity) = self.awaiting_final_ack.take() {
            self.done = true;
            return if data.is_empty() {
                ServerReply::Success { identity, additional_data: None }
            } else {
                ServerReply::Failure(ServerFailure::Malformed("expected an empty response"))
            };
        }
        let step = self.mechanism.step(&data);
        self.convert(step)
    }

    fn fail(&mut self, failure: ServerFailure) -> ServerReply {
        self.done = true;
        ServerReply::Failure(failure)
    }

    fn challenge(&mut self, data: &[u8]) -> ServerReply {
        self.steps += 1;
        if self.steps > self.config.max_steps {
            return self.fail(ServerFailure::TooManySteps);
        }
        ServerReply::Challenge(encode_base64(data))
    }

    fn convert(&mut self, step: ServerStep) -> ServerReply {
        match step {
            ServerStep::Challenge(data) => self.challenge(&data),
            ServerStep::Success { identity, additional_data: Some(data) }
                if !self.config.success_data =>
            {
                self.awaiting_final_ack = Some(identity);
                self.challenge(&data)
            }
            ServerStep::Success { identity, additional_data } => {
                self.done = true;
                ServerReply::Success {
                    identity,
                    additional_data: additional_data.map(|d| encode_base64(&d)),
                }
            }
            ServerStep::Failure(failure) => self.fail(failure),
        }
    }
}
