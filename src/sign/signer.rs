//! The key operation, behind the [`Signer`] trait: the PDF and CMS code never touch a key, so a
//! PKCS#11 token or a GOST backend can be added without changing them.

use std::sync::OnceLock;

use der::Decode;
use openssl::hash::MessageDigest;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{Id, PKey, Private};
use openssl::provider::Provider;
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

/// OpenSSL 3 needs the legacy provider for what Kazakhstan's CA issues (RC2-40 certificate bags,
/// 3DES key bags, SHA-1 MAC). Loaded once, kept for the life of the process.
pub(crate) fn load_providers() -> Result<(), SignError> {
    static PROVIDERS: OnceLock<Result<(Provider, Provider), String>> = OnceLock::new();
    match PROVIDERS.get_or_init(|| {
        let default = Provider::try_load(None, "default", true).map_err(|e| e.to_string())?;
        let legacy = Provider::try_load(None, "legacy", true).map_err(|e| e.to_string())?;
        Ok((default, legacy))
    }) {
        Ok(_) => Ok(()),
        Err(e) => Err(SignError::KeyStore(format!(
            "cannot load OpenSSL's legacy provider (needed for NCA key stores): {e}"
        ))),
    }
}

/// A software key from a PKCS#12 key store, parsed once and reused for every signature.
pub struct Pkcs12Signer {
    key: PKey<Private>,
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
    /// Opens a PKCS#12 key store. Refuses a key that may not sign documents (no
    /// nonRepudiation: an AUTH key) or whose certificate is not valid at `now` (Unix seconds).
    pub fn from_pkcs12(der: &[u8], password: &str, now: i64) -> Result<Self, SignError> {
        load_providers()?;
        if password.contains('\0') {
            return Err(SignError::KeyStore(
                "the password contains a NUL character".into(),
            ));
        }
        let store = Pkcs12::from_der(der)
            .map_err(|_| SignError::KeyStore("not a PKCS#12 key store".into()))?;
        // OpenSSL says only "mac verify failure" for a wrong password; say it plainly, and never
        // echo the password.
        let parsed = store.parse2(password).map_err(|e| {
            let text = e.to_string();
            if text.contains("mac verify") || text.contains("decrypt") {
                SignError::WrongPassword
            } else {
                SignError::KeyStore(format!("cannot open the key store: {text}"))
            }
        })?;
        let key = parsed
            .pkey
            .ok_or_else(|| SignError::KeyStore("the key store holds no private key".into()))?;
        let cert = parsed
            .cert
            .ok_or_else(|| SignError::KeyStore("the key store holds no certificate".into()))?;
        let certificate = cert
            .to_der()
            .map_err(|e| SignError::KeyStore(e.to_string()))?;
        if !cert
            .public_key()
            .map(|public| public.public_eq(&key))
            .unwrap_or(false)
        {
            return Err(SignError::KeyStore(
                "the certificate does not belong to the private key".into(),
            ));
        }
        let mut chain = Vec::new();
        if let Some(stack) = parsed.ca {
            for c in &stack {
                chain.push(c.to_der().map_err(|e| SignError::KeyStore(e.to_string()))?);
            }
        }
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
        check_may_sign(&certificate, now)?;
        Ok(Self {
            key,
            algorithm,
            certificate,
            chain,
        })
    }
}

impl Pkcs12Signer {
    /// Adds certificates (DER) to the chain embedded in signatures, for key stores that carry
    /// no chain (as NCA key stores often do). Repeated certificates are kept once.
    pub fn add_chain(&mut self, certificates: &[Vec<u8>]) {
        for der in certificates {
            if der.as_slice() != self.certificate.as_slice() && !self.chain.contains(der) {
                self.chain.push(der.clone());
            }
        }
    }
}

/// A document signature needs nonRepudiation, and a certificate valid now.
fn check_may_sign(certificate_der: &[u8], now: i64) -> Result<(), SignError> {
    let cert = Certificate::from_der(certificate_der)
        .map_err(|e| SignError::KeyStore(format!("unreadable certificate: {e}")))?;
    let validity = &cert.tbs_certificate.validity;
    let not_before = validity.not_before.to_unix_duration().as_secs() as i64;
    let not_after = validity.not_after.to_unix_duration().as_secs() as i64;
    if now < not_before {
        return Err(SignError::CertificateNotYetValid);
    }
    if now > not_after {
        return Err(SignError::CertificateExpired);
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
        signer
            .update(message)
            .and_then(|_| signer.sign_to_vec())
            .map_err(|e| SignError::KeyOperation(e.to_string()))
    }
}

/// A software GOST 34.10-2015 512 key with its certificate: for tests with the CA's GOST test
/// key stores, and for deployments that accept a software key (officers' production keys sit on
/// tokens). The key is never logged; Debug shows the certificate's size only.
pub struct GostSigner {
    key: crate::gost::GostKey,
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
    /// The key of a GOST 2015 PKCS#12 key store (as the CA issues them) with its certificate
    /// (DER; the store's certificate bags are RC2-encrypted and not read) and chain; the
    /// certificate must hold the key's public key.
    pub fn from_pkcs12(
        p12: &[u8],
        password: &str,
        certificate: &[u8],
        chain: &[Vec<u8>],
    ) -> Result<Self, SignError> {
        use der::Decode;
        let key = crate::gost::GostKey::from_pkcs12(p12, password)
            .map_err(|e| SignError::KeyStore(e.to_string()))?;
        let parsed = x509_cert::Certificate::from_der(certificate)
            .map_err(|e| SignError::KeyStore(format!("certificate: {e}")))?;
        let public = crate::gost::public_key_of(&parsed.tbs_certificate.subject_public_key_info)
            .map_err(|e| SignError::KeyStore(e.to_string()))?;
        if public.as_slice() != key.public_key() {
            return Err(SignError::KeyStore(
                "the certificate does not hold this key's public key".into(),
            ));
        }
        Ok(Self {
            key,
            certificate: certificate.to_vec(),
            chain: chain.to_vec(),
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
        self.key
            .sign_message(message)
            .map(|signature| signature.to_vec())
            .map_err(|e| SignError::KeyOperation(e.to_string()))
    }
}
