//! The key operation, behind the [`Signer`] trait: the PDF and CMS code never touch a key, so a
//! PKCS#11 token or a GOST backend can be added without changing them.

use der::Decode;
use openssl::hash::MessageDigest;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{Id, PKey, Private};
use x509_cert::Certificate;
use x509_cert::ext::pkix::KeyUsage;

use super::SignError;

/// The signature algorithms eucdoc signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA PKCS#1 v1.5 with SHA-256 (2048 to 4096 bits).
    RsaSha256,
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384Sha384,
    /// GOST 34.10-2015 512-bit with Streebog-512 (Kazakh OIDs), a software key (`GostSigner`).
    Gost2015With512,
}

impl KeyAlgorithm {
    /// The digest used for the document and the signed attributes.
    pub fn digest(self) -> Digest {
        match self {
            KeyAlgorithm::RsaSha256 | KeyAlgorithm::EcdsaP256Sha256 => Digest::Sha256,
            KeyAlgorithm::EcdsaP384Sha384 => Digest::Sha384,
            KeyAlgorithm::Gost2015With512 => Digest::Streebog512,
        }
    }
}

/// Digest algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// GOST 34.11-2015 Streebog-512.
    Streebog512,
}

impl Digest {
    /// Hashes `data`.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Digest::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Digest::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Digest::Streebog512 => crate::gost::streebog512(data).to_vec(),
        }
    }

    /// Hashes the concatenation of `parts` (the two signed ranges of a PDF).
    pub fn hash_parts(self, parts: &[&[u8]]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Digest::Sha256 => {
                let mut h = sha2::Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            }
            Digest::Sha384 => {
                let mut h = sha2::Sha384::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            }
            Digest::Streebog512 => {
                let mut h = streebog::Streebog512::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            }
        }
    }

    /// OpenSSL's digest, when OpenSSL has it (not Streebog).
    fn openssl(self) -> Option<MessageDigest> {
        match self {
            Digest::Sha256 => Some(MessageDigest::sha256()),
            Digest::Sha384 => Some(MessageDigest::sha384()),
            Digest::Streebog512 => None,
        }
    }
}

