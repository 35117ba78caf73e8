//! Prints the JSON summary of a message (see the MIME summary format specification), or of
//! every file of a directory with `--out DIR` (one `<file stem>.json` per file).
//!
//! ```text
//! cargo run -p mailwire-mime --example mime_summary -- message.eml
//! cargo run -p mailwire-mime --example mime_summary -- corpus/ --out summaries/
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

use std::fmt::Write as _;

use mailwire::mime::push::{FieldKind, PartKind};
use mailwire::mime::text::{RawCharset, TextOptions};
use mailwire::mime::{Message, Part, TransferEncoding};
use sha2::{Digest, Sha256};

/// `norm(s)`: every run of TAB, CR, LF and SPACE becomes one space; both ends trimmed.
fn norm(s: &str) -> String {
    s.split(['\t', '\r', '\n', ' ']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
}

const SUMMARY_TEXT: TextOptions = TextOptions::LENIENT_LOSSY;

fn mailboxes(out: &mut String, part: &Part<'_>, name: &str) {
    let Some(f) = part.header(name) else {
        out.push_str("null");
        return;
    };
    let list =
        mailwire::mime::address::parse_address_list_with(f.raw_value(), RawCharset::Utf8Lossy);
    out.push('[');
    let mut first = true;
    for m in list.iter().flat_map(mailwire::mime::Address::mailboxes) {
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push('[');
        json_str(out, &norm(m.name.as_deref().unwrap_or("")));
        out.push_str(", ");
        json_str(out, &norm(&m.address));
        out.push(']');
    }
    out.push(']');
}

/// The JSON summary of one message.
pub(crate) fn summarize(input: &[u8]) -> String {
    let msg = Message::parse(input.to_vec());
    let root = msg.root();
    let mut out = String::with_capacity(1024);
    out.push_str("{\n  \"headers\": [");
    let mut first = true;
    for f in root.fields().filter(|f| f.kind() == FieldKind::Field) {
        out.push_str(if first { "\n    [" } else { ",\n    [" });
        first = false;
        json_str(&mut out, &f.name_lower());
        out.push_str(", ");
        json_str(&mut out, &norm(&f.text_with(SUMMARY_TEXT)));
        out.push(']');
    }
    out.push_str("\n  ],\n  \"subject\": ");
    json_opt(&mut out, root.header("subject").map(|f| norm(&f.text_with(SUMMARY_TEXT))).as_deref());
    out.push_str(",\n  \"from\": ");
    mailboxes(&mut out, &root, "from");
    out.push_str(",\n  \"to\": ");
    mailboxes(&mut out, &root, "to");
    out.push_str(",\n  \"date\": ");
    json_opt(&mut out, root.date().map(|d| d.to_iso8601()).as_deref());
    out.push_str(",\n  \"message_id\": ");
    json_opt(
        &mut out,
        root.header("message-id").map(|f| norm(&f.text_with(SUMMARY_TEXT))).as_deref(),
    );
    out.push_str(",\n  \"parts\": [");
    let mut first = true;
    for p in msg.parts() {
        out.push_str(if first { "\n    {" } else { ",\n    {" });
        first = false;
        out.push_str("\"path\": ");
        json_str(&mut out, &p.section_path());
        let ct = p.content_type();
        out.push_str(", \"content_type\": ");
        json_str(&mut out, &format!("{}/{}", ct.media_type, ct.subtype));
        out.push_str(", \"params\": {");
        let mut seen: Vec<&str> = Vec::new();
        for prm in &ct.params {
            if seen.contains(&prm.name.as_ref()) {
                continue;
            }
            if !seen.is_empty() {
                out.push_str(", ");
            }
            seen.push(&prm.name);
            json_str(&mut out, &prm.name);
            out.push_str(": ");
            json_str(&mut out, &prm.value);
        }
        out.push_str("}, \"disposition\": ");
        json_opt(&mut out, p.disposition().map(|d| d.kind).as_deref());
        out.push_str(", \"filename\": ");
        json_opt(&mut out, p.filename().as_deref());
        out.push_str(", \"transfer_encoding\": ");
        json_str(&mut out, p.transfer_encoding().as_str());
        let leaf = match p.kind() {
            PartKind::Multipart => !p.is_split_multipart(),
            PartKind::Message | PartKind::EncodedMessage => p.encapsulated().is_none(),
            _ => true,
        };
        if leaf {
            // a multipart without delimiter lines counts as a leaf holding its preamble
            let body = if p.kind() == PartKind::Multipart {
                std::borrow::Cow::Borrowed(p.preamble().unwrap_or_default())
            } else {
                // the format decodes base64 and quoted-printable only
                match p.transfer_encoding() {
                    TransferEncoding::Base64 | TransferEncoding::QuotedPrintable => {
                        p.decoded_body()
                    }
                    _ => std::borrow::Cow::Borrowed(p.body_raw()),
                }
            };
            let hash = Sha256::digest(&body);
            let mut hex = String::with_capacity(64);
            for b in hash {
                let _ = write!(hex, "{b:02x}");
            }
            out.push_str(", \"body_sha256\": ");
            json_str(&mut out, &hex);
            let _ = write!(out, ", \"body_len\": {}}}", body.len());
        } else {
            out.push_str(", \"body_sha256\": null, \"body_len\": null}");
        }
    }
    out.push_str("\n  ]\n}\n");
    out
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, out_dir) = match args.as_slice() {
        [p] => (p.clone(), None),
        [p, flag, o] if flag == "--out" => (p.clone(), Some(o.clone())),
        _ => {
            eprintln!("usage: mime_summary FILE | mime_summary DIR --out OUTDIR");
            return std::process::ExitCode::from(2);
        }
    };
    let path = std::path::Path::new(&path);
    if let Some(out_dir) = out_dir {
        let Ok(entries) = std::fs::read_dir(path) else {
            eprintln!("cannot read directory {}", path.display());
            return std::process::ExitCode::FAILURE;
        };
        if std::fs::create_dir_all(&out_dir).is_err() {
            eprintln!("cannot create {out_dir}");
            return std::process::ExitCode::FAILURE;
        }
        let mut status = std::process::ExitCode::SUCCESS;
        let mut files: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        for f in files {
            let stem = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            match std::fs::read(&f) {
                Ok(data) => {
                    let target = std::path::Path::new(&out_dir).join(format!("{stem}.json"));
                    if std::fs::write(&target, summarize(&data)).is_err() {
                        eprintln!("cannot write {}", target.display());
                        status = std::process::ExitCode::FAILURE;
                    }
                }
                Err(e) => {
                    eprintln!("{}: {e}", f.display());
                    status = std::process::ExitCode::FAILURE;
                }
            }
        }
        status
    } else {
        match std::fs::read(path) {
            Ok(data) => {
                print!("{}", summarize(&data));
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                std::process::ExitCode::FAILURE
            }
        }
    }
}
