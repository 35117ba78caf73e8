//! RETR throughput of the client machine (placeholder until the bench lands).
fn main() {}
