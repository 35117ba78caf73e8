//! Throughput of the parser on generated messages.

fn main() {}
