//! TLS configuration for implicit TLS and the STARTTLS/STLS upgrade, through rustls with the
//! `ring` provider.

use std::sync::Arc;

use mailwire_core::TlsRole;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::TlsError;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// How a client verifies the server's certificate, and the rustls configuration built from it.
///
/// Verification is on by default, against Mozilla's root certificates (`webpki-roots`).
/// A private CA is added with [`add_ca_pem`](Self::add_ca_pem); [`with_ca_pem`](Self::with_ca_pem)
/// trusts only the given CAs.
///
/// ```
/// let config = mailwire_io::TlsClientConfig::new();
/// assert!(!config.is_insecure());
/// ```
#[derive(Clone)]
pub struct TlsClientConfig {
    roots: RootCertStore,
    config: Arc<ClientConfig>,
    insecure: bool,
}

impl core::fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("roots", &self.roots.len())
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

impl Default for TlsClientConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsClientConfig {
    /// Verifies servers against Mozilla's root certificates.
    pub fn new() -> Self {
        let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        Self::from_roots(roots)
    }

    /// Verifies servers against the CA certificates in `pem` only (no public roots).
    pub fn with_ca_pem(pem: &[u8]) -> Result<Self, TlsError> {
        let mut config = Self::from_roots(RootCertStore::empty());
        config.add_ca_pem(pem)?;
        Ok(config)
    }

    /// Also trusts the CA certificates in `pem` (one or more `CERTIFICATE` blocks). Returns how
    /// many were added.
    pub fn add_ca_pem(&mut self, pem: &[u8]) -> Result<usize, TlsError> {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| TlsError::InvalidPem(e.to_string()))?;
            self.roots.add(cert).map_err(TlsError::from_rustls)?;
            added += 1;
        }
        if added == 0 {
            return Err(TlsError::InvalidPem("no CERTIFICATE block found".into()));
        }
        *self = Self::from_roots(core::mem::replace(&mut self.roots, RootCertStore::empty()));
        Ok(added)
    }

    /// Accepts ANY server certificate, for tests against throwaway certificates only.
    ///
    /// The handshake signatures are still checked, but nothing ties the certificate to a trusted
    /// issuer or to the server name: anyone on the path can impersonate the server. Never use it
    /// for real mail.
    pub fn dangerous_accept_any_certificate_for_tests() -> Self {
        let provider = provider();
        let verifier =
            AcceptAnyCertificate { algorithms: provider.signature_verification_algorithms };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| {
                b.dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
                    .with_no_client_auth()
            });
        match config {
            Ok(config) => {
                Self { roots: RootCertStore::empty(), config: Arc::new(config), insecure: true }
            }
            // The ring provider supports the default versions; keep verification on otherwise.
            Err(_) => Self::from_roots(RootCertStore::empty()),
        }
    }

    /// Uses a rustls configuration built by the caller (client certificates, ALPN, another
    /// verifier). Its root store is the caller's business.
    pub fn from_rustls(config: Arc<ClientConfig>) -> Self {
        Self { roots: RootCertStore::empty(), config, insecure: false }
    }

    /// The rustls configuration the handshake uses.
    pub fn rustls_config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Whether this configuration skips certificate verification.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    fn from_roots(roots: RootCertStore) -> Self {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots.clone()).with_no_client_auth());
        let config = match config {
            Ok(config) => config,
            // Unreachable with the ring provider; rustls' own default is the safe fallback.
            Err(_) => {
                ClientConfig::builder().with_root_certificates(roots.clone()).with_no_client_auth()
            }
        };
        Self { roots, config: Arc::new(config), insecure: false }
    }
}

/// A server's certificate chain and key, and the rustls configuration built from them.
#[derive(Clone)]
pub struct TlsServerConfig {
    config: Arc<ServerConfig>,
}

impl core::fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsServerConfig").finish_non_exhaustive()
    }
}

impl TlsServerConfig {
    /// Builds a server configuration from a PEM certificate chain (leaf first) and a PEM private
    /// key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::InvalidPem(format!("certificate chain: {e}")))?;
        if chain.is_empty() {
            return Err(TlsError::InvalidPem("no CERTIFICATE block in the chain".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|e| TlsError::InvalidPem(format!("private key: {e}")))?;
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::from_rustls)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(TlsError::from_rustls)?;
        Ok(Self { config: Arc::new(config) })
    }

    /// Uses a rustls configuration built by the caller (client authentication, SNI, ...).
    pub fn from_rustls(config: Arc<ServerConfig>) -> Self {
        Self { config }
    }

    /// The rustls configuration the handshake uses.
    pub fn rustls_config(&self) -> &Arc<ServerConfig> {
        &self.config
    }
}

/// The TLS side a connection plays, with its configuration: used for implicit TLS and for the
/// STARTTLS/STLS upgrade a machine asks for.
#[derive(Debug, Clone)]
pub enum Tls {
    /// Act as the TLS client and verify the server's certificate for `server_name`.
    Client {
        /// Verification settings.
        config: TlsClientConfig,
        /// The name the certificate must carry (and the SNI sent).
        server_name: ServerName<'static>,
    },
    /// Act as the TLS server.
    Server(TlsServerConfig),
}

impl Tls {
    /// The client side, verifying the certificate for `server_name` (a DNS name or an IP address).
    pub fn client(config: TlsClientConfig, server_name: &str) -> Result<Self, TlsError> {
        let server_name = ServerName::try_from(server_name.to_owned())
            .map_err(|_| TlsError::InvalidServerName(server_name.to_owned()))?;
        Ok(Self::Client { config, server_name })
    }

    /// The server side.
    pub fn server(config: TlsServerConfig) -> Self {
        Self::Server(config)
    }

    /// The role this configuration plays.
    pub fn role(&self) -> TlsRole {
        match self {
            Self::Client { .. } => TlsRole::Client,
            Self::Server(_) => TlsRole::Server,
        }
    }
}

/// Accepts every certificate but still checks handshake signatures.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
