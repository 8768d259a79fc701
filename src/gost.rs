//! GOST R 34.10-2015 (512-bit, curve id-tc26-gost-3410-12-512-paramSetA) signatures as
//! Kazakhstan's CA makes them, with GOST R 34.11-2015 (Streebog-512) digests: verification, and
//! signing with a software key in constant time.
//!
//! The curve arithmetic is OpenSSL's, on a prime curve built from the published parameters
//! (RFC 7836 family, gost-engine); the hash is RustCrypto's `streebog`. Kazakh encoding
//! (kz-pki.md, checked against the test NCA's certificates): the digest is read as a
//! little-endian integer, the public key is x‖y and the signature r‖s, each 64 bytes
//! little-endian — RFC 4491's big-endian s‖r reversed byte for byte.

use std::sync::OnceLock;

use crypto_bigint::modular::constant_mod::ResidueParams;
use crypto_bigint::subtle::ConstantTimeLess;
use crypto_bigint::{Encoding, U512, Zero};
use der::Decode;
use der::asn1::OctetString;
use openssl::bn::{BigNum, BigNumContext, BigNumRef};
use openssl::ec::{EcGroup, EcPoint};
use streebog::Digest;
use zeroize::Zeroize;

/// Key algorithm: GOST 34.10-2015 512-bit (Kazakh OID).
pub const KEY_512: &str = "1.2.398.3.10.1.1.2.2";
/// Parameter set: tc26 512 paramSetA (Kazakh OID).
pub const PARAMSET_512_A: &str = "1.2.398.3.10.1.1.2.2.1";
/// Signature: GOST 34.10-2015 512 with Streebog-512.
pub const SIGNATURE_512: &str = "1.2.398.3.10.1.1.2.3.2";
/// Signature: GOST 34.10-2015 256 with Streebog-256 (not supported: no test material).
pub const SIGNATURE_256: &str = "1.2.398.3.10.1.1.2.3.1";
/// Digest: GOST 34.11-2015 Streebog-512.
pub const DIGEST_512: &str = "1.2.398.3.10.1.3.3";
/// Digest: GOST 34.11-95 (the 2004 generation; not supported).
pub const DIGEST_95: &str = "1.2.398.3.10.1.3.1";

// The same algorithm, curve and hash under the interstate (TC 26, RFC 9215) OIDs, as the
// OpenSSL gost engine and other CIS implementations write them: accepted wherever the Kazakh
// ones are (a TSA or CA outside the NCA may use them). Their signature value is s‖r big-endian,
// the Kazakh r‖s little-endian reversed byte for byte; keys are x‖y little-endian in both.
/// Key algorithm: GOST R 34.10-2012 512-bit (TC 26 OID).
pub const TC26_KEY_512: &str = "1.2.643.7.1.1.1.2";
/// Parameter set: tc26 512 paramSetA (TC 26 OID).
pub const TC26_PARAMSET_512_A: &str = "1.2.643.7.1.2.1.2.1";
/// Signature: GOST R 34.10-2012 512 with Streebog-512 (TC 26 OID).
pub const TC26_SIGNATURE_512: &str = "1.2.643.7.1.1.3.3";
/// Digest: Streebog-512 (TC 26 OID).
pub const TC26_DIGEST_512: &str = "1.2.643.7.1.1.2.3";

/// What GOST verification can fail with (a signature that does not verify is `Ok(false)`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GostError {
    /// The key's or signature's algorithm or parameters are not GOST 34.10-2015 512 paramSetA.
    #[error("unsupported GOST algorithm or parameters: {0}")]
    Unsupported(String),
    /// A key, signature or certificate that cannot be read.
    #[error("malformed GOST data: {0}")]
    Malformed(String),
}

const P: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
                 FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7";
const A: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
                 FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4";
const B: &str = "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265\
                 EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760";
const Q: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
                 27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275";
const GX: &str = "03";
const GY: &str = "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921\
                  DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4";

/// The curve with its generator and order.
struct Curve {
    group: EcGroup,
    order: BigNum,
}

fn bn(hex: &str) -> Result<BigNum, GostError> {
    BigNum::from_hex_str(hex).map_err(|e| GostError::Malformed(e.to_string()))
}

