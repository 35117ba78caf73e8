//! Fuzz target bodies, in the library so that stable tests can replay saved inputs.
//!
//! Each body feeds a server-side mechanism (through [`crate::ServerExchange`], so base64, `*`
//! and the limits are exercised too) a sequence of client lines taken from the input, split
//! at `\n`. The first line is the initial response when the input starts with `I`. The
//! invariants: the exchange ends within its step limit, nothing after its end resurrects it,
//! and success is only ever granted to the one known user.
