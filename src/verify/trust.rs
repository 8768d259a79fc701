//! Whether a signer's (or a TSA's) certificate is trusted at a time: its path to an anchor,
//! RSA/EC through OpenSSL, GOST through [`super::gost_path`], then the status of every
//! certificate of the path.

use openssl::x509::X509;

use super::outcome::Outcome;
use super::report::{Indication, SignatureReport, SubIndication};
use super::revocation::{gost_revocation, revocation_of_path};
use super::{Evidence, VerifyOptions, anchors_of, chain, cms, gost_path, validation_time_of};
use crate::pki::cert;

/// Whether a signing certificate (DER) is trusted and not revoked at the options' time (or
/// now): its path to one of the options' anchors, through `intermediates` and revocation from
/// the options' CRLs and OCSP responses, GOST or not — what a signature by it would be judged
/// on. The report names the signer, the chain and each certificate's status; its indication
/// says whether the certificate passes. For a certificate announced before it signs (external
/// signing).
pub fn check_certificate(
    certificate_der: &[u8],
    intermediates: &[Vec<u8>],
    options: &VerifyOptions,
) -> SignatureReport {
    let time = validation_time_of(options);
    let mut outcome = Outcome::new(None, None, time, None);
    outcome.name_signer(certificate_der);
    let evidence = Evidence {
        certs: intermediates.to_vec(),
        ocsps: options.ocsps.clone(),
        crls: options.crls.clone(),
        ..Evidence::for_options(options)
    };
    let anchors = match anchors_of(options) {
        Ok(anchors) => anchors,
        Err(e) => {
            return outcome.fail(
                Indication::Indeterminate,
                SubIndication::NoCertificateChainFound,
                format!("trust anchors: {e}"),
            );
        }
    };
    assess_path(
        outcome,
        certificate_der,
        &evidence,
        &anchors,
        options,
        time.unix_timestamp(),
    )
}

/// The path of `signer_der` to an anchor and the revocation status of its certificates at
/// `time`: the last part of every signature's assessment.
pub(super) fn assess_path(
    outcome: Outcome,
    signer_der: &[u8],
    evidence: &Evidence,
    anchors: &[X509],
    options: &VerifyOptions,
    time: i64,
) -> SignatureReport {
    if cert::is_gost_signed(signer_der) {
        return assess_gost(outcome, signer_der, evidence, options, time);
    }
    let mut outcome = outcome;
    let Ok(leaf) = cert::parse(signer_der) else {
        return outcome.fail(
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            "unreadable signer certificate",
        );
    };
    let untrusted = cert::unique(&evidence.certs);
    let path = match chain::validate_path(
        anchors,
        &untrusted,
        &leaf,
        &chain::PathOptions {
            time,
            ..Default::default()
        },
    ) {
        Ok(path) => path,
        Err(failure) => return no_path(outcome, failure.sub_indication, failure.reason),
    };
    outcome.report.trusted = Some(true);
    outcome.report.chain = path.iter().map(subject_line).collect();
    let statuses = revocation_of_path(&path, &untrusted, evidence, anchors, time);
    outcome.take_revocation(statuses);
    outcome.finish()
}

/// No path to an anchor at the validation time: INDETERMINATE, and a certificate outside its
/// validity is OUT_OF_BOUNDS_NO_POE (nothing proves the signature was made while it was valid).
fn no_path(mut outcome: Outcome, sub: SubIndication, reason: String) -> SignatureReport {
    let sub = match sub {
        SubIndication::Expired | SubIndication::NotYetValid => SubIndication::OutOfBoundsNoPoe,
        other => other,
    };
    outcome.report.trusted = Some(false);
    outcome.fail(Indication::Indeterminate, sub, reason)
}

/// Path and revocation for a GOST-signed certificate (OpenSSL cannot check GOST signatures).
pub(super) fn assess_gost(
    mut outcome: Outcome,
    signer_der: &[u8],
    evidence: &Evidence,
    options: &VerifyOptions,
    time: i64,
) -> SignatureReport {
    let path = match gost_path::validate(signer_der, &evidence.certs, &options.trust_anchors, time)
    {
        Ok(path) => path,
        Err((sub, reason)) => return no_path(outcome, sub, reason),
    };
    outcome.report.trusted = Some(true);
    outcome.report.chain = path.iter().map(|c| cert::subject_of(c)).collect();
    outcome.take_revocation(gost_revocation(&path, evidence, time));
    outcome.finish()
}

/// The TSA of a signature timestamp chains to a trust anchor at the timestamp's time, has the
/// timeStamping extended key usage, and is not revoked.
pub(super) fn timestamp_is_trusted(
    timestamp: &cms::SignatureTimestamp,
    untrusted: &[X509],
    evidence: &Evidence,
    anchors: &[X509],
    options: &VerifyOptions,
) -> Result<(), String> {
    if !cert::has_time_stamping_eku(&timestamp.tsa) {
        return Err("the TSA's certificate lacks the timeStamping extended key usage".into());
    }
    if cert::is_gost_signed(&timestamp.tsa) {
        let pool: Vec<Vec<u8>> = evidence
            .certs
            .iter()
            .chain(&timestamp.certificates)
            .cloned()
            .collect();
        let path = gost_path::validate(
            &timestamp.tsa,
            &pool,
            &options.trust_anchors,
            timestamp.time,
        )
        .map_err(|(_, reason)| reason)?;
        return gost_revocation(&path, evidence, timestamp.time).passed();
    }
    let tsa = cert::parse(&timestamp.tsa).map_err(|e| e.to_string())?;
    let path = chain::validate_path(
        anchors,
        untrusted,
        &tsa,
        &chain::PathOptions {
            time: timestamp.time,
            ..Default::default()
        },
    )
    .map_err(|failure| failure.reason)?;
    revocation_of_path(&path, untrusted, evidence, anchors, timestamp.time).passed()
}

pub(super) fn subject_line(cert: &X509) -> String {
    cert.to_der()
        .map(|der| cert::subject_of(&der))
        .unwrap_or_default()
}