fn curve() -> Result<&'static Curve, GostError> {
    static CURVE: OnceLock<Result<Curve, GostError>> = OnceLock::new();
    CURVE
        .get_or_init(|| {
            let ssl = |e: openssl::error::ErrorStack| GostError::Malformed(e.to_string());
            let mut ctx = BigNumContext::new().map_err(ssl)?;
            let mut group =
                EcGroup::from_components(bn(P)?, bn(A)?, bn(B)?, &mut ctx).map_err(ssl)?;
            let mut generator = EcPoint::new(&group).map_err(ssl)?;
            let (gx, gy) = (bn(GX)?, bn(GY)?);
            generator
                .set_affine_coordinates_gfp(&group, &gx, &gy, &mut ctx)
                .map_err(ssl)?;
            group
                .set_generator(generator, bn(Q)?, BigNum::from_u32(1).map_err(ssl)?)
                .map_err(ssl)?;
            Ok(Curve {
                group,
                order: bn(Q)?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Streebog-512 of `data`, bytes as the hash function outputs them.
pub fn streebog512(data: &[u8]) -> [u8; 64] {
    streebog::Streebog512::digest(data).into()
}

fn little_endian(bytes: &[u8]) -> Result<BigNum, GostError> {
    let mut reversed = bytes.to_vec();
    reversed.reverse();
    BigNum::from_slice(&reversed).map_err(|e| GostError::Malformed(e.to_string()))
}

/// GOST R 34.10-2012 verification with integers: `e` the digest as an integer, (`r`, `s`) the
/// signature, (`x`, `y`) the public key.
pub fn verify_integers(
    e: &BigNumRef,
    r: &BigNumRef,
    s: &BigNumRef,
    x: &BigNumRef,
    y: &BigNumRef,
) -> Result<bool, GostError> {
    let ssl = |e: openssl::error::ErrorStack| GostError::Malformed(e.to_string());
    let curve = curve()?;
    let q = &curve.order;
    let zero = BigNum::new().map_err(ssl)?;
    // 0 < r, s < q.
    if r <= &*zero || s <= &*zero || r >= &**q || s >= &**q {
        return Ok(false);
    }
    let mut ctx = BigNumContext::new().map_err(ssl)?;
    let mut public = EcPoint::new(&curve.group).map_err(ssl)?;
    if public
        .set_affine_coordinates_gfp(&curve.group, x, y, &mut ctx)
        .is_err()
        || !public.is_on_curve(&curve.group, &mut ctx).map_err(ssl)?
        || public.is_infinity(&curve.group)
    {
        return Err(GostError::Malformed(
            "the public key is not a point of the curve".into(),
        ));
    }
    let mut reduced = BigNum::new().map_err(ssl)?;
    reduced.nnmod(e, q, &mut ctx).map_err(ssl)?;
    if reduced == *zero {
        reduced = BigNum::from_u32(1).map_err(ssl)?;
    }
    let mut v = BigNum::new().map_err(ssl)?;
    v.mod_inverse(&reduced, q, &mut ctx).map_err(ssl)?;
    let mut z1 = BigNum::new().map_err(ssl)?;
    z1.mod_mul(s, &v, q, &mut ctx).map_err(ssl)?;
    let mut minus_r = BigNum::new().map_err(ssl)?;
    minus_r.checked_sub(q, r).map_err(ssl)?;
    let mut z2 = BigNum::new().map_err(ssl)?;
    z2.mod_mul(&minus_r, &v, q, &mut ctx).map_err(ssl)?;
    let mut point = EcPoint::new(&curve.group).map_err(ssl)?;
    point
        .mul_full(&curve.group, &z1, &public, &z2, &mut ctx)
        .map_err(ssl)?;
    if point.is_infinity(&curve.group) {
        return Ok(false);
    }
    let (mut cx, mut cy) = (BigNum::new().map_err(ssl)?, BigNum::new().map_err(ssl)?);
    point
        .affine_coordinates_gfp(&curve.group, &mut cx, &mut cy, &mut ctx)
        .map_err(ssl)?;
    let mut big_r = BigNum::new().map_err(ssl)?;
    big_r.nnmod(&cx, q, &mut ctx).map_err(ssl)?;
    Ok(big_r == *r)
}

/// Verifies a Kazakh-encoded signature (r‖s little-endian, 128 bytes) of a Streebog-512
/// `digest` with a Kazakh-encoded public key (x‖y little-endian, 128 bytes).
pub fn verify_digest(
    public_key: &[u8],
    digest: &[u8; 64],
    signature: &[u8],
) -> Result<bool, GostError> {
    let [x, y] = halves(public_key, "public key")?;
    let [r, s] = halves(signature, "signature")?;
    let (e, r, s) = (little_endian(digest)?, little_endian(r)?, little_endian(s)?);
    let (x, y) = (little_endian(x)?, little_endian(y)?);
    verify_integers(&e, &r, &s, &x, &y)
}

/// Verifies a signature value over `message` made with `algorithm` (a GOST 512 signature or
/// key OID, Kazakh or TC 26; the OID decides the byte order of the value).
pub fn verify_message_as(
    algorithm: &str,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<bool, GostError> {
    match algorithm {
        SIGNATURE_512 | KEY_512 => verify_message(public_key, message, signature),
        TC26_SIGNATURE_512 | TC26_KEY_512 => {
            let mut kazakh_order = signature.to_vec();
            kazakh_order.reverse();
            verify_message(public_key, message, &kazakh_order)
        }
        other => Err(GostError::Unsupported(format!(
            "signature algorithm {other}"
        ))),
    }
}

/// Whether `oid` names Streebog-512 (Kazakh or TC 26 OID).
pub fn is_streebog512(oid: &str) -> bool {
    oid == DIGEST_512 || oid == TC26_DIGEST_512
}

/// Verifies a Kazakh-encoded signature over `message` (hashed with Streebog-512).
pub fn verify_message(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<bool, GostError> {
    verify_digest(public_key, &streebog512(message), signature)
}

fn halves<'a>(bytes: &'a [u8], what: &str) -> Result<[&'a [u8]; 2], GostError> {
    if bytes.len() != 128 {
        return Err(GostError::Malformed(format!(
            "a 512-bit {what} has 128 bytes, not {}",
            bytes.len()
        )));
    }
    Ok([&bytes[..64], &bytes[64..]])
}

// The group order q as a constant modulus for crypto-bigint's Montgomery arithmetic: every
// operation on the secret scalar and the nonce (reduction, product, sum) runs in constant time.
crypto_bigint::impl_modulus!(
    GroupOrder,
    U512,
    concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275"
    )
);

/// An integer modulo the group order q.
type ModQ = crypto_bigint::modular::constant_mod::Residue<GroupOrder, { U512::LIMBS }>;

/// `value` mod q, in constant time.
fn reduce(value: &U512) -> U512 {
    ModQ::new(value).retrieve()
}

/// A secret integer as the BIGNUM OpenSSL's scalar multiplication takes: secure heap (cleared
/// when freed) and BN_FLG_CONSTTIME, so `EC_POINT_mul` takes its constant-time Montgomery ladder
/// (which also pads the scalar to a fixed length).
fn secret_bignum(value: &U512) -> Result<BigNum, GostError> {
    let ssl = |e: openssl::error::ErrorStack| GostError::Malformed(e.to_string());
    let bytes = zeroize::Zeroizing::new(value.to_be_bytes());
    let mut number = BigNum::new_secure().map_err(ssl)?;
    number.set_const_time();
    number.copy_from_slice(bytes.as_ref()).map_err(ssl)?;
    number.set_const_time();
    Ok(number)
}

/// x(scalar·G) as an integer (big-endian bytes in between), and the point's x‖y little-endian.
fn multiply_generator(scalar: &U512) -> Result<(U512, Vec<u8>), GostError> {
    let ssl = |e: openssl::error::ErrorStack| GostError::Malformed(e.to_string());
    let curve = curve()?;
    let mut ctx = BigNumContext::new_secure().map_err(ssl)?;
    let secret = secret_bignum(scalar)?;
    let mut point = EcPoint::new(&curve.group).map_err(ssl)?;
    point
        .mul_generator2(&curve.group, &secret, &mut ctx)
        .map_err(ssl)?;
    let (mut x, mut y) = (BigNum::new().map_err(ssl)?, BigNum::new().map_err(ssl)?);
    point
        .affine_coordinates_gfp(&curve.group, &mut x, &mut y, &mut ctx)
        .map_err(ssl)?;
    let x_be = x.to_vec_padded(64).map_err(ssl)?;
    let mut public = to_little_endian(&x)?;
    public.extend(to_little_endian(&y)?);
    Ok((U512::from_be_slice(&x_be), public))
}

/// A software GOST 34.10-2015 512 key (a key store's, or generated). The scalar is held in a
/// crypto-bigint integer that is zeroized when the key is dropped; it is never printed (no
/// Debug output shows it).
pub struct GostKey {
    d: U512,
    public: Vec<u8>,
}

impl Drop for GostKey {
    fn drop(&mut self) {
        self.d.zeroize();
    }
}

impl std::fmt::Debug for GostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GostKey")
            .field("public", &hex::encode(&self.public))
            .finish_non_exhaustive()
    }
}

impl GostKey {
    /// The key with scalar `d`, 64 bytes little-endian (as Kazakh and Russian key stores hold it).
    pub fn from_scalar_le(d: &[u8]) -> Result<Self, GostError> {
        if d.len() != 64 {
            return Err(GostError::Malformed(format!(
                "a 512-bit private key has 64 bytes, not {}",
                d.len()
            )));
        }
        let mut scalar = U512::from_le_slice(d);
        // 0 < d < q, checked without branching on the secret's bits.
        let in_range: bool = (scalar.ct_lt(&GroupOrder::MODULUS) & !scalar.is_zero()).into();
        if !in_range {
            scalar.zeroize();
            return Err(GostError::Malformed(
                "the private key is out of range".into(),
            ));
        }
        Self::from_scalar(scalar)
    }

    fn from_scalar(d: U512) -> Result<Self, GostError> {
        let (_, public) = multiply_generator(&d)?;
        Ok(Self { d, public })
    }

    /// The key in a PKCS#12 key store as Kazakhstan's CA issues GOST 2015 keys
    /// (pkcs8ShroudedKeyBag, 3DES; PKCS#8 algorithm 1.2.398.3.10.1.1.2.2 whose privateKey wraps
    /// a 64-byte little-endian scalar). The caller checks the key against its certificate
    /// ([`GostKey::public_key`]); `sign::KeyStoreSigner::open` does both.
    pub fn from_pkcs12(p12: &[u8], password: &str) -> Result<Self, GostError> {
        crate::pki::ossl::load_providers().map_err(GostError::Malformed)?;
        let store = openssl::pkcs12::Pkcs12::from_der(p12)
            .map_err(|_| GostError::Malformed("not a PKCS#12 key store".into()))?;
        let key_info = crate::pki::ossl::pkcs12_contents(&store, password)
            .map_err(|_| {
                GostError::Malformed("the key store cannot be opened with this password".into())
            })?
            .key_info
            .ok_or_else(|| GostError::Malformed("the key store holds no private key".into()))?;
        Self::from_pkcs8(&key_info)
    }

    /// The key in a PrivateKeyInfo (DER) of algorithm 1.2.398.3.10.1.1.2.2.
    pub fn from_pkcs8(der_bytes: &[u8]) -> Result<Self, GostError> {
        let info = pkcs8::PrivateKeyInfo::from_der(der_bytes)
            .map_err(|e| GostError::Malformed(format!("PrivateKeyInfo: {e}")))?;
        let algorithm = info.algorithm.oid.to_string();
        if algorithm != KEY_512 {
            return Err(GostError::Unsupported(format!("key algorithm {algorithm}")));
        }
        // The privateKey OCTET STRING wraps a second OCTET STRING with the scalar.
        let scalar = match der::asn1::OctetStringRef::from_der(info.private_key) {
            Ok(inner) => inner.as_bytes(),
            Err(_) => info.private_key,
        };
        Self::from_scalar_le(scalar)
    }

    /// A new random key (OpenSSL's CSPRNG; reduced mod q, whose bias is below 2^-250).
    pub fn generate() -> Result<Self, GostError> {
        loop {
            let mut bytes = zeroize::Zeroizing::new([0u8; 64]);
            openssl::rand::rand_bytes(bytes.as_mut())
                .map_err(|e| GostError::Malformed(e.to_string()))?;
            let d = reduce(&U512::from_be_slice(bytes.as_ref()));
            if !bool::from(d.is_zero()) {
                return Self::from_scalar(d);
            }
        }
    }

    /// The public key, x‖y little-endian (128 bytes).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// Signs a Streebog-512 digest: r‖s little-endian (128 bytes), GOST R 34.10-2012 §6.1.
    ///
    /// The nonce k is RFC 6979's (§3.2, HMAC_DRBG with SHA-512 over the scalar and the reduced
    /// digest, RustCrypto's `rfc6979`): deterministic, so a broken random source cannot leak the
    /// key, and never the same for two digests. k·G is OpenSSL's constant-time ladder; every
    /// other operation on d and k is crypto-bigint's constant-time Montgomery arithmetic.
    pub fn sign_digest(&self, digest: &[u8; 64]) -> Result<[u8; 128], GostError> {
        use sha2::digest::generic_array::GenericArray;
        // e = digest (little-endian) mod q; 0 becomes 1. Public: derived from the document.
        let mut e = reduce(&U512::from_le_slice(digest));
        if bool::from(e.is_zero()) {
            e = U512::ONE;
        }
        let secret = zeroize::Zeroizing::new(self.d.to_be_bytes());
        let order = GroupOrder::MODULUS.to_be_bytes();
        let e_bytes = e.to_be_bytes();
        // RFC 6979 §3.6: further candidates (r or s zero, probability ~2^-511) add a counter as
        // extra data.
        for counter in 0u32..4 {
            let extra = counter.to_be_bytes();
            let mut k_bytes = rfc6979::generate_k::<sha2::Sha512, _>(
                GenericArray::from_slice(secret.as_ref()),
                GenericArray::from_slice(&order),
                GenericArray::from_slice(&e_bytes),
                if counter == 0 { &[] } else { &extra },
            );
            let mut k = U512::from_be_slice(k_bytes.as_slice());
            k_bytes.as_mut_slice().zeroize();
            let (x, _) = multiply_generator(&k)?;
            let r = reduce(&x);
            // s = (r·d + k·e) mod q.
            let (mut d_mod, mut k_mod) = (ModQ::new(&self.d), ModQ::new(&k));
            let s = (ModQ::new(&r) * d_mod + k_mod * ModQ::new(&e)).retrieve();
            d_mod.zeroize();
            k_mod.zeroize();
            k.zeroize();
            if bool::from(r.is_zero() | s.is_zero()) {
                continue;
            }
            let mut out = [0u8; 128];
            out[..64].copy_from_slice(&r.to_le_bytes());
            out[64..].copy_from_slice(&s.to_le_bytes());
            return Ok(out);
        }
        Err(GostError::Malformed("no usable nonce".into()))
    }

    /// Signs `message` (hashed with Streebog-512).
    pub fn sign_message(&self, message: &[u8]) -> Result<[u8; 128], GostError> {
        self.sign_digest(&streebog512(message))
    }
}

fn to_little_endian(n: &BigNumRef) -> Result<Vec<u8>, GostError> {
    let mut bytes = n
        .to_vec_padded(64)
        .map_err(|e| GostError::Malformed(e.to_string()))?;
    bytes.reverse();
    Ok(bytes)
}

/// The 128-byte public key (x‖y little-endian) of a GOST 2015 512 SubjectPublicKeyInfo,
/// checking its algorithm and parameter set.
pub fn public_key_of(
    spki: &x509_cert::spki::SubjectPublicKeyInfoOwned,
) -> Result<Vec<u8>, GostError> {
    let algorithm = spki.algorithm.oid.to_string();
    let paramset = match algorithm.as_str() {
        KEY_512 => PARAMSET_512_A,
        TC26_KEY_512 => TC26_PARAMSET_512_A,
        _ => return Err(GostError::Unsupported(format!("key algorithm {algorithm}"))),
    };
    // Parameters: SEQUENCE { paramSet OID, digest OID }.
    if let Some(parameters) = &spki.algorithm.parameters {
        let value =
            der::Encode::to_der(parameters).map_err(|e| GostError::Malformed(e.to_string()))?;
        let params: Vec<der::asn1::ObjectIdentifier> = Vec::from_der(&value)
            .map_err(|e| GostError::Malformed(format!("key parameters: {e}")))?;
        if params.first().map(|o| o.to_string()).as_deref() != Some(paramset) {
            return Err(GostError::Unsupported(format!(
                "parameter set {:?}",
                params.first().map(|o| o.to_string())
            )));
        }
    }
    let raw = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| GostError::Malformed("public key bit string".into()))?;
    // The BIT STRING wraps an OCTET STRING with x‖y.
    let key =
        OctetString::from_der(raw).map_err(|e| GostError::Malformed(format!("public key: {e}")))?;
    if key.as_bytes().len() != 128 {
        return Err(GostError::Malformed(format!(
            "a 512-bit public key has 128 bytes, not {}",
            key.as_bytes().len()
        )));
    }
    Ok(key.as_bytes().to_vec())
}

/// Verifies a signed structure (certificate, CRL, OCSP response): `tbs` the signed DER,
/// `algorithm` its signature algorithm OID, `signature` the BIT STRING's bytes, `signer` the
/// signer's SubjectPublicKeyInfo.
pub fn verify_signed(
    tbs: &[u8],
    algorithm: &str,
    signature: &[u8],
    signer: &x509_cert::spki::SubjectPublicKeyInfoOwned,
) -> Result<bool, GostError> {
    if algorithm != SIGNATURE_512 && algorithm != TC26_SIGNATURE_512 {
        return Err(GostError::Unsupported(format!(
            "signature algorithm {algorithm}"
        )));
    }
    let key = public_key_of(signer)?;
    verify_message_as(algorithm, &key, tbs, signature)
}

/// Verifies certificate `cert` (DER) with the key of `issuer` (DER).
pub fn verify_certificate(cert: &[u8], issuer: &[u8]) -> Result<bool, GostError> {
    let cert = x509_cert::Certificate::from_der(cert).map_err(malformed)?;
    verify_by(
        &cert.tbs_certificate,
        &cert.signature_algorithm,
        &cert.signature,
        issuer,
    )
}

fn malformed(e: der::Error) -> GostError {
    GostError::Malformed(e.to_string())
}

/// Verifies the signed part `tbs` of a certificate or CRL with the key of `issuer` (DER).
fn verify_by(
    tbs: &impl der::Encode,
    algorithm: &x509_cert::spki::AlgorithmIdentifierOwned,
    signature: &der::asn1::BitString,
    issuer: &[u8],
) -> Result<bool, GostError> {
    let issuer = x509_cert::Certificate::from_der(issuer).map_err(malformed)?;
    let tbs = tbs.to_der().map_err(malformed)?;
    let signature = signature
        .as_bytes()
        .ok_or_else(|| GostError::Malformed("signature bit string".into()))?;
    verify_signed(
        &tbs,
        &algorithm.oid.to_string(),
        signature,
        &issuer.tbs_certificate.subject_public_key_info,
    )
}

/// Whether an algorithm OID (key, signature or digest) is a GOST one: Kazakhstan's or the
/// TC 26 (interstate) ones.
pub fn is_gost(oid: &str) -> bool {
    oid.starts_with("1.2.398.3.10.1.") || oid.starts_with("1.2.643.7.1.")
}

/// Verifies a CRL (DER) with the key of `issuer` (DER).
pub fn verify_crl(crl: &[u8], issuer: &[u8]) -> Result<bool, GostError> {
    let crl = x509_cert::crl::CertificateList::from_der(crl).map_err(malformed)?;
    verify_by(
        &crl.tbs_cert_list,
        &crl.signature_algorithm,
        &crl.signature,
        issuer,
    )
}

/// A certificate's entry in a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlEntry {
    /// revocationDate, Unix seconds.
    pub revoked_at: i64,
    /// The reason code's name, when given (e.g. "certificateHold").
    pub reason: Option<String>,
}

