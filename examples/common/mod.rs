//! What the examples share: flag parsing, the TLS settings from the common flags, a
//! throwaway certificate authority, the users file and a minimal Maildir.
#![allow(dead_code, reason = "each example uses part of this module")]

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use mailwire::core::Secret;
use mailwire::io::{ClientSettings, TlsMode, TlsServerConfig};
use mailwire::sasl::CredentialStore;

/// The parsed command line: `--name value` flags, `--switch`es and positional arguments.
#[derive(Debug, Default)]
pub(crate) struct Args {
    flags: Vec<(String, String)>,
    switches: Vec<String>,
    /// Arguments that are not flags, in order.
    pub(crate) positional: Vec<String>,
}

impl Args {
    /// Parses `args` (without the program name). `valued` lists the flags that take a value,
    /// `switches` those that do not; anything else starting with `--` is an error.
    pub(crate) fn parse(
        args: impl IntoIterator<Item = String>,
        valued: &[&str],
        switches: &[&str],
    ) -> Result<Self, String> {
        let mut out = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                out.switches.push("--help".into());
            } else if switches.contains(&arg.as_str()) {
                out.switches.push(arg);
            } else if valued.contains(&arg.as_str()) {
                let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
                out.flags.push((arg, value));
            } else if arg.starts_with("--") {
                return Err(format!("unknown flag {arg} (see --help)"));
            } else {
                out.positional.push(arg);
            }
        }
        Ok(out)
    }

    /// The last value of `--name`.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.flags.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable `--name`.
    pub(crate) fn values(&self, name: &str) -> Vec<&str> {
        self.flags.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    /// Whether `--name` was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

/// `--tls implicit|starttls|none` (default `starttls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsFlag {
    /// TLS from the first byte.
    Implicit,
    /// The STARTTLS / STLS upgrade (required by clients).
    StartTls,
    /// Plaintext only.
    None,
}

impl TlsFlag {
    pub(crate) fn from_args(args: &Args) -> Result<Self, String> {
        match args.value("--tls").unwrap_or("starttls") {
            "implicit" => Ok(Self::Implicit),
            "starttls" => Ok(Self::StartTls),
            "none" => Ok(Self::None),
            other => Err(format!("--tls {other}: expected implicit, starttls or none")),
        }
    }
}

/// The client settings of the common flags: `--tls`, `--ca FILE`.
pub(crate) fn client_settings(args: &Args) -> Result<ClientSettings, String> {
    let mut settings = ClientSettings::with_mode(match TlsFlag::from_args(args)? {
        TlsFlag::Implicit => TlsMode::Implicit,
        TlsFlag::StartTls => TlsMode::StartTlsRequired,
        TlsFlag::None => TlsMode::None,
    });
    if let Some(path) = args.value("--ca") {
        let pem = read(path)?;
        settings.add_ca_pem(&pem).map_err(|e| format!("--ca {path}: {e}"))?;
    }
    if settings.tls_mode == TlsMode::None {
        // the user asked for plaintext explicitly
        settings.allow_plaintext_credentials = true;
    }
    Ok(settings)
}

/// The password from the environment variable `MAILWIRE_PASSWORD`.
pub(crate) fn password() -> Result<Secret<String>, String> {
    std::env::var("MAILWIRE_PASSWORD").map(Secret::new).map_err(|_| {
        "--user needs the password in the environment variable MAILWIRE_PASSWORD".into()
    })
}

/// Reads a file, with its name in the error.
pub(crate) fn read(path: &str) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("reading {path}: {e}"))
}

/// A certificate authority and a leaf certificate it signs, all PEM.
#[derive(Debug, Clone)]
pub(crate) struct Pki {
    /// The CA certificate: what clients trust.
    pub(crate) ca: String,
    /// The server's certificate chain (the leaf).
    pub(crate) chain: String,
    /// The leaf's private key (PKCS#8).
    pub(crate) key: String,
}

/// Generates a throwaway CA and a leaf for `localhost` and 127.0.0.1 signed by it (rustls
/// refuses a CA certificate used directly as a server certificate).
pub(crate) fn generate_pki() -> Result<Pki, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, SanType,
    };
    let e = |e: rcgen::Error| format!("generating a certificate: {e}");
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "mailwire example CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().map_err(e)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).map_err(e)?;
    leaf.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(e)?;
    Ok(Pki { ca: ca_cert.pem(), chain: leaf_cert.pem(), key: leaf_key.serialize_pem() })
}

