//! The OpenSSL calls the `openssl` crate does not wrap, for RFC 5280 path validation with CRLs
//! held in memory and the user-initial-policy-set: giving a verification context its CRLs
//! (`X509_STORE_CTX_set0_crls`, which, unlike the store, also finds indirect CRLs) and adding
//! an acceptable policy (`X509_VERIFY_PARAM_add0_policy`); and decrypting a PKCS#8 key bag
//! whose key type OpenSSL does not know, and the encrypted certificate bags beside it
//! (Kazakhstan's GOST 2015 key stores).
//! This is the crate's only unsafe code.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};

use foreign_types::{ForeignType, ForeignTypeRef};
use openssl::asn1::Asn1Object;
use openssl::error::ErrorStack;
use openssl::x509::verify::X509VerifyParamRef;
use openssl::x509::{X509Crl, X509StoreContextRef};

/// OpenSSL's PKCS12_SAFEBAG.
#[repr(C)]
struct SafeBag {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn PKCS12_unpack_authsafes(p12: *const openssl_sys::PKCS12) -> *mut openssl_sys::OPENSSL_STACK;
    fn PKCS12_unpack_p7data(p7: *mut openssl_sys::PKCS7) -> *mut openssl_sys::OPENSSL_STACK;
    fn PKCS12_SAFEBAG_get_nid(bag: *const SafeBag) -> c_int;
    fn PKCS12_decrypt_skey(
        bag: *const SafeBag,
        pass: *const std::ffi::c_char,
        passlen: c_int,
    ) -> *mut openssl_sys::PKCS8_PRIV_KEY_INFO;
    fn PKCS12_SAFEBAG_free(bag: *mut SafeBag);
    fn PKCS12_unpack_p7encdata(
        p7: *mut openssl_sys::PKCS7,
        pass: *const std::ffi::c_char,
        passlen: c_int,
    ) -> *mut openssl_sys::OPENSSL_STACK;
    fn PKCS12_SAFEBAG_get1_cert(bag: *const SafeBag) -> *mut openssl_sys::X509;
    fn PKCS12_mac_present(p12: *const openssl_sys::PKCS12) -> c_int;
    fn PKCS12_verify_mac(
        p12: *mut openssl_sys::PKCS12,
        pass: *const std::ffi::c_char,
        passlen: c_int,
    ) -> c_int;
    fn i2d_PKCS8_PRIV_KEY_INFO(
        key: *const openssl_sys::PKCS8_PRIV_KEY_INFO,
        out: *mut *mut u8,
    ) -> c_int;
    fn X509_STORE_CTX_set0_crls(
        ctx: *mut openssl_sys::X509_STORE_CTX,
        crls: *mut openssl_sys::stack_st_X509_CRL,
    );
    fn X509_VERIFY_PARAM_add0_policy(
        param: *mut openssl_sys::X509_VERIFY_PARAM,
        policy: *mut openssl_sys::ASN1_OBJECT,
    ) -> c_int;
}

/// CRLs as an OpenSSL stack that borrows them: the stack is freed on drop, the CRLs by their
/// own owners.
pub struct CrlStack {
    raw: *mut openssl_sys::OPENSSL_STACK,
    crls: Vec<X509Crl>,
}

impl CrlStack {
    /// A stack of `crls`.
    pub fn new(crls: Vec<X509Crl>) -> Result<Self, ErrorStack> {
        // SAFETY: a new empty stack, owned by the returned value.
        let raw = unsafe { openssl_sys::OPENSSL_sk_new_null() };
        if raw.is_null() {
            return Err(ErrorStack::get());
        }
        let stack = CrlStack { raw, crls };
        for crl in &stack.crls {
            // SAFETY: the CRL outlives the stack (both owned by `stack`; the CRLs are dropped
            // after the stack is freed, see Drop).
            if unsafe { openssl_sys::OPENSSL_sk_push(stack.raw, crl.as_ptr() as *const c_void) }
                <= 0
            {
                return Err(ErrorStack::get());
            }
        }
        Ok(stack)
    }

    /// Gives the context these CRLs for its revocation checks. The context keeps a pointer:
    /// the caller keeps `self` alive until the verification is over.
    pub fn set_on(&self, context: &mut X509StoreContextRef) {
        // SAFETY: set0 stores the pointer without taking ownership; X509_STORE_CTX_cleanup and
        // _free do not free it. The caller's borrow keeps it alive during verify_cert.
        unsafe { X509_STORE_CTX_set0_crls(context.as_ptr(), self.raw.cast()) };
    }
}

