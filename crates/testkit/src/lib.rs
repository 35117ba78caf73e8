//! Test harness for mailwire (not published).
#![forbid(unsafe_code)]