/// Whatever holds the private key.
pub trait Signer: Send + Sync {
    /// The signer's certificate (DER).
    fn certificate_der(&self) -> &[u8];
    /// The rest of the chain (DER), issuer first; embedded in the signature.
    fn chain_der(&self) -> &[Vec<u8>];
    /// The algorithm of [`Signer::sign`].
    fn algorithm(&self) -> KeyAlgorithm;
    /// Signs `message` (hashing it with [`KeyAlgorithm::digest`]); the only place a key is used.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// OpenSSL's legacy provider, which NCA key stores need (see [`crate::pki::ossl::load_providers`]).
fn load_providers() -> Result<(), SignError> {
    crate::pki::ossl::load_providers().map_err(|e| {
        SignError::KeyStore(format!(
            "cannot load OpenSSL's legacy provider (needed for NCA key stores): {e}"
        ))
    })
}

/// What a key store holds, decrypted: the key's PrivateKeyInfo (DER, zeroized when dropped)
/// and the certificates of its certificate bags (DER).
pub(crate) struct KeyStoreContents {
    pub(crate) key_info: zeroize::Zeroizing<Vec<u8>>,
    pub(crate) certificates: Vec<Vec<u8>>,
}

/// Decrypts a PKCS#12 key store (OpenSSL's legacy provider for the NCA's RC2-40 certificate
/// bags, 3DES key bags and SHA-1 MAC). Errors name what is wrong in plain words and never echo
/// the password.
pub(crate) fn read_key_store(p12: &[u8], password: &str) -> Result<KeyStoreContents, SignError> {
    use crate::pki::ossl::{Pkcs12Failure, pkcs12_contents};
    load_providers()?;
    if p12.is_empty() {
        return Err(SignError::KeyStore(
            "the file is empty, not a PKCS#12 key store".into(),
        ));
    }
    if password.contains('\0') {
        return Err(SignError::KeyStore(
            "the password contains a NUL character".into(),
        ));
    }
    let store = Pkcs12::from_der(p12).map_err(|_| {
        SignError::KeyStore(format!(
            "not a PKCS#12 key store ({} bytes that do not parse as one; truncated?)",
            p12.len()
        ))
    })?;
    let contents = pkcs12_contents(&store, password).map_err(|failure| match failure {
        Pkcs12Failure::WrongPassword => SignError::WrongPassword,
        Pkcs12Failure::UnusablePassword => {
            SignError::KeyStore("the password cannot be used (too long)".into())
        }
    })?;
    let key_info = contents
        .key_info
        .ok_or_else(|| SignError::KeyStore("the key store holds no private key".into()))?;
    if contents.certificates.is_empty() {
        return Err(SignError::KeyStore(
            "the key store holds no certificate".into(),
        ));
    }
    Ok(KeyStoreContents {
        key_info,
        certificates: contents.certificates,
    })
}

/// Splits a key store's certificates into the one holding the key (`holds_key`) and the rest,
/// in the store's order (the chain).
fn split_certificates(
    certificates: Vec<Vec<u8>>,
    holds_key: impl Fn(&[u8]) -> bool,
) -> Result<(Vec<u8>, Vec<Vec<u8>>), SignError> {
    let count = certificates.len();
    let position = certificates
        .iter()
        .position(|c| holds_key(c))
        .ok_or_else(|| {
            SignError::KeyStore(format!(
                "none of the key store's {count} certificate(s) belongs to its private key"
            ))
        })?;
    let mut chain = certificates;
    let certificate = chain.remove(position);
    Ok((certificate, chain))
}

/// Kazakhstan's GOST 34.310-2004 key algorithm (the NCA's generation before GOST 2015).
const GOST_2004_KEY: &str = "1.2.398.3.10.1.1.1.1";

/// A key from a PKCS#12 key store as Kazakhstan's CA issues them, whatever its algorithm:
/// GOST 34.10-2015 512-bit, RSA or ECDSA. The algorithm is read from the store; the
/// certificate and its chain come from the store itself.
#[derive(Debug)]
pub enum KeyStoreSigner {
    /// An RSA or ECDSA key (OpenSSL).
    Software(Pkcs12Signer),
    /// A GOST 34.10-2015 512-bit key.
    Gost(GostSigner),
}

impl KeyStoreSigner {
    /// Opens a key store for signing at `now` (Unix seconds). Refuses, in words a person
    /// understands: not a key store, a wrong password, an unsupported key (GOST 34.310-2004 is
    /// named), a key that may not sign documents (an AUTH key: no nonRepudiation), a
    /// certificate outside its validity at `now`.
    pub fn open(p12: &[u8], password: &str, now: i64) -> Result<Self, SignError> {
        let contents = read_key_store(p12, password)?;
        let info = pkcs8::PrivateKeyInfo::from_der(&contents.key_info)
            .map_err(|_| SignError::KeyStore("the key bag holds no readable key".into()))?;
        let algorithm = info.algorithm.oid.to_string();
        let signer = match algorithm.as_str() {
            crate::gost::KEY_512 => {
                let key = crate::gost::GostKey::from_pkcs8(&contents.key_info)
                    .map_err(|e| SignError::KeyStore(format!("GOST 34.10-2015 key: {e}")))?;
                let (certificate, chain) = split_certificates(contents.certificates, |c| {
                    gost_public_key(c).is_ok_and(|public| public == key.public_key())
                })?;
                KeyStoreSigner::Gost(GostSigner::new(key, certificate, chain)?)
            }
            GOST_2004_KEY => {
                return Err(SignError::UnsupportedKey(
                    "the key store holds a GOST 34.310-2004 key (the NCA's generation before \
                     2015), which eucdoc does not sign with"
                        .into(),
                ));
            }
            _ => {
                let key = PKey::private_key_from_pkcs8(&contents.key_info)
                    .map_err(|_| SignError::UnsupportedKey(format!("key algorithm {algorithm}")))?;
                let (certificate, chain) = split_certificates(contents.certificates, |c| {
                    openssl::x509::X509::from_der(c)
                        .and_then(|c| c.public_key())
                        .is_ok_and(|public| public.public_eq(&key))
                })?;
                KeyStoreSigner::Software(Pkcs12Signer::new(key, certificate, chain)?)
            }
        };
        check_may_sign(
            signer.certificate_der(),
            &describe_key(signer.algorithm(), signer.certificate_der()),
            now,
        )?;
        Ok(signer)
    }

    /// Adds certificates (DER) to the chain embedded in signatures, for key stores that carry
    /// no chain (as NCA key stores often do). Repeated certificates are kept once.
    pub fn add_chain(&mut self, certificates: &[Vec<u8>]) {
        match self {
            KeyStoreSigner::Software(s) => s.add_chain(certificates),
            KeyStoreSigner::Gost(s) => extend_chain(&s.certificate, &mut s.chain, certificates),
        }
    }