impl Drop for CrlStack {
    fn drop(&mut self) {
        // SAFETY: frees the stack only (not its elements), once.
        unsafe { openssl_sys::OPENSSL_sk_free(self.raw) };
    }
}

/// Adds `policy` (a dotted OID) to the acceptable policies.
pub fn add_policy(param: &mut X509VerifyParamRef, policy: &str) -> Result<(), ErrorStack> {
    let object = Asn1Object::from_str(policy)?;
    // add0 takes ownership of the object on success.
    let raw = object.as_ptr();
    std::mem::forget(object);
    // SAFETY: `raw` is a valid object released from its wrapper above.
    let ok = unsafe { X509_VERIFY_PARAM_add0_policy(param.as_ptr(), raw) };
    if ok == 1 {
        Ok(())
    } else {
        // SAFETY: not taken by OpenSSL; rewrap so it is freed once.
        drop(unsafe { Asn1Object::from_ptr(raw) });
        Err(ErrorStack::get())
    }
}

unsafe extern "C" fn free_pkcs7(p7: *mut c_void) {
    // SAFETY: called by OPENSSL_sk_pop_free on each element of a STACK_OF(PKCS7) it owns.
    unsafe { openssl_sys::PKCS7_free(p7.cast()) }
}

unsafe extern "C" fn free_safe_bag(bag: *mut c_void) {
    // SAFETY: called by OPENSSL_sk_pop_free on each element of a STACK_OF(PKCS12_SAFEBAG).
    unsafe { PKCS12_SAFEBAG_free(bag.cast()) }
}

/// What a PKCS#12 key store holds, decrypted: the first shrouded key bag's PrivateKeyInfo (DER)
/// and every certificate bag's certificate (DER), whatever the key's algorithm. OpenSSL parses
/// the BER store and decrypts the bags (the NCA's certificate bags are RC2-40 encrypted, its key
/// bags 3DES); it is never asked to understand the key, so GOST keys come out too.
#[derive(Default)]
pub struct Pkcs12Contents {
    /// The PrivateKeyInfo of the first key bag, when there is one.
    pub key_info: Option<zeroize::Zeroizing<Vec<u8>>>,
    /// The certificates, in the store's order.
    pub certificates: Vec<Vec<u8>>,
}

/// Why a PKCS#12 key store's contents could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pkcs12Failure {
    /// The integrity MAC does not verify with this password (or a bag does not decrypt).
    WrongPassword,
    /// The password is too long for OpenSSL or has a NUL character.
    UnusablePassword,
}

/// OpenSSL 3 needs the legacy provider for what Kazakhstan's CA issues (RC2-40 certificate bags,
/// 3DES key bags, SHA-1 MAC). Loaded once, kept for the life of the process.
pub fn load_providers() -> Result<(), String> {
    use openssl::provider::Provider;
    static PROVIDERS: std::sync::OnceLock<Result<(Provider, Provider), String>> =
        std::sync::OnceLock::new();
    match PROVIDERS.get_or_init(|| {
        let default = Provider::try_load(None, "default", true).map_err(|e| e.to_string())?;
        let legacy = Provider::try_load(None, "legacy", true).map_err(|e| e.to_string())?;
        Ok((default, legacy))
    }) {
        Ok(_) => Ok(()),
        Err(e) => Err(e.clone()),
    }
}

