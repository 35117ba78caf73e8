//! Hostile inputs: deep nesting, many parts, many RFC 2231 sections, a huge header. Each must
//! parse without recursion, within its limits, in time linear in its size (the figures are
//! in the `hostile` group of the criterion bench; here a generous bound catches a quadratic
//! regression).
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use mailwire_mime::{DiagnosticKind, Message, MimeLimits};

const GENEROUS: Duration = Duration::from_secs(20);

fn has(msg: &Message, kind: DiagnosticKind) -> bool {
    msg.diagnostics().iter().any(|d| d.kind == kind)
}

#[test]
fn deep_nesting_on_a_small_stack() {
    // 5 000 levels, parsed and dropped on a 2 MiB thread: no recursion anywhere.
    let t = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut m = Vec::new();
            for i in 0..5000 {
                m.extend_from_slice(
                    format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n")
                        .as_bytes(),
                );
            }
            m.extend_from_slice(b"\r\nleaf\r\n");
            let start = Instant::now();
            let msg = Message::parse(m.clone());
            assert!(start.elapsed() < GENEROUS);
            assert!(has(&msg, DiagnosticKind::DepthLimit));
            assert!(msg.part_count() <= 101);
            assert_eq!(msg.to_bytes(), m);
            let deepest = msg.parts().last().unwrap();
            assert_eq!(deepest.depth(), 100);
            let _ = deepest.section_path();
            // the same with the limit raised to every level
            let limits = MimeLimits { max_depth: 10_000, ..MimeLimits::DEFAULT };
            let msg = Message::parse_with(m.clone(), limits);
            assert_eq!(msg.part_count(), 5001);
            assert_eq!(msg.to_bytes(), m);
            drop(msg);
        })
        .unwrap();
    t.join().unwrap();
}

#[test]
fn two_hundred_thousand_parts() {
    let mut m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
    for _ in 0..200_000 {
        m.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    m.extend_from_slice(b"--b--\r\n");
    let start = Instant::now();
    let msg = Message::parse(m.clone());
    assert!(start.elapsed() < GENEROUS);
    assert_eq!(msg.part_count(), MimeLimits::DEFAULT.max_parts);
    assert!(has(&msg, DiagnosticKind::PartLimit));
    assert_eq!(msg.to_bytes(), m);
    let limits = MimeLimits { max_parts: 300_000, ..MimeLimits::DEFAULT };
    let msg = Message::parse_with(m.clone(), limits);
    assert_eq!(msg.part_count(), 200_001);
    assert_eq!(msg.root().children().nth(199_999).unwrap().body_raw(), b"x");
}

#[test]
fn twenty_thousand_rfc2231_sections() {
    let mut m = b"Content-Type: application/octet-stream".to_vec();
    for i in (0..20_000).rev() {
        m.extend_from_slice(format!(";\r\n name*{i}*=%41").as_bytes());
    }
    m.extend_from_slice(b"\r\n\r\nbody\r\n");
    let start = Instant::now();
    let msg = Message::parse(m.clone());
    assert!(start.elapsed() < GENEROUS);
    assert!(has(&msg, DiagnosticKind::ParamLimit));
    // the limit keeps the first sections in input order (the highest numbers here)
    assert!(msg.root().content_type().param("name").is_some());
    let limits = MimeLimits { max_params: 50_000, ..MimeLimits::DEFAULT };
    let msg = Message::parse_with(m, limits);
    assert_eq!(msg.root().content_type().param("name").map(str::len), Some(20_000));
}

#[test]
fn ten_megabyte_header() {
    let mut m = b"Subject: start".to_vec();
    while m.len() < 10_000_000 {
        m.extend_from_slice(b"\r\n folded text of a very long subject line");
    }
    m.extend_from_slice(b"\r\n\r\nbody\r\n");
    let start = Instant::now();
    let msg = Message::parse(m.clone());
    assert!(start.elapsed() < GENEROUS);
    assert!(has(&msg, DiagnosticKind::HeaderTooLarge));
    assert_eq!(msg.to_bytes(), m);
    assert!(msg.root().header_raw().len() <= MimeLimits::DEFAULT.max_header_size);
    // one long line without any break is bounded the same way
    let mut m = b"Subject: ".to_vec();
    m.resize(10_000_000, b'a');
    let msg = Message::parse(m.clone());
    assert!(has(&msg, DiagnosticKind::HeaderTooLarge));
    assert_eq!(msg.to_bytes(), m);
}

#[test]
fn push_parser_memory_is_bounded_by_the_limits() {
    // a 20 MB body without line breaks, fed in small chunks: nothing accumulates
    use mailwire_mime::push::{Event, Parser};
    let mut parser = Parser::new(MimeLimits::DEFAULT);
    let mut body = 0u64;
    let mut sink = |ev: Event<'_>| {
        if let Event::Body { data, .. } = ev {
            body += data.len() as u64;
        }
    };
    parser.push(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n", &mut sink);
    let chunk = vec![b'-'; 4096];
    for _ in 0..5000 {
        parser.push(&chunk, &mut sink);
    }
    parser.push(b"\r\n--b--\r\n", &mut sink);
    parser.finish(&mut sink);
    assert_eq!(body, 5000 * 4096);
}
