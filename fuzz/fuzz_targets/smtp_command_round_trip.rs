#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mailwire_smtp::fuzzing::command_round_trip(data));
