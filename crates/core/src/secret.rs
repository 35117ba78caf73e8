//! A wrapper that keeps credentials out of logs.

use core::fmt;

/// A credential (password, token, SASL response) whose `Debug` output is a placeholder.
///
/// The value is reachable only through [`Secret::expose`], so every place that reads it is
/// visible in review. `Secret` implements neither `Display` nor `Serialize`-like traits, and
/// errors in mailwire never carry one.
///
/// ```
/// use mailwire_core::Secret;
///
/// let password = Secret::new(String::from("hunter2"));
/// assert_eq!(format!("{password:?}"), "Secret(<redacted>)");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// Borrows the value inside. Call it only where the credential must really be used.
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        #[derive(Debug)]
        #[allow(dead_code, reason = "only printed")]
        struct Login {
            user: String,
            pass: Secret<String>,
        }
        let s = Secret::new("pa55word");
        let shown = format!("{s:?} {s:#?}");
        assert!(!shown.contains("pa55word"));
        let l = Login { user: "ann".into(), pass: Secret::new("topsecret".into()) };
        let shown = format!("{l:?}");
        assert!(shown.contains("ann") && !shown.contains("topsecret"));
    }

    #[test]
    fn expose_and_into_inner_give_the_value() {
        let s: Secret<Vec<u8>> = vec![1, 2].into();
        assert_eq!(s.expose(), &[1, 2]);
        assert_eq!(s.into_inner(), vec![1, 2]);
    }
}
