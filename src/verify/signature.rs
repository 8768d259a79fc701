//! One PDF signature from its dictionary to its report: the /ByteRange, the CMS, changes after
//! signing, the PAdES level, then who signed and whether they are trusted.

use crate::pki::pdf_reader::PdfFile;
use openssl::x509::X509;

use super::outcome::Outcome;
use super::report::{Coverage, Indication, ModificationLevel, SignatureReport, SubIndication};
use super::trust::{assess_path, timestamp_is_trusted};
use super::{
    BER_NOTE, Evidence, VerifyOptions, changes, cms, load_revision, pdf, rfc3339,
    validation_time_of,
};
use crate::pki::cert;

/// A PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, ISO 32000-1, 7.9.4; every part after the year
/// optional, no offset meaning UTC) in RFC 3339.
pub(super) fn pdf_date_rfc3339(text: &str) -> Option<String> {
    let digits = text.strip_prefix("D:").unwrap_or(text);
    let number = |from: usize, len: usize, default: u8| -> Option<u8> {
        match digits.get(from..from + len) {
            Some(part) if part.bytes().all(|b| b.is_ascii_digit()) => part.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year: i32 = digits.get(0..4)?.parse().ok()?;
    let (month, day) = (number(4, 2, 1)?, number(6, 2, 1)?);
    let (hour, minute, second) = (number(8, 2, 0)?, number(10, 2, 0)?, number(12, 2, 0)?);
    let digits_end = digits
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map(|(i, _)| i)
        .unwrap_or(digits.len())
        .min(14);
    let zone = &digits[digits_end..];
    let offset = match zone.chars().next() {
        None | Some('Z') => time::UtcOffset::UTC,
        Some(sign @ ('+' | '-')) => {
            let numbers: Vec<i8> = zone[1..]
                .split('\'')
                .filter(|part| !part.is_empty())
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            let (hours, minutes) = (*numbers.first()?, numbers.get(1).copied().unwrap_or(0));
            let factor = if sign == '-' { -1 } else { 1 };
            time::UtcOffset::from_hms(factor * hours, factor * minutes, 0).ok()?
        }
        Some(_) => return None,
    };
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let time = time::Time::from_hms(hour, minute, second).ok()?;
    time::PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// A signature proper, or a timestamp token standing as one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Signature,
    DocumentTimestamp,
}

impl Kind {
    /// A /DocTimeStamp, or a signature dictionary with /SubFilter ETSI.RFC3161, is a document
    /// timestamp.
    fn of(signature: &pdf::FoundSignature) -> Kind {
        if signature.kind.as_deref() == Some("DocTimeStamp")
            || signature.sub_filter.as_deref() == Some("ETSI.RFC3161")
        {
            Kind::DocumentTimestamp
        } else {
            Kind::Signature
        }
    }
}

pub(super) fn verify_pdf_signature(
    file: &[u8],
    last: &PdfFile,
    signature: &pdf::FoundSignature,
    dss: &Evidence,
    anchors: &[X509],
    options: &VerifyOptions,
) -> SignatureReport {
    let claimed = signature.m.as_deref().map(|m| (m, pdf_date_rfc3339(m)));
    let mut outcome = Outcome::new(
        signature.field.clone(),
        signature.sub_filter.clone(),
        validation_time_of(options),
        claimed.as_ref().and_then(|(_, rfc3339)| rfc3339.clone()),
    );
    if let Some((m, None)) = claimed {
        outcome
            .report
            .warnings
            .push(format!("the signing time /M {m:?} is not a PDF date"));
    }
    let (range, der) = match pdf::check_byte_range(file, signature) {
        Ok(checked) => checked,
        Err(problem) => {
            if let Some((ranges, der)) = &problem.readable {
                report_cryptography_anyway(&mut outcome, file, ranges, der, signature);
            }
            return outcome.fail(
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                problem.reason,
            );
        }
    };
    if range.ber {
        outcome.report.warnings.push(BER_NOTE.into());
    }
    let [_, a, b, c] = range.range;
    outcome.report.coverage = Some(Coverage {
        byte_range: [0, a as u64, b as u64, c as u64],
        whole_file: range.whole_file,
        bytes_after: (file.len() - (b + c)) as u64,
    });
    let parts: [&[u8]; 2] = [&file[..a], &file[b..b + c]];
    let sub_filter = signature.sub_filter.as_deref().unwrap_or_default();
    let kind = Kind::of(signature);
    let mut evidence = dss.clone();
    let check = match (kind, sub_filter) {
        (Kind::DocumentTimestamp, _) => {
            let (check, certificates) = cms::check_timestamp(&der, &parts);
            evidence.certs.extend(certificates);
            check
        }
        (Kind::Signature, "ETSI.CAdES.detached" | "adbe.pkcs7.detached" | "adbe.pkcs7.sha1") => {
            let parsed = match cms::parse(&der) {
                Ok(parsed) => parsed,
                Err((sub, reason)) => return outcome.fail(Indication::TotalFailed, sub, reason),
            };
            if parsed.signer_count() != 1 {
                return outcome.fail(
                    Indication::TotalFailed,
                    SubIndication::FormatFailure,
                    format!(
                        "{} SignerInfos; a PDF signature has exactly one",
                        parsed.signer_count()
                    ),
                );
            }
            evidence.extend(&Evidence {
                certs: parsed.certificates.clone(),
                ocsps: parsed.ocsps.clone(),
                crls: parsed.crls.clone(),
                budget: None,
            });
            match (sub_filter, parsed.encapsulated()) {
                ("adbe.pkcs7.sha1", Some(content)) => {
                    // The CMS signs the SHA-1 digest of the byte ranges (ISO 32000-1, 12.8.3.3).
                    let digest =
                        openssl::hash::hash(openssl::hash::MessageDigest::sha1(), &parts.concat())
                            .map(|d| d.to_vec())
                            .unwrap_or_default();
                    if content != digest {
                        outcome.report.intact = Some(false);
                        return outcome.fail(
                            Indication::TotalFailed,
                            SubIndication::HashFailure,
                            "the encapsulated SHA-1 digest does not match the signed bytes",
                        );
                    }
                    outcome
                        .report
                        .warnings
                        .push("adbe.pkcs7.sha1: the document is signed through SHA-1".into());
                    cms::check(&parsed, 0, &[&content])
                }
                ("adbe.pkcs7.sha1", None) => {
                    return outcome.fail(
                        Indication::TotalFailed,
                        SubIndication::FormatFailure,
                        "adbe.pkcs7.sha1 without the encapsulated digest",
                    );
                }
                (_, Some(_)) => {
                    return outcome.fail(
                        Indication::TotalFailed,
                        SubIndication::FormatFailure,
                        "the CMS encapsulates content; this /SubFilter requires a detached one",
                    );
                }
                (_, None) => cms::check(&parsed, 0, &parts),
            }
        }
        (Kind::Signature, other) => {
            return outcome.fail(
                Indication::Indeterminate,
                SubIndication::FormatFailure,
                format!("/SubFilter {other} is not supported"),
            );
        }
    };
    // Changes after signing, before anything else can pass the signature.
    if !range.whole_file && check.outcome.is_ok() {
        let signed = match load_revision(last, b + c) {
            Ok(signed) => signed,
            Err(e) => {
                return outcome.fail(
                    Indication::Indeterminate,
                    SubIndication::FormatFailure,
                    format!("the signed revision cannot be read on its own: {e}"),
                );
            }
        };
        let changes = changes::changes_after(&signed, last);
        outcome.report.modification_level = Some(changes.level);
        let refusal = changes.refusal();
        match changes.level {
            ModificationLevel::LtaUpdates => outcome
                .report
                .warnings
                .push("later revisions only add validation data or timestamps".into()),
            ModificationLevel::FormFilling if refusal.is_none() => outcome.report.warnings.push(
                "later revisions add signatures or fill in form fields, as the signature allows"
                    .into(),
            ),
            ModificationLevel::Annotations if refusal.is_none() => outcome.report.warnings.push(
                "annotations were added, changed or removed after signing: a viewer draws them \
                 over the signed pages"
                    .into(),
            ),
            _ => {}
        }
        outcome.report.modifications = changes.changes;
        if let Some(reason) = refusal {
            outcome.note_modified(reason);
        }
    }
    if outcome.report.modification_level.is_none() {
        outcome.report.modification_level = Some(if range.whole_file {
            ModificationLevel::None
        } else {
            ModificationLevel::LtaUpdates
        });
    }
    outcome.report.level = Some(pades_level(
        kind,
        sub_filter,
        &check,
        !range.whole_file && dss.has_validation_data(),
    ));
    assess(outcome, check, &evidence, kind, anchors, options)
}

/// For a signature refused for its /ByteRange: whether the bytes it does name are intact and
/// its value verifies, and who signed, so the report says what pyHanko and EU DSS would show
/// beside the refusal. Only the report's facts change, never the verdict.
pub(super) fn report_cryptography_anyway(
    outcome: &mut Outcome,
    file: &[u8],
    ranges: &[(usize, usize)],
    der: &[u8],
    signature: &pdf::FoundSignature,
) {
    let parts: Vec<&[u8]> = ranges
        .iter()
        .map(|(offset, length)| &file[*offset..offset + length])
        .collect();
    let check = if Kind::of(signature) == Kind::DocumentTimestamp {
        cms::check_timestamp(der, &parts).0
    } else {
        match cms::parse(der) {
            Ok(parsed) if parsed.signer_count() == 1 && parsed.encapsulated().is_none() => {
                cms::check(&parsed, 0, &parts)
            }
            _ => return,
        }
    };
    outcome.report.intact = check.intact;
    outcome.report.valid = check.valid;
    if let Some(signer) = check.signer.as_deref() {
        outcome.name_signer(signer);
    }
}

/// The PAdES baseline level (ETSI EN 319 142-1, 6) a PDF signature meets, as far as its own
/// structure shows: B-B (ETSI.CAdES.detached with a signing-certificate(-v2) attribute), B-T (a
/// signature timestamp over it), B-LT (a later DSS with certificates and revocation data).
/// B-LTA (a later document timestamp) is decided for the whole file by [`mark_b_lta`].
pub(super) fn pades_level(
    kind: Kind,
    sub_filter: &str,
    check: &cms::CmsCheck,
    later_validation_data: bool,
) -> String {
    if kind == Kind::DocumentTimestamp {
        return "document timestamp".into();
    }
    if sub_filter != "ETSI.CAdES.detached" {
        return format!(
            "CMS, not PAdES: /SubFilter {sub_filter} (PAdES baseline signatures use ETSI.CAdES.detached)"
        );
    }
    if !check.certificate_bound {
        return "CMS, not PAdES: no signing-certificate(-v2) attribute binds the signer's certificate"
            .into();
    }
    match (!check.timestamps.is_empty(), later_validation_data) {
        (false, _) => "PAdES B-B".into(),
        (true, false) => "PAdES B-T".into(),
        (true, true) => "PAdES B-LT".into(),
    }
}

/// A B-LT signature that a later document timestamp covers is B-LTA.
pub(super) fn mark_b_lta(signatures: &mut [SignatureReport]) {
    let end = |s: &SignatureReport| {
        s.coverage
            .as_ref()
            .map(|c| c.byte_range[2] + c.byte_range[3])
    };
    let timestamp_ends: Vec<u64> = signatures
        .iter()
        .filter(|s| s.level.as_deref() == Some("document timestamp") && s.intact == Some(true))
        .filter_map(end)
        .collect();
    for signature in signatures.iter_mut() {
        if signature.level.as_deref() == Some("PAdES B-LT")
            && end(signature).is_some_and(|e| timestamp_ends.iter().any(|t| *t > e))
        {
            signature.level = Some("PAdES B-LTA".into());
        }
    }
}

/// Everything after the cryptography: identity, key usage, timestamp, path, revocation.
pub(super) fn assess(
    mut outcome: Outcome,
    check: cms::CmsCheck,
    evidence: &Evidence,
    kind: Kind,
    anchors: &[X509],
    options: &VerifyOptions,
) -> SignatureReport {
    outcome
        .report
        .warnings
        .extend(check.warnings.iter().cloned());
    if outcome.report.claimed_signing_time.is_none() {
        outcome.report.claimed_signing_time = check.claimed_signing_time.clone();
    }
    if let Some(signer) = check.signer.as_deref() {
        outcome.name_signer(signer);
    }
    outcome.report.intact = check.intact;
    outcome.report.valid = check.valid;
    let cryptography_holds = check.outcome.is_ok();
    if let Err((sub, reason)) = &check.outcome {
        let indication = match sub {
            SubIndication::CryptoConstraintsFailure => Indication::Indeterminate,
            _ => Indication::TotalFailed,
        };
        outcome.note(indication, *sub, reason.clone());
    }
    // The signer's certificate is still judged when the cryptography failed (the report says
    // who it claims to be and whether they are trusted); without one nothing more can be.
    let Some(signer_der) = check.signer.as_ref() else {
        if cryptography_holds {
            return outcome.fail(
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                "no signer certificate",
            );
        }
        return outcome.finish();
    };
    match options.purpose {
        super::Purpose::Document
            if kind == Kind::Signature && !cert::has_non_repudiation(signer_der) =>
        {
            outcome.note(
                Indication::Indeterminate,
                SubIndication::ChainConstraintsFailure,
                "the signer's key lacks nonRepudiation (an AUTH key must not sign documents)",
            );
        }
        super::Purpose::Authentication
            if !cert::eku_of(signer_der)
                .contains(&crate::pki::oid::ID_KP_CLIENT_AUTH.to_string()) =>
        {
            outcome.note(
                Indication::Indeterminate,
                SubIndication::ChainConstraintsFailure,
                "the signer's key is not an authentication key (no clientAuth extended key usage)",
            );
        }
        _ => {}
    }
    let mut evidence = evidence.clone();
    if outcome.failed_for_good() {
        evidence.budget = None;
    }
    evidence.ocsps.extend(check.ocsps.iter().cloned());
    evidence.crls.extend(check.crls.iter().cloned());
    evidence.ocsps.extend(options.ocsps.iter().cloned());
    evidence.crls.extend(options.crls.iter().cloned());
    // The validation time: a verified signature timestamp proves the signature existed then.
    let mut time = validation_time_of(options).unix_timestamp();
    if kind == Kind::DocumentTimestamp {
        outcome.report.timestamp = check.claimed_signing_time.clone();
    }
    // The earliest signature timestamp whose TSA is trusted proves the time.
    let timestamps = if cryptography_holds {
        check.timestamps.as_slice()
    } else {
        &[]
    };
    for timestamp in timestamps {
        let mut certs = evidence.certs.clone();
        certs.extend(timestamp.certificates.iter().cloned());
        let untrusted = cert::unique(&certs);
        match timestamp_is_trusted(timestamp, &untrusted, &evidence, anchors, options) {
            Ok(()) => {
                time = timestamp.time;
                outcome.report.timestamp = Some(rfc3339(timestamp.time));
                evidence
                    .certs
                    .extend(timestamp.certificates.iter().cloned());
                break;
            }
            Err(reason) => outcome
                .report
                .warnings
                .push(format!("the signature timestamp is not trusted: {reason}")),
        }
    }
    outcome.report.validation_time = rfc3339(time);
    assess_path(outcome, signer_der, &evidence, anchors, options, time)
}

#[cfg(test)]
mod tests {
    use super::pdf_date_rfc3339;

    #[test]
    fn pdf_dates_become_rfc3339() {
        for (pdf, rfc3339) in [
            ("D:20221201170000+05'00'", Some("2022-12-01T17:00:00+05:00")),
            ("D:20221201170000+05'00", Some("2022-12-01T17:00:00+05:00")),
            ("D:20221201120000Z", Some("2022-12-01T12:00:00Z")),
            ("D:20221201120000", Some("2022-12-01T12:00:00Z")),
            ("D:2022", Some("2022-01-01T00:00:00Z")),
            ("D:20221201120000-03'30'", Some("2022-12-01T12:00:00-03:30")),
            ("D:20221301120000Z", None),
            ("yesterday", None),
            ("D:2022120112000O+05'00'", None),
        ] {
            assert_eq!(pdf_date_rfc3339(pdf).as_deref(), rfc3339, "{pdf}");
        }
    }
}
