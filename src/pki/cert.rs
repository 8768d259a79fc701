//! Certificates: parsing through one process-wide cache, and the extensions both `sign` and
//! `verify` read (key usage, extended key usage, OCSP no-check, the development marker).

use der::Decode;
use openssl::x509::X509;
use x509_cert::ext::Extension;

use super::oid;

/// Parses a certificate (DER) through a small process-wide cache. OpenSSL 3.0 takes ~0.13 ms to
/// decode one (its provider-based key decoders), more than the rest of a verification, and the
/// same CA, TSA and responder certificates recur in every document. Keyed by the DER's SHA-256;
/// bounded (cleared when full).
pub fn parse(der: &[u8]) -> Result<X509, openssl::error::ErrorStack> {
    static CACHE: Memo<X509> = Memo::new();
    CACHE.get_or_try(&[der], || X509::from_der(der))
}

/// A small process-wide memo of a pure function of DER inputs (certificates, CRLs): keyed by the
/// SHA-256 of the inputs, bounded (cleared when full). Verifications see the same CA, TSA and
/// responder certificates and the same CRLs again and again.
pub(crate) struct Memo<V> {
    map: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<[u8; 32], V>>>,
}

impl<V: Clone> Memo<V> {
    const CAPACITY: usize = 4096;

    pub(crate) const fn new() -> Self {
        Memo {
            map: std::sync::OnceLock::new(),
        }
    }

    /// The value for `inputs`, computed by `compute` when not known.
    pub(crate) fn get_or(&self, inputs: &[&[u8]], compute: impl FnOnce() -> V) -> V {
        let value: Result<V, std::convert::Infallible> = self.get_or_try(inputs, || Ok(compute()));
        value.unwrap_or_else(|never| match never {})
    }

    /// The value for `inputs`, computed by `compute` when not known; errors are not kept.
    pub(crate) fn get_or_try<E>(
        &self,
        inputs: &[&[u8]],
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let key = Self::key(inputs);
        if let Some(value) = self.get(&key) {
            return Ok(value);
        }
        let value = compute()?;
        self.put(key, value.clone());
        Ok(value)
    }

    /// The key of `inputs`: SHA-256 over each input with its length.
    pub(crate) fn key(inputs: &[&[u8]]) -> [u8; 32] {
        let mut hasher = openssl::sha::Sha256::new();
        for input in inputs {
            hasher.update(&(input.len() as u64).to_be_bytes());
            hasher.update(input);
        }
        hasher.finish()
    }

    /// The value kept for `key`, if any.
    pub(crate) fn get(&self, key: &[u8; 32]) -> Option<V> {
        let map = self.map.get_or_init(Default::default);
        map.lock().ok().and_then(|m| m.get(key).cloned())
    }

    /// Keeps `value` for `key` (the memo is cleared when full).
    pub(crate) fn put(&self, key: [u8; 32], value: V) {
        let map = self.map.get_or_init(Default::default);
        if let Ok(mut map) = map.lock() {
            if map.len() >= Self::CAPACITY {
                map.clear();
            }
            map.insert(key, value);
        }
    }
}

/// Each distinct certificate once, parsed: documents carry the same ones in the CMS and the
/// DSS. Unreadable ones are left out.
pub fn unique(ders: &[Vec<u8>]) -> Vec<X509> {
    let mut seen = std::collections::HashSet::new();
    ders.iter()
        .filter(|der| seen.insert(der.as_slice()))
        .filter_map(|der| parse(der).ok())
        .collect()
}

/// A certificate's extensions (none when it cannot be read).
pub fn extensions_of(der: &[u8]) -> Vec<Extension> {
    x509_cert::Certificate::from_der(der)
        .ok()
        .and_then(|c| c.tbs_certificate.extensions)
        .unwrap_or_default()
}

/// Whether the key usage allows nonRepudiation (contentCommitment): a SIGN key, in Kazakh
/// terms, rather than an AUTH key.
pub fn has_non_repudiation(der: &[u8]) -> bool {
    static CACHE: Memo<bool> = Memo::new();
    CACHE.get_or(&[der], || {
        extensions_of(der)
            .iter()
            .find(|e| e.extn_id == oid::ID_CE_KEY_USAGE)
            .and_then(|e| x509_cert::ext::pkix::KeyUsage::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|usage| usage.non_repudiation())
    })
}

/// The extended key usage OIDs (dotted), in order; the first extension only (RFC 5280 forbids
/// a repeated one).
pub fn eku_of(der: &[u8]) -> Vec<String> {
    extensions_of(der)
        .iter()
        .find(|e| e.extn_id == oid::ID_CE_EXT_KEY_USAGE)
        .and_then(|e| {
            x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok()
        })
        .map(|eku| eku.0.iter().map(|oid| oid.to_string()).collect())
        .unwrap_or_default()
}

/// Whether the certificate may sign timestamps (id-kp-timeStamping).
pub fn has_time_stamping_eku(der: &[u8]) -> bool {
    let wanted = oid::ID_KP_TIME_STAMPING.to_string();
    eku_of(der).contains(&wanted)
}

/// RFC 6960, 4.2.2.2.1: a responder certificate with id-pkix-ocsp-nocheck needs no check.
pub fn has_ocsp_nocheck(cert: &X509) -> bool {
    static CACHE: Memo<bool> = Memo::new();
    cert.to_der().is_ok_and(|der| {
        CACHE.get_or(&[&der], || {
            extensions_of(&der)
                .iter()
                .any(|e| e.extn_id == oid::ID_PKIX_OCSP_NOCHECK)
        })
    })
}

/// Whether a certificate (DER) is signed with GOST (Kazakh or TC 26 OIDs): OpenSSL cannot
/// check it, [`crate::gost`] does.
pub fn is_gost_signed(der: &[u8]) -> bool {
    static CACHE: Memo<bool> = Memo::new();
    CACHE.get_or(&[der], || {
        x509_cert::Certificate::from_der(der)
            .is_ok_and(|c| crate::gost::is_gost(&c.signature_algorithm.oid.to_string()))
    })
}

/// The subject's distinguished name as text (RFC 4514 order), empty when unreadable.
pub fn subject_of(der: &[u8]) -> String {
    // Names print through const-oid's database, searched linearly per attribute: memoised.
    static CACHE: Memo<String> = Memo::new();
    CACHE
        .get_or_try(&[der], || {
            x509_cert::Certificate::from_der(der).map(|c| c.tbs_certificate.subject.to_string())
        })
        .unwrap_or_default()
}

/// Marker in every development CA name ([`crate::devpki`]); [`is_development_certificate`]
/// looks for it.
pub const DEV_MARKER: &str = "EUCDOC DEV";

/// Whether a certificate comes from the development PKI (documents signed with it must say
/// they are test documents). Memoised: the signer's certificate and chain are asked about for
/// every issued document.
pub fn is_development_certificate(der: &[u8]) -> bool {
    static CACHE: Memo<bool> = Memo::new();
    CACHE.get_or(&[der], || {
        x509_cert::Certificate::from_der(der).is_ok_and(|c| {
            c.tbs_certificate.issuer.to_string().contains(DEV_MARKER)
                || c.tbs_certificate.subject.to_string().contains(DEV_MARKER)
        })
    })
}