/// The entry for the certificate with `serial` (its DER INTEGER bytes) in a CRL, whatever its
/// algorithm.
pub fn crl_entry(crl: &[u8], serial: &[u8]) -> Result<Option<CrlEntry>, GostError> {
    let crl = x509_cert::crl::CertificateList::from_der(crl)
        .map_err(|e| GostError::Malformed(e.to_string()))?;
    Ok(list_entry(&crl, serial))
}

/// The entry for the certificate with `serial` in a CRL already read.
pub fn list_entry(crl: &x509_cert::crl::CertificateList, serial: &[u8]) -> Option<CrlEntry> {
    let entry = crl
        .tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .find(|e| e.serial_number.as_bytes() == serial)?;
    let reason = entry
        .crl_entry_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_REASONS)
        .and_then(|e| x509_cert::ext::pkix::CrlReason::from_der(e.extn_value.as_bytes()).ok())
        .map(|r| format!("{r:?}"));
    Some(CrlEntry {
        revoked_at: entry.revocation_date.to_unix_duration().as_secs() as i64,
        reason: reason.map(|r| reason_name(&r)),
    })
}

fn reason_name(debug: &str) -> String {
    // x509-cert's Debug names (CertificateHold…) in RFC 5280's spelling (certificateHold…).
    let mut chars = debug.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One certificate's status in an OCSP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspStatus {
    /// The certificate's serial number, hex.
    pub serial: String,
    /// The CertID's hash algorithm (dotted OID) and its hashes of the issuer's name and key.
    pub issuer_hash_algorithm: String,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    /// "good", "revoked" or "unknown".
    pub status: String,
    /// revocationTime, Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
    /// The revocation reason's name, when given.
    pub reason: Option<String>,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds, when given.
    pub next_update: Option<i64>,
}