/// The server TLS configuration of `--cert FILE --key FILE`, or a generated one. For a
/// generated certificate, also returns where its CA was written (for the clients' `--ca`).
pub(crate) fn server_tls(
    args: &Args,
    name: &str,
) -> Result<(TlsServerConfig, Option<PathBuf>), String> {
    match (args.value("--cert"), args.value("--key")) {
        (Some(cert), Some(key)) => {
            let config = TlsServerConfig::from_pem(&read(cert)?, &read(key)?)
                .map_err(|e| format!("--cert {cert} --key {key}: {e}"))?;
            Ok((config, None))
        }
        (None, None) => {
            let pki = generate_pki()?;
            let config = TlsServerConfig::from_pem(pki.chain.as_bytes(), pki.key.as_bytes())
                .map_err(|e| format!("the generated certificate: {e}"))?;
            let path =
                std::env::temp_dir().join(format!("mailwire-{name}-{}-ca.pem", std::process::id()));
            fs::write(&path, &pki.ca).map_err(|e| format!("writing {}: {e}", path.display()))?;
            Ok((config, Some(path)))
        }
        _ => Err("--cert and --key go together".into()),
    }
}

/// The users of a server: `--users FILE`, lines `name:password` (`#` comments and blank
/// lines ignored), or everyone when `any` is set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    passwords: HashMap<String, Secret<String>>,
    any: bool,
}

impl Users {
    /// Parses the text of a users file.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut passwords = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, password) = line
                .split_once(':')
                .ok_or_else(|| format!("line {}: expected name:password", i + 1))?;
            passwords.insert(name.to_owned(), Secret::new(password.to_owned()));
        }
        Ok(Self { passwords, any: false })
    }

    /// Reads `--users FILE`; `None` when the flag is absent.
    pub(crate) fn from_args(args: &Args) -> Result<Option<Self>, String> {
        let Some(path) = args.value("--users") else { return Ok(None) };
        let text = fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
        Self::parse(&text).map(Some).map_err(|e| format!("{path}: {e}"))
    }

    /// Accepts any name with any password.
    pub(crate) fn anyone() -> Self {
        Self { passwords: HashMap::new(), any: true }
    }

    /// Whether `name` / `password` may log in.
    pub(crate) fn check(&self, name: &str, password: &Secret<String>) -> bool {
        self.verify_password(name, password)
    }
}

impl CredentialStore for Users {
    fn password(&self, authcid: &str) -> Option<Secret<String>> {
        self.passwords.get(authcid).cloned()
    }

    fn verify_password(&self, authcid: &str, password: &Secret<String>) -> bool {
        self.any
            || self
                .passwords
                .get(authcid)
                .is_some_and(|known| known.expose().as_bytes() == password.expose().as_bytes())
    }
}

/// A Maildir (`tmp/`, `new/`, `cur/`): messages are written to `tmp/` and renamed into
/// `new/`, so a reader never sees half a message.
#[derive(Debug, Clone)]
pub(crate) struct Maildir {
    root: PathBuf,
}

/// One message of a Maildir.
#[derive(Debug, Clone)]
pub(crate) struct MaildirEntry {
    /// The unique part of the file name (before any `:2,` flags): a stable unique id.
    pub(crate) id: String,
    /// The file.
    pub(crate) path: PathBuf,
}

static DELIVERIES: AtomicU64 = AtomicU64::new(0);

impl Maildir {
    /// Opens `root`, creating the three directories when missing.
    pub(crate) fn create(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(root.join(sub))?;
        }
        Ok(Self { root })
    }

    /// The directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Stores a message; returns its id.
    #[allow(clippy::disallowed_methods, reason = "a Maildir name carries the delivery time")]
    pub(crate) fn deliver(&self, message: &[u8]) -> io::Result<String> {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let n = DELIVERIES.fetch_add(1, Ordering::Relaxed);
        let id = format!("{secs}.P{}Q{n}.mailwire", std::process::id());
        let tmp = self.root.join("tmp").join(&id);
        fs::write(&tmp, message)?;
        fs::rename(&tmp, self.root.join("new").join(&id))?;
        Ok(id)
    }

    /// The messages of `new/` and `cur/`, ordered by id (delivery order for our names).
    pub(crate) fn list(&self) -> io::Result<Vec<MaildirEntry>> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            for entry in fs::read_dir(self.root.join(sub))? {
                let entry = entry?;
                if !entry.file_type()?.is_file() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let id = name.split(':').next().unwrap_or(&name).to_owned();
                out.push(MaildirEntry { id, path: entry.path() });
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

/// Prints `example: step: error` on stderr and exits with status 1.
pub(crate) fn fail<T>(example: &str, step: &str, error: impl std::fmt::Display) -> T {
    eprintln!("{example}: {step}: {error}");
    std::process::exit(1)
}
