#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mailwire_mime::imap::fuzzing::imap_structure(data);
});