    fn inner(&self) -> &dyn Signer {
        match self {
            KeyStoreSigner::Software(s) => s,
            KeyStoreSigner::Gost(s) => s,
        }
    }
}

impl Signer for KeyStoreSigner {
    fn certificate_der(&self) -> &[u8] {
        self.inner().certificate_der()
    }

    fn chain_der(&self) -> &[Vec<u8>] {
        self.inner().chain_der()
    }

    fn algorithm(&self) -> KeyAlgorithm {
        self.inner().algorithm()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.inner().sign(message)
    }
}

/// "a GOST 34.10-2015 (512-bit)", "an RSA-2048", "an ECDSA P-256": the key, for messages.
pub(super) fn describe_key(algorithm: KeyAlgorithm, certificate_der: &[u8]) -> String {
    match algorithm {
        KeyAlgorithm::Gost2015With512 => "a GOST 34.10-2015 (512-bit)".into(),
        KeyAlgorithm::RsaSha256 => {
            let bits = openssl::x509::X509::from_der(certificate_der)
                .and_then(|c| c.public_key())
                .map(|k| k.bits())
                .unwrap_or(0);
            format!("an RSA-{bits}")
        }
        KeyAlgorithm::EcdsaP256Sha256 => "an ECDSA P-256".into(),
        KeyAlgorithm::EcdsaP384Sha384 => "an ECDSA P-384".into(),
    }
}

pub(super) fn gost_public_key(certificate_der: &[u8]) -> Result<Vec<u8>, SignError> {
    let parsed = Certificate::from_der(certificate_der)
        .map_err(|e| SignError::KeyStore(format!("certificate: {e}")))?;
    crate::gost::public_key_of(&parsed.tbs_certificate.subject_public_key_info)
        .map_err(|e| SignError::KeyStore(e.to_string()))
}

/// A software RSA or ECDSA key from a PKCS#12 key store, parsed once and reused for every
/// signature.
pub struct Pkcs12Signer {
    key: PKey<Private>,
    /// The certificate's public key: every signature is checked with it before it leaves.
    public: PKey<openssl::pkey::Public>,
    algorithm: KeyAlgorithm,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Pkcs12Signer {
    // Never print the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs12Signer")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Pkcs12Signer {
    /// Opens a PKCS#12 key store holding an RSA or ECDSA key ([`KeyStoreSigner::open`] takes
    /// GOST keys too). Refuses a key that may not sign documents (no nonRepudiation: an AUTH
    /// key) or whose certificate is not valid at `now` (Unix seconds).
    pub fn from_pkcs12(der: &[u8], password: &str, now: i64) -> Result<Self, SignError> {
        match KeyStoreSigner::open(der, password, now)? {
            KeyStoreSigner::Software(signer) => Ok(signer),
            KeyStoreSigner::Gost(_) => Err(SignError::UnsupportedKey(
                "a GOST 34.10-2015 key (open it with KeyStoreSigner)".into(),
            )),
        }
    }

    fn new(
        key: PKey<Private>,
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    ) -> Result<Self, SignError> {
        let algorithm = match key.id() {
            Id::RSA => {
                let bits = key.bits();
                if !(2048..=4096).contains(&bits) {
                    return Err(SignError::UnsupportedKey(format!("RSA-{bits}")));
                }
                KeyAlgorithm::RsaSha256
            }
            Id::EC => match key.bits() {
                256 => KeyAlgorithm::EcdsaP256Sha256,
                384 => KeyAlgorithm::EcdsaP384Sha384,
                bits => return Err(SignError::UnsupportedKey(format!("EC-{bits}"))),
            },
            other => return Err(SignError::UnsupportedKey(format!("{other:?}"))),
        };
        let public = openssl::x509::X509::from_der(&certificate)
            .and_then(|c| c.public_key())
            .map_err(|e| SignError::KeyStore(format!("the certificate's public key: {e}")))?;
        Ok(Self {
            key,
            public,
            algorithm,
            certificate,
            chain,
        })
    }

    /// Adds certificates (DER) to the chain embedded in signatures, for key stores that carry
    /// no chain (as NCA key stores often do). Repeated certificates are kept once.
    pub fn add_chain(&mut self, certificates: &[Vec<u8>]) {
        extend_chain(&self.certificate, &mut self.chain, certificates);
    }
}

/// Adds `certificates` to `chain`, each once, leaving out the signer's own `certificate`.
fn extend_chain(certificate: &[u8], chain: &mut Vec<Vec<u8>>, certificates: &[Vec<u8>]) {
    for der in certificates {
        if der.as_slice() != certificate && !chain.contains(der) {
            chain.push(der.clone());
        }
    }
}

/// A document signature needs nonRepudiation, and a certificate valid now; `key` describes
/// the key for the message ("a GOST 34.10-2015 (512-bit)").
pub(super) fn check_may_sign(certificate_der: &[u8], key: &str, now: i64) -> Result<(), SignError> {
    let cert = Certificate::from_der(certificate_der)
        .map_err(|e| SignError::KeyStore(format!("unreadable certificate: {e}")))?;
    let validity = &cert.tbs_certificate.validity;
    let not_before = validity.not_before.to_unix_duration().as_secs() as i64;
    let not_after = validity.not_after.to_unix_duration().as_secs() as i64;
    if now < not_before {
        return Err(SignError::CertificateNotYetValid {
            key: key.into(),
            not_before: utc_text(not_before),
        });
    }
    if now > not_after {
        return Err(SignError::CertificateExpired {
            key: key.into(),
            not_after: utc_text(not_after),
        });
    }
    let key_usage = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_KEY_USAGE)
        .map(|e| KeyUsage::from_der(e.extn_value.as_bytes()))
        .transpose()
        .map_err(|e| SignError::KeyStore(format!("unreadable key usage: {e}")))?;
    match key_usage {
        Some(usage) if usage.non_repudiation() => Ok(()),
        _ => Err(SignError::NotForSigning),
    }
}

/// "2023-07-28 12:34:48 UTC".
pub(crate) fn utc_text(unix: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| unix.to_string())
}

