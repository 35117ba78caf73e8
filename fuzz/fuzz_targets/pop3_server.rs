#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mailwire_pop3::fuzzing::server(data));
