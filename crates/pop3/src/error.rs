//! Error types, by blame: values, parsing, the caller, the connection.

use crate::types::CommandKind;

/// A value that cannot be built: it would break the line it is encoded on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value must not be empty.
    #[error("empty value")]
    Empty,
    /// The value holds a byte it must not (CR, LF, NUL, or a space in a word).
    #[error("forbidden byte 0x{0:02x}")]
    ForbiddenByte(u8),
}

/// A line that is not valid POP3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// An empty line where a command or status was expected.
    #[error("empty line")]
    Empty,
    /// A response line that starts with neither `+OK` nor `-ERR`.
    #[error("not a status line")]
    NotStatus,
    /// A continuation line that does not start with `+ `.
    #[error("not a continuation line")]
    NotContinuation,
    /// A required argument is missing.
    #[error("missing argument")]
    MissingArgument,
    /// More arguments than the command takes.
    #[error("too many arguments")]
    TooManyArguments,
    /// A number that is not a decimal number in range (or a message number 0).
    #[error("invalid number")]
    Number,
    /// An argument with a forbidden byte.
    #[error("invalid argument")]
    Argument,
    /// An APOP digest that is not 32 hexadecimal digits.
    #[error("invalid APOP digest")]
    Digest,
    /// Invalid base64 in an AUTH exchange.
    #[error("invalid base64")]
    Base64,
    /// A capability with invalid parameters.
    #[error("invalid capability parameters")]
    Capability,
}

/// A command the caller may not issue now; the machine's state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The command is not valid in the session's current state.
    #[error("{command:?} is not allowed in the {state:?} state")]
    WrongState {
        /// The command refused.
        command: CommandKind,
        /// The state the session is in.
        state: crate::State,
    },
    /// The server did not announce the capability the command needs (after CAPA).
    #[error("the server did not announce {0}")]
    NotAdvertised(&'static str),
    /// Credentials would be sent over a plaintext connection and the configuration does not
    /// allow it.
    #[error("credentials refused over a plaintext connection")]
    PlaintextCredentials,
    /// The command cannot be issued while the previous one (STLS, AUTH, QUIT) is pending.
    #[error("another command must complete first")]
    Busy,
    /// APOP needs a timestamp in the server's greeting, and there was none.
    #[error("the greeting has no APOP timestamp")]
    NoTimestamp,
    /// The handle does not name what the call expects (a pending command of the right kind,
    /// an AUTH exchange, a body being sent).
    #[error("no such pending command")]
    UnknownHandle,
    /// The response does not fit the command (for example a multi-line body for DELE).
    #[error("this response does not fit the command")]
    WrongResponse,
    /// The machine is closed, or waiting for the TLS handshake.
    #[error("the connection is closed or upgrading")]
    Closed,
}

/// A fatal condition: the machine is closed after reporting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// A line longer than the configured limit.
    #[error("line longer than {limit} octets")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// More lines in one multi-line response than the configured limit.
    #[error("more than {limit} lines in one response")]
    TooManyLines {
        /// The limit.
        limit: usize,
    },
    /// A message body larger than the configured limit.
    #[error("message larger than {limit} octets")]
    MessageTooLarge {
        /// The limit.
        limit: u64,
    },
    /// Bytes arrived after the STLS command or its `+OK`, before the TLS handshake: an
    /// injection attempt (CVE-2011-0411 class).
    #[error("plaintext bytes received across the STLS upgrade")]
    PlaintextInjection,
    /// A status line that is not `+OK`/`-ERR`, or a line when no response was due: the
    /// stream cannot be resynchronised.
    #[error("unexpected or malformed status line: {0}")]
    Protocol(ParseError),
    /// A response arrived while no command was pending.
    #[error("response with no command pending")]
    Unsolicited,
    /// The peer closed the connection in the middle of the session.
    #[error("connection closed by the peer")]
    UnexpectedEof,
    /// The wait named by `timeout()` expired.
    #[error("timed out")]
    Timeout,
    /// The peer sent more pipelined input than the machine buffers while waiting.
    #[error("too much pipelined input")]
    TooMuchPipelined,
    /// The server accepted an AUTH without proving that it knows the credentials (a SCRAM
    /// server signature missing or wrong).
    #[error("the server's SASL success was not verified")]
    AuthenticationNotVerified,
    /// The server refused the connection in its greeting.
    #[error("greeting refused")]
    GreetingRefused,
}
