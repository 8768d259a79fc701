//! Desk sessions: random ids held by the browser in an HttpOnly cookie, of which the registry
//! keeps only the SHA-256; a CSRF token per session checked on every form; idle and absolute
//! expiry.

use std::time::Duration;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "eucdoc_desk";
/// Name of the cookie that carries the sign-in form's CSRF token (no session exists yet: the
/// form and the cookie must agree, "double submit").
pub const SIGN_IN_CSRF_COOKIE: &str = "eucdoc_desk_signin";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "eucdoc_lang";

/// A new random secret (256 bits, URL-safe base64): session ids and CSRF tokens.
pub fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    // OpenSSL's CSPRNG; it fails only when the system has no entropy, which nothing here fixes.
    if openssl::rand::rand_bytes(&mut bytes).is_err() {
        bytes = openssl::sha::sha256(uuid::Uuid::new_v4().as_bytes());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the registry keeps of a session id.
pub fn id_hash(id: &str) -> String {
    hex::encode(openssl::sha::sha256(id.as_bytes()))
}

/// Whether a submitted CSRF token is the expected one (constant time).
pub fn csrf_matches(expected: &str, submitted: &str) -> bool {
    expected.len() == submitted.len()
        && !expected.is_empty()
        && openssl::memcmp::eq(expected.as_bytes(), submitted.as_bytes())
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute: Duration,
}

impl Lifetimes {
    /// The absolute expiry of a session that starts at `now`.
    pub fn expires_at(&self, now: time::UtcDateTime) -> time::UtcDateTime {
        now + self.absolute
    }

    /// Sessions last seen before this are idle.
    pub fn idle_since(&self, now: time::UtcDateTime) -> time::UtcDateTime {
        now - self.idle
    }

    /// A session's last-seen time is written again only when older than this: a tenth of the
    /// idle time, at most a minute (a session may so end that much before its idle time).
    pub fn touch_before(&self, now: time::UtcDateTime) -> time::UtcDateTime {
        now - (self.idle / 10).min(Duration::from_secs(60))
    }
}

/// The `Set-Cookie` value for `name=value`: HttpOnly, SameSite=Strict, on /desk only, Secure
/// when served over TLS; `max_age` seconds (0 deletes it).
pub fn cookie(name: &str, value: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/desk; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(id_hash(&a).len(), 64);
        assert_ne!(id_hash(&a), a);
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(csrf_matches("abc", "abc"));
        assert!(!csrf_matches("abc", "abd"));
        assert!(!csrf_matches("abc", "ab"));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn cookies_are_read_and_written_strictly() {
        let header = "a=1; eucdoc_desk=xyz; eucdoc_lang=ru";
        assert_eq!(cookie_value(header, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie_value(header, LANG_COOKIE), Some("ru"));
        assert_eq!(cookie_value(header, "b"), None);
        let set = cookie(SESSION_COOKIE, "xyz", 60, true);
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Max-Age=60",
            "Path=/desk",
        ] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!cookie(SESSION_COOKIE, "xyz", 60, false).contains("Secure"));
    }

    #[test]
    fn lifetimes_bound_a_session() {
        let lifetimes = Lifetimes {
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(3600),
        };
        let now = time::UtcDateTime::UNIX_EPOCH + Duration::from_secs(10_000);
        assert_eq!(
            lifetimes.expires_at(now) - now,
            time::Duration::seconds(3600)
        );
        assert_eq!(now - lifetimes.idle_since(now), time::Duration::seconds(60));
        assert_eq!(
            now - lifetimes.touch_before(now),
            time::Duration::seconds(6)
        );
    }
}
