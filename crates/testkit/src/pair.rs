//! Two machines back to back.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use mailwire_core::{Protocol, TransportAction};

use crate::{Chunker, Chunking};

/// What one end of the in-memory connection has asked of the transport.
#[derive(Debug, Default)]
struct End {
    /// Bytes written by this end, not yet delivered to the peer.
    outbox: VecDeque<Bytes>,
    /// Asked for a TLS handshake; waits for the peer to ask too.
    tls_pending: bool,
    /// Asked to close; EOF reaches the peer once the outbox is delivered.
    closing: bool,
    /// EOF already delivered to the peer.
    eof_sent: bool,
}

/// A client and a server machine wired back to back in memory.
///
/// [`drive`](Self::drive) moves bytes between them, cut by the [`Chunking`], until neither has
/// anything more to say. A TLS upgrade happens when both machines have asked for it
/// ([`TransportAction::StartTls`]) and no byte is in flight: both then get
/// `handle_tls_established`. A `Close` delivers EOF to the peer after the closing side's bytes.
/// Bytes sent to a side waiting for TLS are held back (a real handshake would consume them).
///
/// Events are collected in [`client_events`](Self::client_events) and
/// [`server_events`](Self::server_events); the wire bytes in [`wire`](Self::wire).
#[derive(Debug)]
pub struct Pair<C: Protocol, S: Protocol> {
    /// The client machine: call its command verbs, then [`drive`](Self::drive).
    pub client: C,
    /// The server machine: answer its events, then [`drive`](Self::drive).
    pub server: S,
    /// Events the client emitted, oldest first.
    pub client_events: Vec<C::Event>,
    /// Events the server emitted, oldest first.
    pub server_events: Vec<S::Event>,
    /// Every byte written, in order, tagged `true` for the client, `false` for the server;
    /// TLS upgrades are recorded as empty entries tagged with the side that finished last.
    pub wire: Vec<(bool, Bytes)>,
    /// How many TLS upgrades happened.
    pub tls_upgrades: usize,
    chunker: Chunker,
    c: End,
    s: End,
}

/// Bound on drive rounds: a pair that still makes progress after this many is livelocked.
const MAX_ROUNDS: usize = 10_000_000;

impl<C: Protocol, S: Protocol> Pair<C, S> {
    /// Wires two machines together.
    pub fn new(client: C, server: S, chunking: Chunking) -> Self {
        Self {
            client,
            server,
            client_events: Vec::new(),
            server_events: Vec::new(),
            wire: Vec::new(),
            tls_upgrades: 0,
            chunker: chunking.chunker(),
            c: End::default(),
            s: End::default(),
        }
    }

    /// Runs both machines until neither transmits, asks for anything or emits an event.
    ///
    /// # Panics
    ///
    /// If the machines never settle (a livelock).
    pub fn drive(&mut self) {
        for _ in 0..MAX_ROUNDS {
            if !self.step() {
                return;
            }
        }
        #[allow(clippy::panic, reason = "a test harness reports a livelock by failing the test")]
        {
            panic!("Pair::drive: the machines never settled");
        }
    }

    /// One round; true if anything happened.
    fn step(&mut self) -> bool {
        let mut progress = false;
        progress |=
            collect(&mut self.client, &mut self.c, &mut self.client_events, &mut self.wire, true);
        progress |=
            collect(&mut self.server, &mut self.s, &mut self.server_events, &mut self.wire, false);
        if !self.s.tls_pending {
            progress |= deliver(&mut self.c, &mut self.s, &mut self.server, &mut self.chunker);
        }
        if !self.c.tls_pending {
            progress |= deliver(&mut self.s, &mut self.c, &mut self.client, &mut self.chunker);
        }
        if self.c.tls_pending
            && self.s.tls_pending
            && self.c.outbox.is_empty()
            && self.s.outbox.is_empty()
        {
            self.c.tls_pending = false;
            self.s.tls_pending = false;
            self.tls_upgrades += 1;
            self.wire.push((true, Bytes::new()));
            self.server.handle_tls_established();
            self.client.handle_tls_established();
            progress = true;
        }
        progress
    }

    /// Tells the client its wait expired, then drives.
    pub fn client_timeout(&mut self) {
        self.client.handle_timeout();
        self.drive();
    }

    /// Tells the server its wait expired, then drives.
    pub fn server_timeout(&mut self) {
        self.server.handle_timeout();
        self.drive();
    }

    /// Takes the client's events collected so far.
    pub fn take_client_events(&mut self) -> Vec<C::Event> {
        std::mem::take(&mut self.client_events)
    }

    /// Takes the server's events collected so far.
    pub fn take_server_events(&mut self) -> Vec<S::Event> {
        std::mem::take(&mut self.server_events)
    }

    /// All bytes one side wrote, concatenated (TLS markers skipped).
    pub fn sent_by(&self, client: bool) -> Vec<u8> {
        let mut out = BytesMut::new();
        for (side, b) in &self.wire {
            if *side == client {
                out.extend_from_slice(b);
            }
        }
        out.to_vec()
    }

    /// The session so far in the transcript format (`C: `/`S: ` lines, `== TLS` markers).
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        for (client, b) in &self.wire {
            if b.is_empty() {
                out.push_str("== TLS established\n");
                continue;
            }
            let prefix = if *client { "C: " } else { "S: " };
            for line in String::from_utf8_lossy(b).split_inclusive("\r\n") {
                out.push_str(prefix);
                out.push_str(line.trim_end_matches("\r\n"));
                out.push('\n');
            }
        }
        out
    }
}

fn collect<P: Protocol>(
    machine: &mut P,
    end: &mut End,
    events: &mut Vec<P::Event>,
    wire: &mut Vec<(bool, Bytes)>,
    client: bool,
) -> bool {
    let mut progress = false;
    while let Some(b) = machine.poll_transmit() {
        if !b.is_empty() {
            wire.push((client, b.clone()));
            end.outbox.push_back(b);
        }
        progress = true;
    }
    while let Some(action) = machine.poll_transport() {
        match action {
            TransportAction::StartTls { .. } => end.tls_pending = true,
            TransportAction::Close => end.closing = true,
        }
        progress = true;
    }
    while let Some(e) = machine.poll_event() {
        events.push(e);
        progress = true;
    }
    progress
}

fn deliver<P: Protocol>(
    from: &mut End,
    to: &mut End,
    machine: &mut P,
    chunker: &mut Chunker,
) -> bool {
    let _ = to;
    let mut progress = false;
    if !from.outbox.is_empty() {
        // Everything in flight arrives together (so `Whole` exercises pipelined input).
        let mut all = BytesMut::new();
        for b in from.outbox.drain(..) {
            all.extend_from_slice(&b);
        }
        for piece in chunker.split(&all) {
            machine.handle_input(piece);
        }
        progress = true;
    }
    if from.closing && !from.eof_sent {
        from.eof_sent = true;
        machine.handle_eof();
        progress = true;
    }
    progress
}
