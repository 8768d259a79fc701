//! The certificate path from a certificate to a trust anchor at a given time (RFC 5280, 6), by
//! OpenSSL's path validation, with revocation from CRLs held in memory and the RFC 5280 policy
//! inputs; and the signer's status from OCSP responses, each response checked before it is
//! believed. The NIST PKITS and x509-limbo harness (tests/path_validation.rs) runs this module.

use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};
use openssl::x509::{X509, X509Crl, X509StoreContext, X509VerifyResult};

use super::report::SubIndication;
use crate::pki::{oid, ossl};

/// Which certificates of the path must have a CRL saying they are not revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Revocation {
    /// No revocation checking (the caller establishes status otherwise, e.g. by OCSP).
    #[default]
    Off,
    /// The end certificate only.
    EndCertificate,
    /// Every certificate below the trust anchor.
    AllCertificates,
}

/// The inputs of RFC 5280 path validation besides the certificates.
#[derive(Debug, Clone, Default)]
pub struct PathOptions {
    /// Validation time, Unix seconds.
    pub time: i64,
    /// CRLs (DER) OpenSSL may use for revocation, checked against their issuers.
    pub crls: Vec<Vec<u8>>,
    /// What must be checked against the CRLs.
    pub revocation: Revocation,
    /// user-initial-policy-set (dotted OIDs); empty means any-policy.
    pub initial_policies: Vec<String>,
    /// initial-explicit-policy.
    pub explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    pub inhibit_policy_mapping: bool,
    /// initial-any-policy-inhibit.
    pub inhibit_any_policy: bool,
    /// Largest number of intermediate certificates (default: OpenSSL's 100).
    pub max_intermediates: Option<u32>,
    /// Skip the validity-period checks of certificates and CRLs: for a status check whose
    /// path was validated at `time` already, where a CRL issued later is the best evidence.
    pub skip_time_checks: bool,
}

/// Why a path is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFailure {
    /// The ETSI sub-indication.
    pub sub_indication: SubIndication,
    /// OpenSSL's reason with the certificate's position.
    pub reason: String,
    /// Position in the path of the certificate that failed (0 = end certificate).
    pub depth: u32,
    /// OpenSSL's `X509_V_ERR_*` code.
    pub code: i32,
}

fn setup_failure(error: impl ToString) -> PathFailure {
    PathFailure {
        sub_indication: SubIndication::FormatFailure,
        reason: error.to_string(),
        depth: 0,
        code: 1,
    }
}

/// A path found valid, and the times at which it stays so: inside every certificate's validity.
#[derive(Clone)]
struct RememberedPath {
    path: Vec<X509>,
    /// The first and last second at which all its certificates are valid.
    valid_from: i64,
    valid_until: i64,
}

/// Validates the path from `leaf` through `intermediates` to one of `anchors` (which need not
/// be self-signed: a trusted intermediate ends the path). Returns the path, leaf first.
///
/// Without revocation checking, whether a path is valid depends on the time only through the
/// certificates' validity periods; so a path found for the same certificates and inputs is
/// remembered (process-wide, bounded) and given again for any time inside all its
/// certificates' validity periods. Failures and other times go through OpenSSL.
pub fn validate_path(
    anchors: &[X509],
    intermediates: &[X509],
    leaf: &X509,
    options: &PathOptions,
) -> Result<Vec<X509>, PathFailure> {
    static PATHS: crate::pki::cert::Memo<RememberedPath> = crate::pki::cert::Memo::new();
    let rememberable = options.revocation == Revocation::Off
        && options.crls.is_empty()
        && !options.skip_time_checks;
    let key = rememberable
        .then(|| path_key(anchors, intermediates, leaf, options))
        .flatten();
    if let Some(remembered) = key.as_ref().and_then(|key| PATHS.get(key))
        && (remembered.valid_from..=remembered.valid_until).contains(&options.time)
    {
        return Ok(remembered.path);
    }
    let path = validate_path_now(anchors, intermediates, leaf, options)?;
    if let Some(key) = key
        && let Some((valid_from, valid_until)) = common_validity(&path)
    {
        PATHS.put(
            key,
            RememberedPath {
                path: path.clone(),
                valid_from,
                valid_until,
            },
        );
    }
    Ok(path)
}

