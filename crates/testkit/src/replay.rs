//! Replaying a transcript against one machine.

use bytes::BytesMut;
use mailwire_core::transcript::{Side, Step, Stream, Transcript};
use mailwire_core::{Protocol, TransportAction};

use crate::{Chunker, Chunking};

/// Where and why a replay failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} ({side}): {reason}", side = side.letter())]
pub struct ReplayError {
    /// The transcript line the failure is about.
    pub line: usize,
    /// The side whose bytes were being checked or fed.
    pub side: Side,
    /// What went wrong.
    pub reason: String,
}

/// Feeds `bytes` to a machine, cut by `chunker`, collecting its events.
pub fn feed<P: Protocol>(machine: &mut P, bytes: &[u8], chunker: &mut Chunker) -> Vec<P::Event> {
    let mut events = Vec::new();
    for piece in chunker.split(bytes) {
        machine.handle_input(piece);
        events.extend(drain_events(machine));
    }
    events
}

/// Takes every event the machine has ready.
pub fn drain_events<P: Protocol>(machine: &mut P) -> Vec<P::Event> {
    std::iter::from_fn(|| machine.poll_event()).collect()
}

/// Takes every byte the machine wants to write, and whether it asked for a TLS upgrade.
pub fn drain_transmit<P: Protocol>(machine: &mut P) -> (Vec<u8>, bool) {
    let mut out = BytesMut::new();
    while let Some(b) = machine.poll_transmit() {
        out.extend_from_slice(&b);
    }
    let mut starttls = false;
    while let Some(a) = machine.poll_transport() {
        if matches!(a, TransportAction::StartTls { .. }) {
            starttls = true;
        }
    }
    (out.to_vec(), starttls)
}

fn memchr_rev_lf(b: &[u8]) -> Option<usize> {
    b.iter().rposition(|&c| c == b'\n')
}

/// Compares bytes a machine sent with a transcript stream, naming the first differing line.
fn compare(sent: &[u8], stream: &Stream) -> Result<(), ReplayError> {
    if sent == &stream.bytes[..] {
        return Ok(());
    }
    let at = sent.iter().zip(stream.bytes.iter()).take_while(|(a, b)| a == b).count();
    // show whole lines: back up to the start of the line holding the first difference
    let start = sent.get(..at).and_then(memchr_rev_lf).map_or(0, |p| p + 1);
    let line_from = |b: &[u8]| -> String {
        let rest = b.get(start..).unwrap_or_default();
        let line = rest.split(|&c| c == b'\n').next().unwrap_or_default();
        String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned()
    };
    let (got_line, expected_line) = (line_from(sent), line_from(&stream.bytes));
    Err(ReplayError {
        line: stream.line_of(at),
        side: stream.side,
        reason: format!("machine sent {got_line:?}, transcript has {expected_line:?}"),
    })
}

/// Replays a transcript against a client machine.
///
/// For each client stream, `send` issues the commands it holds (through the machine's verbs),
/// and the bytes the machine then writes (together with any it wrote on its own since the last
/// check) must equal the stream. Each server stream is fed to the machine cut by `chunking`, and
/// `check` sees the events it emitted (returning an error message on a protocol error). At a
/// `== TLS` marker the machine must have asked for STARTTLS; it is then told the handshake
/// completed.
pub fn replay_client<P: Protocol>(
    transcript: &Transcript,
    machine: &mut P,
    chunking: Chunking,
    mut send: impl FnMut(&mut P, &Stream) -> Result<(), String>,
    mut check: impl FnMut(&mut P, Vec<P::Event>, &Stream) -> Result<(), String>,
) -> Result<(), ReplayError> {
    replay(transcript, machine, chunking, Side::Client, &mut send, &mut check)
}

/// Replays a transcript against a server machine.
///
/// Each client stream is fed to the machine cut by `chunking`, and `answer` sees the events it
/// emitted together with the next server stream (the replies the application must now give),
/// and answers through the machine's verbs. The bytes the machine writes must equal the server
/// streams. At a `== TLS` marker the machine must have asked for STARTTLS.
pub fn replay_server<P: Protocol>(
    transcript: &Transcript,
    machine: &mut P,
    chunking: Chunking,
    mut answer: impl FnMut(&mut P, Vec<P::Event>, &Stream) -> Result<(), String>,
) -> Result<(), ReplayError> {
    // The events of a client stream are handed over when the next server stream is due, so
    // that `answer` sees what it is answering.
    let mut pending: Vec<P::Event> = Vec::new();
    let mut chunker = chunking.chunker();
    let mut sent = Vec::new();
    let mut starttls = false;
    for step in &transcript.steps {
        match step {
            Step::Stream(s) if s.side == Side::Client => {
                pending.extend(feed(machine, &s.bytes, &mut chunker));
                let (b, t) = drain_transmit(machine);
                sent.extend_from_slice(&b);
                starttls |= t;
            }
            Step::Stream(s) => {
                answer(machine, std::mem::take(&mut pending), s).map_err(|reason| ReplayError {
                    line: s.line_of(0),
                    side: Side::Server,
                    reason,
                })?;
                pending.extend(drain_events(machine));
                let (b, t) = drain_transmit(machine);
                sent.extend_from_slice(&b);
                starttls |= t;
                compare(&std::mem::take(&mut sent), s)?;
            }
            Step::Tls { line } => {
                tls_marker(machine, &mut starttls, *line, Side::Server)?;
            }
        }
    }
    Ok(())
}

fn tls_marker<P: Protocol>(
    machine: &mut P,
    starttls: &mut bool,
    line: usize,
    side: Side,
) -> Result<(), ReplayError> {
    let (_, t) = drain_transmit(machine);
    if !(*starttls || t) {
        return Err(ReplayError {
            line,
            side,
            reason: "TLS marker, but the machine did not ask for a TLS upgrade".into(),
        });
    }
    *starttls = false;
    machine.handle_tls_established();
    Ok(())
}

type Callback<'a, P> = dyn FnMut(&mut P, &Stream) -> Result<(), String> + 'a;
type EventCallback<'a, P> =
    dyn FnMut(&mut P, Vec<<P as Protocol>::Event>, &Stream) -> Result<(), String> + 'a;

fn replay<P: Protocol>(
    transcript: &Transcript,
    machine: &mut P,
    chunking: Chunking,
    own: Side,
    send: &mut Callback<'_, P>,
    check: &mut EventCallback<'_, P>,
) -> Result<(), ReplayError> {
    let mut chunker = chunking.chunker();
    let mut sent = Vec::new();
    let mut starttls = false;
    for step in &transcript.steps {
        match step {
            Step::Stream(s) if s.side == own => {
                send(machine, s).map_err(|reason| ReplayError {
                    line: s.line_of(0),
                    side: own,
                    reason,
                })?;
                let (b, t) = drain_transmit(machine);
                sent.extend_from_slice(&b);
                starttls |= t;
                compare(&std::mem::take(&mut sent), s)?;
            }
            Step::Stream(s) => {
                let events = feed(machine, &s.bytes, &mut chunker);
                let (b, t) = drain_transmit(machine);
                sent.extend_from_slice(&b);
                starttls |= t;
                check(machine, events, s).map_err(|reason| ReplayError {
                    line: s.line_of(0),
                    side: s.side,
                    reason,
                })?;
            }
            Step::Tls { line } => tls_marker(machine, &mut starttls, *line, own)?,
        }
    }
    Ok(())
}
