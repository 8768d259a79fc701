//! The revocation status of every certificate of a path: what the document and the options
//! give, then (online) what the certificates' own responders and distribution points give, under
//! the verification's budget; one report line each, and the failures.

use openssl::x509::{X509, X509VerifyResult};

use super::report::{CertificateStatus, Indication, Revocation, SubIndication};
use super::trust::subject_line;
use super::{Evidence, rfc3339};
use crate::pki::cert;

/// The status at `time` of every certificate of a GOST `path` (DER, signer first) below its
/// anchor: one line each, and the failures.
pub(super) fn gost_revocation(path: &[Vec<u8>], evidence: &Evidence, time: i64) -> PathRevocation {
    let parsed: Vec<X509> = path
        .iter()
        .filter_map(|der| cert::parse(der).ok())
        .collect();
    if parsed.len() != path.len() {
        let mut statuses = PathRevocation::default();
        statuses.judge(
            &cert::subject_of(&path[0]),
            0,
            CertStatus::Unknown("a certificate of the path cannot be read".into()),
            time,
        );
        return statuses;
    }
    revocation_of_path(&parsed, &[], evidence, &[], time)
}

/// The status of every certificate of `path` (signer first, trust anchor last) at `time`: the
/// OCSP responses and CRLs at hand, then (unless offline) what the certificate's own responders
/// and distribution points give. One line per certificate, and the failures.
pub(super) fn revocation_of_path(
    path: &[X509],
    untrusted: &[X509],
    evidence: &Evidence,
    anchors: &[X509],
    time: i64,
) -> PathRevocation {
    let mut statuses = PathRevocation::default();
    // The last certificate of the path is the trust anchor.
    for (depth, cert) in path.iter().enumerate().take(path.len().saturating_sub(1)) {
        let issuer = &path[depth + 1];
        let gost = cert.to_der().is_ok_and(|der| cert::is_gost_signed(&der));
        // A GOST path is already checked signature by signature; OpenSSL's name and key
        // identifier match is asked of the others.
        if !gost && issuer.issued(cert) != X509VerifyResult::OK {
            continue;
        }
        if depth > 0 && cert::has_ocsp_nocheck(cert) {
            continue;
        }
        let name = subject_line(cert);
        let status_from = |ocsps: &[Vec<u8>], crls: &[Vec<u8>]| {
            status_of(cert, issuer, untrusted, ocsps, crls, anchors, time)
        };
        let mut status = status_from(&evidence.ocsps, &evidence.crls);
        if let (CertStatus::Unknown(_), Some(budget)) = (&status, &evidence.budget) {
            let (fetched, failures) = crate::pki::fetch::status_from_sources(
                cert,
                issuer,
                budget,
                &evidence.ocsps,
                &evidence.crls,
                |ocsps, crls| settled(status_from(ocsps, crls)),
            );
            status = fetched_status(fetched, &failures);
        }
        statuses.judge(&name, depth, status, time);
    }
    statuses
}

/// One certificate's status: the first OCSP response that speaks for it
/// ([`crate::pki::ocsp`]), else its issuer's CRLs ([`crate::pki::crl`]), whatever the
/// algorithm.
fn status_of(
    cert: &X509,
    issuer: &X509,
    untrusted: &[X509],
    ocsps: &[Vec<u8>],
    crls: &[Vec<u8>],
    anchors: &[X509],
    time: i64,
) -> CertStatus {
    use crate::pki::ocsp;
    let checking = ocsp::Checking {
        anchors,
        untrusted,
        time,
        now: time::UtcDateTime::now().unix_timestamp(),
    };
    let why_not_ocsp = match ocsp::status(cert, issuer, ocsps, &checking) {
        Ok(status) => {
            return match status {
                ocsp::Status::Good => CertStatus::Good("OCSP".into()),
                ocsp::Status::OnHold { .. } => CertStatus::OnHold("OCSP, certificateHold".into()),
                ocsp::Status::Revoked { at, reason } => CertStatus::Revoked(
                    reason.map_or_else(|| "OCSP".into(), |r| format!("OCSP, {r}")),
                    at,
                ),
            };
        }
        Err(reason) => reason,
    };
    let (cert_der, issuer_der) = match (cert.to_der(), issuer.to_der()) {
        (Ok(c), Ok(i)) => (c, i),
        _ => return CertStatus::Unknown("the certificate cannot be encoded".into()),
    };
    let from_crls = crl_status(&cert_der, &issuer_der, crls, time);
    match from_crls {
        CertStatus::Unknown(why) if !ocsps.is_empty() => {
            CertStatus::Unknown(format!("OCSP: {why_not_ocsp}; CRL: {why}"))
        }
        other => other,
    }
}