impl Signer for Pkcs12Signer {
    fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let digest = self.algorithm.digest().openssl().ok_or_else(|| {
            SignError::KeyOperation("a PKCS#12 OpenSSL key does not sign with Streebog".into())
        })?;
        let mut signer = openssl::sign::Signer::new(digest, &self.key)
            .map_err(|e| SignError::KeyOperation(e.to_string()))?;
        let signature = signer
            .update(message)
            .and_then(|_| signer.sign_to_vec())
            .map_err(|e| SignError::KeyOperation(e.to_string()))?;
        // Checked with the certificate's key before it is embedded (a faulty key or token
        // never yields a signature that fails later).
        let verified = openssl::sign::Verifier::new(digest, &self.public)
            .and_then(|mut v| v.verify_oneshot(&signature, message))
            .unwrap_or(false);
        if !verified {
            return Err(SignError::SignatureCheck);
        }
        Ok(signature)
    }
}

/// A software GOST 34.10-2015 512 key with its certificate (a key store's, as the CA issues
/// them; officers' production keys may also sit on tokens behind NCALayer). The key is never
/// logged; Debug shows the certificate's size only.
pub struct GostSigner {
    key: crate::gost::GostKey,
    /// The certificate's public key (x‖y little-endian): every signature is checked with it.
    public: Vec<u8>,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for GostSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GostSigner")
            .field("certificate_bytes", &self.certificate.len())
            .finish_non_exhaustive()
    }
}

impl GostSigner {
    /// The key of a GOST 2015 PKCS#12 key store with a certificate given apart (DER) and chain;
    /// the certificate must hold the key's public key. [`KeyStoreSigner::open`] reads the
    /// certificate from the store itself.
    pub fn from_pkcs12(
        p12: &[u8],
        password: &str,
        certificate: &[u8],
        chain: &[Vec<u8>],
    ) -> Result<Self, SignError> {
        let key = crate::gost::GostKey::from_pkcs12(p12, password)
            .map_err(|e| SignError::KeyStore(e.to_string()))?;
        Self::new(key, certificate.to_vec(), chain.to_vec())
    }

    /// `key` with its certificate (DER), which must hold its public key, and chain.
    pub fn new(
        key: crate::gost::GostKey,
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    ) -> Result<Self, SignError> {
        let public = gost_public_key(&certificate)?;
        if public.as_slice() != key.public_key() {
            return Err(SignError::KeyStore(
                "the certificate does not hold this key's public key".into(),
            ));
        }
        Ok(Self {
            key,
            public,
            certificate,
            chain,
        })
    }
}

impl Signer for GostSigner {
    fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn algorithm(&self) -> KeyAlgorithm {
        KeyAlgorithm::Gost2015With512
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let digest = crate::gost::streebog512(message);
        let signature = self
            .key
            .sign_digest(&digest)
            .map_err(|e| SignError::KeyOperation(e.to_string()))?;
        // Checked with the certificate's key before it is embedded.
        if crate::gost::verify_digest(&self.public, &digest, &signature) != Ok(true) {
            return Err(SignError::SignatureCheck);
        }
        Ok(signature.to_vec())
    }
}
