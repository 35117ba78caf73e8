//! Line parsers. Every function takes one complete line without its CRLF (framing comes
//! first) and returns owned values whose byte fields are slices of the line.

use bytes::Bytes;
use mailwire_core::Secret;

use crate::error::ParseError;
use crate::types::{
    Capability, Command, Continuation, ExpirePolicy, MsgNum, ResponseCode, ScanListing, Stat,
    Status, StatusKind, Text, UidlListing, Word, b64_decode,
};

/// Splits `line` at runs of spaces, yielding non-empty slices.
fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

fn word(line: &Bytes, w: &[u8]) -> Result<Word, ParseError> {
    Word::new(line.slice_ref(w)).map_err(|_| ParseError::Argument)
}

fn text(line: &Bytes, t: &[u8]) -> Result<Text, ParseError> {
    Text::new(line.slice_ref(t)).map_err(|_| ParseError::Argument)
}

pub(crate) fn number<T: core::str::FromStr>(w: &[u8]) -> Result<T, ParseError> {
    if w.is_empty() || w.len() > 20 || !w.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::Number);
    }
    core::str::from_utf8(w).ok().and_then(|s| s.parse().ok()).ok_or(ParseError::Number)
}

fn msg(w: &[u8]) -> Result<MsgNum, ParseError> {
    MsgNum::new(number(w)?).ok_or(ParseError::Number)
}

fn no_args(args: &[&[u8]], cmd: Command) -> Result<Command, ParseError> {
    if args.is_empty() { Ok(cmd) } else { Err(ParseError::TooManyArguments) }
}

fn opt_msg(args: &[&[u8]]) -> Result<Option<MsgNum>, ParseError> {
    match args {
        [] => Ok(None),
        [n] => msg(n).map(Some),
        _ => Err(ParseError::TooManyArguments),
    }
}

fn one<'a>(args: &[&'a [u8]]) -> Result<&'a [u8], ParseError> {
    match args {
        [] => Err(ParseError::MissingArgument),
        [a] => Ok(a),
        _ => Err(ParseError::TooManyArguments),
    }
}

/// At most this many arguments are looked at; more is an error for every known command.
const MAX_ARGS: usize = 4;

pub(crate) fn command(line: &Bytes) -> Result<Command, ParseError> {
    let (keyword, rest) = match memchr::memchr(b' ', line) {
        Some(sp) => (line.get(..sp).unwrap_or_default(), line.get(sp + 1..).unwrap_or_default()),
        None => (&line[..], &[][..]),
    };
    if keyword.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut upper = [0u8; 4];
    let known = keyword.len() <= 4;
    if known {
        for (d, s) in upper.iter_mut().zip(keyword) {
            *d = s.to_ascii_uppercase();
        }
    }
    let kw = upper.get(..keyword.len()).unwrap_or_default();
    let mut args: Vec<&[u8]> = Vec::new();
    for w in words(rest) {
        if args.len() == MAX_ARGS {
            break;
        }
        args.push(w);
    }
    let args = &args[..];
    match kw {
        b"USER" if known => Ok(Command::User(word(line, one(args)?)?)),
        b"PASS" if known => {
            if rest.is_empty() {
                return Err(ParseError::MissingArgument);
            }
            Ok(Command::Pass(Secret::new(text(line, rest)?)))
        }
        b"APOP" if known => match args {
            [name, digest] => Ok(Command::Apop {
                name: word(line, name)?,
                digest: crate::types::parse_digest(digest).ok_or(ParseError::Digest)?,
            }),
            [] | [_] => Err(ParseError::MissingArgument),
            _ => Err(ParseError::TooManyArguments),
        },
        b"AUTH" if known => match args {
            [] => Err(ParseError::MissingArgument),
            [mech] => Ok(Command::Auth { mechanism: word(line, mech)?, initial_response: None }),
            [mech, ir] => Ok(Command::Auth {
                mechanism: word(line, mech)?,
                initial_response: Some(Secret::new(if *ir == b"=" {
                    Vec::new()
                } else {
                    b64_decode(ir)?
                })),
            }),
            _ => Err(ParseError::TooManyArguments),
        },
        b"STAT" if known => no_args(args, Command::Stat),
        b"LIST" if known => Ok(Command::List(opt_msg(args)?)),
        b"RETR" if known => Ok(Command::Retr(msg(one(args)?)?)),
        b"DELE" if known => Ok(Command::Dele(msg(one(args)?)?)),
        b"NOOP" if known => no_args(args, Command::Noop),
        b"RSET" if known => no_args(args, Command::Rset),
        b"QUIT" if known => no_args(args, Command::Quit),
        b"TOP" if known => match args {
            [m, n] => Ok(Command::Top { msg: msg(m)?, lines: number(n)? }),
            [] | [_] => Err(ParseError::MissingArgument),
            _ => Err(ParseError::TooManyArguments),
        },
        b"UIDL" if known => Ok(Command::Uidl(opt_msg(args)?)),
        b"CAPA" if known => no_args(args, Command::Capa),
        b"STLS" if known => no_args(args, Command::Stls),
        b"UTF8" if known => no_args(args, Command::Utf8),
        b"LANG" if known => match args {
            [] => Ok(Command::Lang(None)),
            [tag] => Ok(Command::Lang(Some(word(line, tag)?))),
            _ => Err(ParseError::TooManyArguments),
        },
        _ => Ok(Command::Unknown { keyword: word(line, keyword)?, args: text(line, rest)? }),
    }
}

