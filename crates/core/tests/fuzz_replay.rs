//! Runs the fuzz target bodies on stable: every saved input under `fuzz/regressions/<target>/`
//! and generated inputs, so a fuzz finding stays fixed without a nightly toolchain.
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    reason = "test code reads its saved inputs; a panic is a failed test"
)]

use std::path::Path;

use proptest::prelude::*;

fn replay_dir(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        body(&std::fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count > 0, "no saved inputs in {}", dir.display());
}

#[test]
fn saved_framer_inputs() {
    replay_dir("core_framer", mailwire_core::fuzzing::framer);
}

#[test]
fn saved_dot_inputs() {
    replay_dir("core_dot", mailwire_core::fuzzing::dot);
}

fn wire_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'.'), any::<u8>()],
        0..300,
    )
}

proptest! {
    #[test]
    fn framer_invariants(data in wire_bytes()) {
        mailwire_core::fuzzing::framer(&data);
    }

    #[test]
    fn dot_invariants(data in wire_bytes()) {
        mailwire_core::fuzzing::dot(&data);
    }
}