/// A status and whether it is settled (anything but unknown): whether to look further.
fn settled(status: CertStatus) -> (CertStatus, bool) {
    let settled = !matches!(status, CertStatus::Unknown(_));
    (status, settled)
}

/// A status found with fetched data says so; an unknown one names the sources that did not
/// answer.
fn fetched_status(status: CertStatus, failures: &[String]) -> CertStatus {
    match status {
        CertStatus::Good(source) => CertStatus::Good(format!(
            "{source}, fetched from the certificate's responder"
        )),
        CertStatus::Revoked(source, at) => CertStatus::Revoked(
            format!("{source}, fetched from the certificate's responder"),
            at,
        ),
        CertStatus::Unknown(reason) if !failures.is_empty() => {
            CertStatus::Unknown(format!("{reason}; fetching: {}", failures.join("; ")))
        }
        other => other,
    }
}

/// A certificate's status and where it came from.
pub(super) enum CertStatus {
    Good(String),
    /// Source and revocation time (Unix seconds) when known.
    Revoked(String, Option<i64>),
    OnHold(String),
    /// Why nothing usable was found.
    Unknown(String),
}

/// The revocation status of a path's certificates: a report line each, and what failed.
#[derive(Default)]
pub(super) struct PathRevocation {
    pub(super) lines: Vec<Revocation>,
    pub(super) failures: Vec<(Indication, SubIndication, String)>,
}

impl PathRevocation {
    /// Adds the report line for certificate `depth` of the path (`name`) and decides: revoked
    /// is TOTAL-FAILED / REVOKED unless revoked after the validation time; on hold and unknown
    /// are INDETERMINATE / TRY_LATER.
    pub(super) fn judge(&mut self, name: &str, depth: usize, status: CertStatus, time: i64) {
        let entry = |status: CertificateStatus, source: &str, revoked_at: Option<i64>| Revocation {
            certificate: name.to_string(),
            status,
            source: source.to_string(),
            revoked_at: revoked_at.map(rfc3339),
        };
        let (line, failure) = match status {
            CertStatus::Good(source) => (entry(CertificateStatus::Good, &source, None), None),
            CertStatus::Revoked(source, Some(revoked_at)) if revoked_at > time => (
                entry(
                    CertificateStatus::RevokedAfterValidationTime,
                    &source,
                    Some(revoked_at),
                ),
                None,
            ),
            CertStatus::Revoked(source, revoked_at) => (
                entry(CertificateStatus::Revoked, &source, revoked_at),
                Some((
                    Indication::TotalFailed,
                    SubIndication::Revoked,
                    format!("certificate {depth} of the path is revoked ({source})"),
                )),
            ),
            CertStatus::OnHold(source) => (
                entry(CertificateStatus::OnHold, &source, None),
                Some((
                    Indication::Indeterminate,
                    SubIndication::TryLater,
                    format!("certificate {depth} of the path is on hold ({source})"),
                )),
            ),
            CertStatus::Unknown(reason) => (
                entry(CertificateStatus::Unknown, &reason, None),
                Some((
                    Indication::Indeterminate,
                    SubIndication::TryLater,
                    format!(
                        "no usable revocation data for certificate {depth} of the path: {reason}"
                    ),
                )),
            ),
        };
        self.lines.push(line);
        self.failures.extend(failure);
    }

    /// `Ok` when no certificate failed, else the first failure's reason.
    pub(super) fn passed(self) -> Result<(), String> {
        match self.failures.into_iter().next() {
            Some((_, _, reason)) => Err(reason),
            None => Ok(()),
        }
    }
}

/// A certificate's status from its issuer's CRLs ([`crate::pki::crl`], RSA/EC and GOST).
fn crl_status(cert: &[u8], issuer: &[u8], crls: &[Vec<u8>], time: i64) -> CertStatus {
    match crate::pki::crl::status(cert, issuer, crls, time) {
        Ok((_, None)) => CertStatus::Good("CRL".into()),
        Ok((_, Some(entry))) if entry.reason.as_deref() == Some("certificateHold") => {
            CertStatus::OnHold("CRL".into())
        }
        Ok((_, Some(entry))) => CertStatus::Revoked(
            entry
                .reason
                .map_or_else(|| "CRL".into(), |r| format!("CRL, {r}")),
            Some(entry.revoked_at),
        ),
        Err(reason) => CertStatus::Unknown(reason),
    }
}