pub(crate) fn status(line: &Bytes) -> Result<Status, ParseError> {
    let (kind, rest) = if line.len() >= 3
        && line.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(b"+OK"))
    {
        (StatusKind::Ok, line.get(3..).unwrap_or_default())
    } else if line.len() >= 4 && line.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"-ERR")) {
        (StatusKind::Err, line.get(4..).unwrap_or_default())
    } else {
        return Err(if line.is_empty() { ParseError::Empty } else { ParseError::NotStatus });
    };
    let rest = match rest {
        [] => rest,
        [b' ', tail @ ..] => tail,
        _ => return Err(ParseError::NotStatus),
    };
    let (code, rest) = response_code(line, rest);
    Ok(Status::new(kind, code, text(line, rest)?))
}

fn response_code<'a>(line: &Bytes, rest: &'a [u8]) -> (Option<ResponseCode>, &'a [u8]) {
    let Some(inner) = rest.strip_prefix(b"[") else { return (None, rest) };
    let Some(close) = memchr::memchr(b']', inner) else { return (None, rest) };
    let code = inner.get(..close).unwrap_or_default();
    let Ok(w) = Word::new(line.slice_ref(code)) else { return (None, rest) };
    let Ok(code) = ResponseCode::new(w.to_bytes()) else { return (None, rest) };
    let after = inner.get(close + 1..).unwrap_or_default();
    let after = after.strip_prefix(b" ").unwrap_or(after);
    (Some(code), after)
}

pub(crate) fn continuation(line: &[u8]) -> Result<Continuation, ParseError> {
    let data = match line {
        [b'+'] => &[][..],
        [b'+', b' ', data @ ..] => data,
        _ => return Err(ParseError::NotContinuation),
    };
    Ok(Continuation(b64_decode(data)?))
}

pub(crate) fn stat(t: &[u8]) -> Result<Stat, ParseError> {
    let mut w = words(t);
    let count = number(w.next().ok_or(ParseError::MissingArgument)?)?;
    let size = number(w.next().ok_or(ParseError::MissingArgument)?)?;
    Ok(Stat { count, size })
}

pub(crate) fn scan(t: &[u8]) -> Result<ScanListing, ParseError> {
    let mut w = words(t);
    let m = msg(w.next().ok_or(ParseError::MissingArgument)?)?;
    let size = number(w.next().ok_or(ParseError::MissingArgument)?)?;
    Ok(ScanListing { msg: m, size })
}

pub(crate) fn uidl(line: &Bytes) -> Result<UidlListing, ParseError> {
    let mut w = words(line);
    let m = msg(w.next().ok_or(ParseError::MissingArgument)?)?;
    let uid = word(line, w.next().ok_or(ParseError::MissingArgument)?)?;
    Ok(UidlListing { msg: m, uid })
}

fn user_flag(rest: &[&[u8]]) -> Result<bool, ParseError> {
    match rest {
        [] => Ok(false),
        [u] if u.eq_ignore_ascii_case(b"USER") => Ok(true),
        _ => Err(ParseError::Capability),
    }
}

pub(crate) fn capability(line: &Bytes) -> Result<Capability, ParseError> {
    let (tag, params) = match memchr::memchr(b' ', line) {
        Some(sp) => (line.get(..sp).unwrap_or_default(), line.get(sp + 1..).unwrap_or_default()),
        None => (&line[..], &[][..]),
    };
    if tag.is_empty() {
        return Err(ParseError::Empty);
    }
    let args: Vec<&[u8]> = words(params).take(64).collect();
    let upper = tag.to_ascii_uppercase();
    let plain = |c: Capability| if args.is_empty() { Some(c) } else { None };
    let known = match &upper[..] {
        b"TOP" => plain(Capability::Top),
        b"UIDL" => plain(Capability::Uidl),
        b"USER" => plain(Capability::User),
        b"RESP-CODES" => plain(Capability::RespCodes),
        b"AUTH-RESP-CODE" => plain(Capability::AuthRespCode),
        b"PIPELINING" => plain(Capability::Pipelining),
        b"STLS" => plain(Capability::Stls),
        b"LANG" => plain(Capability::Lang),
        b"SASL" => {
            Some(Capability::Sasl(words(params).map(|m| word(line, m)).collect::<Result<_, _>>()?))
        }
        b"EXPIRE" => match args.split_first() {
            Some((p, rest)) => Some(Capability::Expire {
                policy: if p.eq_ignore_ascii_case(b"NEVER") {
                    ExpirePolicy::Never
                } else {
                    ExpirePolicy::Days(number(p).map_err(|_| ParseError::Capability)?)
                },
                per_user: user_flag(rest)?,
            }),
            None => return Err(ParseError::Capability),
        },
        b"LOGIN-DELAY" => match args.split_first() {
            Some((s, rest)) => Some(Capability::LoginDelay {
                seconds: number(s).map_err(|_| ParseError::Capability)?,
                per_user: user_flag(rest)?,
            }),
            None => return Err(ParseError::Capability),
        },
        b"UTF8" => Some(Capability::Utf8 { user: user_flag(&args)? }),
        b"IMPLEMENTATION" => Some(Capability::Implementation(text(line, params)?)),
        _ => None,
    };
    match known {
        Some(c) => Ok(c),
        None => Ok(Capability::Other { tag: word(line, tag)?, params: text(line, params)? }),
    }
}