/// What a path's validity depends on besides the time: every certificate, in order, and the
/// policy inputs.
fn path_key(
    anchors: &[X509],
    intermediates: &[X509],
    leaf: &X509,
    options: &PathOptions,
) -> Option<[u8; 32]> {
    let mut ders = Vec::with_capacity(anchors.len() + intermediates.len() + 1);
    for (group, certs) in [anchors, intermediates, std::slice::from_ref(leaf)]
        .into_iter()
        .enumerate()
    {
        ders.push(vec![group as u8]);
        for cert in certs {
            ders.push(cert.to_der().ok()?);
        }
    }
    let PathOptions {
        time: _,
        crls: _,
        revocation: _,
        skip_time_checks: _,
        initial_policies,
        explicit_policy,
        inhibit_policy_mapping,
        inhibit_any_policy,
        max_intermediates,
    } = options;
    ders.push(
        format!(
            "{initial_policies:?} {explicit_policy} {inhibit_policy_mapping} \
             {inhibit_any_policy} {max_intermediates:?}"
        )
        .into_bytes(),
    );
    let inputs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    Some(crate::pki::cert::Memo::<RememberedPath>::key(&inputs))
}

/// The times, Unix seconds, at which all of `path`'s certificates are valid.
fn common_validity(path: &[X509]) -> Option<(i64, i64)> {
    use der::Decode;
    let mut window = (i64::MIN, i64::MAX);
    for cert in path {
        let parsed = x509_cert::Certificate::from_der(&cert.to_der().ok()?).ok()?;
        let validity = parsed.tbs_certificate.validity;
        let seconds =
            |time: x509_cert::time::Time| i64::try_from(time.to_unix_duration().as_secs()).ok();
        window.0 = window.0.max(seconds(validity.not_before)?);
        // OpenSSL holds a certificate expired at its notAfter itself.
        window.1 = window.1.min(seconds(validity.not_after)? - 1);
    }
    Some(window)
}

/// [`validate_path`] through OpenSSL, every time.
fn validate_path_now(
    anchors: &[X509],
    intermediates: &[X509],
    leaf: &X509,
    options: &PathOptions,
) -> Result<Vec<X509>, PathFailure> {
    let mut builder = X509StoreBuilder::new().map_err(setup_failure)?;
    for anchor in anchors {
        builder.add_cert(anchor.clone()).map_err(setup_failure)?;
    }
    // A CRL that does not parse or lacks its CRL number (RFC 5280, 5.2.3: MUST) is ignored,
    // as if absent: its absence is then reported.
    let crls = ossl::CrlStack::new(
        options
            .crls
            .iter()
            .filter_map(|der| X509Crl::from_der(der).ok())
            .filter(|crl| {
                crl.extension::<openssl::x509::CrlNumber>()
                    .is_ok_and(|number| number.is_some())
            })
            .collect(),
    )
    .map_err(setup_failure)?;
    let mut flags = X509VerifyFlags::PARTIAL_CHAIN
        | X509VerifyFlags::USE_CHECK_TIME
        // RFC 5280's MUSTs for certificates (e.g. basicConstraints critical in CAs).
        | X509VerifyFlags::X509_STRICT
        | X509VerifyFlags::POLICY_CHECK
        | X509VerifyFlags::EXTENDED_CRL_SUPPORT
        | X509VerifyFlags::USE_DELTAS;
    match options.revocation {
        Revocation::Off => {}
        Revocation::EndCertificate => flags |= X509VerifyFlags::CRL_CHECK,
        Revocation::AllCertificates => {
            flags |= X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL
        }
    }
    if options.skip_time_checks {
        flags.remove(X509VerifyFlags::USE_CHECK_TIME);
        flags |= X509VerifyFlags::NO_CHECK_TIME;
    }
    if options.explicit_policy {
        flags |= X509VerifyFlags::EXPLICIT_POLICY;
    }
    if options.inhibit_policy_mapping {
        flags |= X509VerifyFlags::INHIBIT_MAP;
    }
    if options.inhibit_any_policy {
        flags |= X509VerifyFlags::INHIBIT_ANY;
    }
    let mut param = X509VerifyParam::new().map_err(setup_failure)?;
    // Setting a time turns time checks on in OpenSSL, whatever the flags say.
    if !options.skip_time_checks {
        param.set_time(options.time as _);
    }
    param.set_flags(flags).map_err(setup_failure)?;
    if let Some(max) = options.max_intermediates {
        param.set_depth(i32::try_from(max).unwrap_or(i32::MAX));
    }
    // RFC 5280, 6.1.1 (c): an empty user-initial-policy-set means any-policy.
    if options.initial_policies.is_empty() {
        ossl::add_policy(&mut param, &oid::ANY_POLICY.to_string()).map_err(setup_failure)?;
    }
    for policy in &options.initial_policies {
        ossl::add_policy(&mut param, policy).map_err(setup_failure)?;
    }
    builder.set_param(&param).map_err(setup_failure)?;
    let store = builder.build();
    let mut untrusted = Stack::new().map_err(setup_failure)?;
    for cert in intermediates {
        untrusted.push(cert.clone()).map_err(setup_failure)?;
    }
    let mut context = X509StoreContext::new().map_err(setup_failure)?;
    let (ok, error, depth, chain) = context
        .init(&store, leaf, &untrusted, |ctx| {
            crls.set_on(ctx);
            let ok = ctx.verify_cert()?;
            let chain: Vec<X509> = ctx
                .chain()
                .map(|c| c.iter().map(|x| x.to_owned()).collect())
                .unwrap_or_default();
            Ok((ok, ctx.error(), ctx.error_depth(), chain))
        })
        .map_err(setup_failure)?;
    if ok {
        profile_check(&chain)?;
        return Ok(chain);
    }
    Err(PathFailure {
        sub_indication: sub_indication(error, depth),
        reason: format!("{} (certificate {depth} of the path)", error.error_string()),
        depth,
        code: error.as_raw(),
    })
}

