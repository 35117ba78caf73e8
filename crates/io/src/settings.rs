//! What the convenience clients need to open a session: the TLS mode and its configuration.

use core::time::Duration;

use crate::{Options, Tls, TlsClientConfig, TlsError};

/// How a convenience client secures its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TlsMode {
    /// Upgrade with STARTTLS / STLS before anything else, and fail if the server does not
    /// offer it or refuses it. The default.
    #[default]
    StartTlsRequired,
    /// Upgrade with STARTTLS / STLS if the server offers it, otherwise go on in plaintext.
    /// An active attacker can remove the offer: use it only where plaintext is acceptable.
    StartTlsOpportunistic,
    /// TLS from the first byte (SMTP submission on 465, POP3S on 995).
    Implicit,
    /// No TLS at all: everything, credentials included, travels in the clear.
    None,
}

/// Settings of a convenience client's session.
///
/// ```
/// use mailwire_io::{ClientSettings, TlsMode};
/// let mut settings = ClientSettings::default();
/// assert_eq!(settings.tls_mode, TlsMode::StartTlsRequired);
/// settings.add_ca_pem(b"not a certificate").unwrap_err();
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientSettings {
    /// How the connection is secured. Default [`TlsMode::StartTlsRequired`].
    pub tls_mode: TlsMode,
    /// Certificate verification. Default: Mozilla's roots.
    pub tls: TlsClientConfig,
    /// The name the server's certificate must carry; `None` (default): the host part of the
    /// address given to `connect`.
    pub server_name: Option<String>,
    /// How long opening the TCP connection may take. Default 30 seconds.
    pub connect_timeout: Option<Duration>,
    /// Send credentials over a connection that is not encrypted. Default `false`.
    pub allow_plaintext_credentials: bool,
    /// The name an SMTP client gives in EHLO: its fully qualified domain name or an address
    /// literal such as `[192.0.2.1]`. Default `localhost`.
    pub hello_name: String,
    /// The driver's settings.
    pub options: Options,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            tls_mode: TlsMode::default(),
            tls: TlsClientConfig::new(),
            server_name: None,
            connect_timeout: Some(Duration::from_secs(30)),
            allow_plaintext_credentials: false,
            hello_name: "localhost".to_owned(),
            options: Options::default(),
        }
    }
}

impl ClientSettings {
    /// Default settings with another TLS mode.
    pub fn with_mode(tls_mode: TlsMode) -> Self {
        Self { tls_mode, ..Self::default() }
    }

    /// Also trusts the CA certificates in `pem`.
    pub fn add_ca_pem(&mut self, pem: &[u8]) -> Result<&mut Self, TlsError> {
        self.tls.add_ca_pem(pem)?;
        Ok(self)
    }

    /// The client TLS side for a connection to `addr` (`host:port`): the configured
    /// verification, for [`server_name`](Self::server_name) or else the host part of `addr`.
    /// For driving a machine directly with these settings.
    pub fn tls_for(&self, addr: &str) -> Result<Tls, TlsError> {
        let name = match &self.server_name {
            Some(name) => name.as_str(),
            None => host_of(addr),
        };
        Tls::client(self.tls.clone(), name)
    }
}

/// The host part of `host:port`, `[v6]:port` or a bare host.
fn host_of(addr: &str) -> &str {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_of_addresses() {
        assert_eq!(host_of("mail.example.org:995"), "mail.example.org");
        assert_eq!(host_of("127.0.0.1:110"), "127.0.0.1");
        assert_eq!(host_of("[::1]:465"), "::1");
        assert_eq!(host_of("mail.example.org"), "mail.example.org");
        assert_eq!(host_of("::1"), "::1");
    }
}
