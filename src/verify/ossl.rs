//! The OpenSSL calls the `openssl` crate does not wrap, for RFC 5280 path validation with CRLs
//! held in memory and the user-initial-policy-set: giving a verification context its CRLs
//! (`X509_STORE_CTX_set0_crls`, which, unlike the store, also finds indirect CRLs) and adding
//! an acceptable policy (`X509_VERIFY_PARAM_add0_policy`). This is the crate's only unsafe code.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};

use foreign_types::{ForeignType, ForeignTypeRef};
use openssl::asn1::Asn1Object;
use openssl::error::ErrorStack;
use openssl::x509::verify::X509VerifyParamRef;
use openssl::x509::{X509Crl, X509StoreContextRef};

unsafe extern "C" {
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