/// An OCSP response checked with the responder certificate it carries.
#[derive(Debug, Clone)]
pub struct OcspAnswer {
    /// Whether the response's signature verifies with the responder certificate's key.
    pub signature_valid: bool,
    /// The responder certificate (DER), to be validated by the caller (issued by the CA, with
    /// id-kp-OCSPSigning).
    pub responder: Vec<u8>,
    /// What the response says, certificate by certificate.
    pub statuses: Vec<OcspStatus>,
}

/// Reads an OCSPResponse (DER) signed with GOST 34.10-2015 512 and checks its signature with
/// the first certificate it carries.
pub fn check_ocsp_response(der: &[u8]) -> Result<OcspAnswer, GostError> {
    use der::Encode;
    use x509_ocsp::{BasicOcspResponse, CertStatus, OcspResponse};
    let malformed = |e: der::Error| GostError::Malformed(e.to_string());
    let response = OcspResponse::from_der(der).map_err(malformed)?;
    let bytes = response
        .response_bytes
        .ok_or_else(|| GostError::Malformed("an OCSP response without responseBytes".into()))?;
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).map_err(malformed)?;
    let responder = basic
        .certs
        .as_ref()
        .and_then(|certs| certs.first())
        .ok_or_else(|| {
            GostError::Malformed("the response carries no responder certificate".into())
        })?;
    let tbs = basic.tbs_response_data.to_der().map_err(malformed)?;
    let signature = basic
        .signature
        .as_bytes()
        .ok_or_else(|| GostError::Malformed("signature bit string".into()))?;
    let signature_valid = verify_signed(
        &tbs,
        &basic.signature_algorithm.oid.to_string(),
        signature,
        &responder.tbs_certificate.subject_public_key_info,
    )?;
    let unix = |t: &x509_ocsp::OcspGeneralizedTime| t.0.to_unix_duration().as_secs() as i64;
    let statuses = basic
        .tbs_response_data
        .responses
        .iter()
        .map(|single| {
            let (status, revoked_at, reason) = match &single.cert_status {
                CertStatus::Good(_) => ("good", None, None),
                CertStatus::Revoked(info) => (
                    "revoked",
                    Some(unix(&info.revocation_time)),
                    info.revocation_reason
                        .map(|r| reason_name(&format!("{r:?}"))),
                ),
                CertStatus::Unknown(_) => ("unknown", None, None),
            };
            OcspStatus {
                serial: hex::encode_upper(single.cert_id.serial_number.as_bytes()),
                issuer_hash_algorithm: single.cert_id.hash_algorithm.oid.to_string(),
                issuer_name_hash: single.cert_id.issuer_name_hash.as_bytes().to_vec(),
                issuer_key_hash: single.cert_id.issuer_key_hash.as_bytes().to_vec(),
                status: status.into(),
                revoked_at,
                reason,
                this_update: unix(&single.this_update),
                next_update: single.next_update.as_ref().map(unix),
            }
        })
        .collect();
    Ok(OcspAnswer {
        signature_valid,
        responder: responder.to_der().map_err(malformed)?,
        statuses,
    })
}