fn sub_indication(error: X509VerifyResult, depth: u32) -> SubIndication {
    // X509_V_ERR_* (openssl/x509_vfy.h).
    match (error.as_raw(), depth) {
        (10, 0) => SubIndication::Expired,
        (9, 0) => SubIndication::NotYetValid,
        (23, _) => SubIndication::Revoked,
        // The revocation data is missing, stale, or cannot be trusted.
        (3 | 5 | 8 | 11 | 12 | 15 | 16 | 33 | 35 | 36 | 44 | 54, _) => SubIndication::TryLater,
        (2 | 18 | 19 | 20 | 21, _) => SubIndication::NoCertificateChainFound,
        _ => SubIndication::ChainConstraintsFailure,
    }
}

/// RFC 5280 rules for certificates that OpenSSL does not enforce, checked on every certificate
/// of a valid path: a positive serial number of at most 20 octets (4.1.2.2), a non-empty
/// extended key usage (4.2.1.12), name constraints marked critical (4.2.1.10). (PKITS expects
/// non-critical policy constraints to be accepted, so that rule is left to the issuers.)
fn profile_check(chain: &[X509]) -> Result<(), PathFailure> {
    // A pure function of each certificate, and the same CA certificates recur: memoised.
    static CACHE: crate::pki::cert::Memo<Option<&'static str>> = crate::pki::cert::Memo::new();
    for (depth, cert) in chain.iter().enumerate() {
        let depth = depth as u32;
        let der = cert.to_der().unwrap_or_default();
        if let Some(reason) = CACHE.get_or(&[&der], || profile_problem(cert, &der)) {
            return Err(PathFailure {
                sub_indication: SubIndication::ChainConstraintsFailure,
                reason: format!("{reason} (certificate {depth} of the path)"),
                depth,
                code: 0,
            });
        }
    }
    Ok(())
}

/// What breaks RFC 5280's profile in one certificate, if anything.
fn profile_problem(cert: &X509, der: &[u8]) -> Option<&'static str> {
    use der::Decode;
    let serial_ok = cert
        .serial_number()
        .to_bn()
        .is_ok_and(|n| !n.is_negative() && n.num_bits() > 0 && n.num_bytes() <= 20);
    if !serial_ok {
        return Some("the serial number is not a positive integer of at most 20 octets");
    }
    // OpenSSL parsed it; x509-cert is stricter about old encodings (PKITS has UTCTime dates
    // before 2000 that it refuses), so an unparsed certificate skips the rest.
    let parsed = x509_cert::Certificate::from_der(der).ok()?;
    for extension in parsed.tbs_certificate.extensions.iter().flatten() {
        let id = extension.extn_id;
        if id == oid::ID_CE_NAME_CONSTRAINTS && !extension.critical {
            return Some("name constraints not marked critical");
        }
        if id == oid::ID_CE_EXT_KEY_USAGE
            && x509_cert::ext::pkix::ExtendedKeyUsage::from_der(extension.extn_value.as_bytes())
                .is_ok_and(|eku| eku.0.is_empty())
        {
            return Some("an empty extended key usage");
        }
    }
    None
}