/// Decrypts the contents of `p12` with `password` (see [`Pkcs12Contents`]).
pub fn pkcs12_contents(
    p12: &openssl::pkcs12::Pkcs12Ref,
    password: &str,
) -> Result<Pkcs12Contents, Pkcs12Failure> {
    let password = std::ffi::CString::new(password).map_err(|_| Pkcs12Failure::UnusablePassword)?;
    let password_length =
        c_int::try_from(password.as_bytes().len()).map_err(|_| Pkcs12Failure::UnusablePassword)?;
    // SAFETY: `p12` is a live PKCS12 for both calls; the password outlives them.
    let mac_ok = unsafe {
        PKCS12_mac_present(p12.as_ptr()) == 0
            || PKCS12_verify_mac(p12.as_ptr(), password.as_ptr(), password_length) == 1
    };
    if !mac_ok {
        let _ = ErrorStack::get();
        return Err(Pkcs12Failure::WrongPassword);
    }
    let mut contents = Pkcs12Contents::default();
    // SAFETY: `p12` is a live PKCS12; the returned stack is owned here and freed below with
    // its elements.
    let safes = unsafe { PKCS12_unpack_authsafes(p12.as_ptr()) };
    if safes.is_null() {
        let _ = ErrorStack::get();
        return Ok(contents);
    }
    let mut failure = None;
    // SAFETY: `safes` is a valid stack for the whole loop.
    let count = unsafe { openssl_sys::OPENSSL_sk_num(safes) };
    for i in 0..count {
        // SAFETY: 0 <= i < count; the element stays owned by `safes`.
        let p7 = unsafe { openssl_sys::OPENSSL_sk_value(safes, i) }.cast::<openssl_sys::PKCS7>();
        // SAFETY: NULL for content that is not plain data; then it may be encrypted data,
        // decrypted with the password (NULL again if it is neither or does not decrypt).
        let mut bags = unsafe { PKCS12_unpack_p7data(p7) };
        if bags.is_null() {
            let _ = ErrorStack::get();
            // SAFETY: as above; the password outlives the call.
            bags = unsafe { PKCS12_unpack_p7encdata(p7, password.as_ptr(), password_length) };
        }
        if bags.is_null() {
            let _ = ErrorStack::get();
            continue;
        }
        // SAFETY: `bags` is a valid stack until freed below.
        let bag_count = unsafe { openssl_sys::OPENSSL_sk_num(bags) };
        for j in 0..bag_count {
            // SAFETY: 0 <= j < bag_count; owned by `bags`.
            let bag = unsafe { openssl_sys::OPENSSL_sk_value(bags, j) }.cast::<SafeBag>();
            // SAFETY: `bag` is valid.
            let nid = unsafe { PKCS12_SAFEBAG_get_nid(bag) };
            if nid == openssl_sys::NID_pkcs8ShroudedKeyBag && contents.key_info.is_none() {
                // SAFETY: `bag` is valid; the password outlives the call; the result is owned
                // here.
                let info = unsafe { PKCS12_decrypt_skey(bag, password.as_ptr(), password_length) };
                if info.is_null() {
                    let _ = ErrorStack::get();
                    failure = Some(Pkcs12Failure::WrongPassword);
                    continue;
                }
                contents.key_info = key_info_der(info).map(zeroize::Zeroizing::new);
                // SAFETY: freed once, after its last use (OpenSSL clears it on free).
                unsafe { openssl_sys::PKCS8_PRIV_KEY_INFO_free(info) };
            } else if nid == openssl_sys::NID_certBag {
                // SAFETY: `bag` is valid; NULL unless it holds an X.509 certificate; the result
                // is owned here.
                let cert = unsafe { PKCS12_SAFEBAG_get1_cert(bag) };
                if cert.is_null() {
                    let _ = ErrorStack::get();
                    continue;
                }
                // SAFETY: a new reference, owned (and freed) by the wrapper.
                let cert = unsafe { openssl::x509::X509::from_ptr(cert) };
                if let Ok(der) = cert.to_der() {
                    contents.certificates.push(der);
                }
            }
        }
        // SAFETY: frees the stack and its bags, once.
        unsafe { openssl_sys::OPENSSL_sk_pop_free(bags, Some(free_safe_bag)) };
    }
    // SAFETY: frees the stack and its PKCS7 elements, once.
    unsafe { openssl_sys::OPENSSL_sk_pop_free(safes, Some(free_pkcs7)) };
    match (failure, &contents.key_info) {
        (Some(failure), None) => Err(failure),
        _ => Ok(contents),
    }
}

fn key_info_der(info: *mut openssl_sys::PKCS8_PRIV_KEY_INFO) -> Option<Vec<u8>> {
    // SAFETY: `info` is valid; a null output pointer asks for the length only.
    let size = unsafe { i2d_PKCS8_PRIV_KEY_INFO(info, std::ptr::null_mut()) };
    let size = usize::try_from(size).ok().filter(|s| *s > 0)?;
    let mut der = vec![0u8; size];
    let mut out = der.as_mut_ptr();
    // SAFETY: `der` has exactly the length OpenSSL asked for.
    let written = unsafe { i2d_PKCS8_PRIV_KEY_INFO(info, &mut out) };
    der.truncate(usize::try_from(written).unwrap_or(0));
    Some(der)
}
