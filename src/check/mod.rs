//! The public check that every document's QR code leads to: what the page and the API say about
//! a registry number ([`answer`]), whether a copy someone received is the archived document
//! ([`compare`]), the per-address limit on comparisons ([`limit`]) and the page's texts in
//! Kazakh, Russian and English ([`texts`]). Nothing about the applicant or the goods: the page
//! is public. `crate::http::check` is the thin shell that serves it.
//!
//! A number alone proves nothing and reveals nothing: the registry's answer needs the data hash
//! the QR code carries, or a copy of the document itself, so numbers cannot be enumerated.

pub mod compare;
pub mod limit;
pub mod texts;
pub mod view;

pub use texts::Lang;

use crate::registry::DocumentRecord;

/// One text in the check page's three languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Names {
    /// Қазақша.
    pub kk: String,
    /// По-русски.
    pub ru: String,
    /// In English.
    pub en: String,
}

impl Names {
    /// The check page's text `key` in each language.
    pub fn of(key: &str) -> Self {
        let text = |lang| texts::text(lang, key, &[]);
        Self {
            kk: text(Lang::Kk),
            ru: text(Lang::Ru),
            en: text(Lang::En),
        }
    }
}

/// The public answer of `GET /v1/check/{number}`: nothing private.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    /// "genuine", "revoked", "voided" (a draft's number never signed) or "unknown" (no such
    /// number, or the `sha256` does not match it, or none was given).
    pub status: String,
    /// The number asked about.
    pub number: String,
    /// The form, when known.
    pub form: Option<String>,
    /// The issue date the document states (YYYY-MM-DD), when known.
    pub issue_date: Option<String>,
    /// The form's legal name in Kazakh, Russian and English, when known.
    pub form_name: Option<Names>,
    /// The issuing authority.
    pub authority: Names,
    /// When it was signed (RFC 3339, UTC), when genuine or revoked.
    pub signed_at: Option<String>,
    /// When it was revoked (RFC 3339, UTC).
    pub revoked_at: Option<String>,
    /// The last day (YYYY-MM-DD, Astana) to present the certificate to the exporting country's
    /// authority: six months from the signing date, as the certificate itself states. None for
    /// a refusal.
    pub presentation_deadline: Option<String>,
    /// Whether that day has passed.
    pub presentation_expired: Option<bool>,
    /// Signed with a development key: a test document, not valid.
    pub test_document: bool,
    /// When this answer was made (RFC 3339, UTC).
    pub checked_at: String,
}

impl CheckAnswer {
    /// The answer that reveals nothing: for an unknown number, a wrong hash, or none.
    pub fn unknown(number: &str, now: time::UtcDateTime) -> Self {
        Self {
            status: "unknown".into(),
            number: number.into(),
            form: None,
            issue_date: None,
            form_name: None,
            authority: Names::of("authority"),
            signed_at: None,
            revoked_at: None,
            presentation_deadline: None,
            presentation_expired: None,
            test_document: false,
            checked_at: rfc3339(now),
        }
    }

    /// The answer about `record`, once the asker has proven they hold its QR code or a copy.
    /// A draft is unknown: its number is printed on a preview, but nothing is issued yet.
    pub fn of(record: &DocumentRecord, now: time::UtcDateTime) -> Self {
        let status = match record.status.as_str() {
            "issued" => "genuine",
            "revoked" => "revoked",
            "voided" => "voided",
            _ => return Self::unknown(&record.number, now),
        };
        let signed = (status != "voided")
            .then(|| crate::registry::parse_registry_time(&record.issued_at))
            .flatten();
        // The refusal states no period; both certificates do (domain.md, box 12 / 9).
        let deadline = signed
            .filter(|_| record.form != "refusal")
            .map(|t| presentation_deadline(astana_date(t)));
        Self {
            status: status.into(),
            number: record.number.clone(),
            form: Some(record.form.clone()),
            issue_date: issue_date_of(record),
            form_name: Some(Names::of(&format!("form_{}", record.form))),
            authority: Names::of("authority"),
            signed_at: signed.map(rfc3339),
            revoked_at: record
                .revoked_at
                .as_deref()
                .and_then(crate::registry::parse_registry_time)
                .map(rfc3339),
            presentation_deadline: deadline.map(|d| d.to_string()),
            presentation_expired: deadline.map(|d| astana_date(now) > d),
            test_document: signed_by_development_key(record),
            checked_at: rfc3339(now),
        }
    }
}

/// The answer to `GET /v1/check/{number}?sha256=`: the record's, when `sha256` is its data
/// hash; otherwise unknown. The hash is compared in constant time: it is the secret.
pub fn answer(
    number: &str,
    record: Option<&DocumentRecord>,
    sha256: Option<&str>,
    now: time::UtcDateTime,
) -> CheckAnswer {
    match (record, sha256) {
        (Some(record), Some(given)) if same_hex(given, &record.data_sha256) => {
            CheckAnswer::of(record, now)
        }
        _ => CheckAnswer::unknown(number, now),
    }
}

/// Two hex digests are equal, whatever the letters' case, compared in constant time.
pub fn same_hex(given: &str, known: &str) -> bool {
    let (given, known) = (given.to_ascii_lowercase(), known.to_ascii_lowercase());
    given.len() == known.len() && openssl::memcmp::eq(given.as_bytes(), known.as_bytes())
}

/// The last day of "six months from `signed`": the same day of the sixth month after, or that
/// month's last day when it has no such day (how periods in months end under the civil codes of
/// Kazakhstan and its neighbours; 31 August → 28/29 February).
pub fn presentation_deadline(signed: time::Date) -> time::Date {
    let months = i32::from(u8::from(signed.month())) - 1 + 6;
    let year = signed.year() + months / 12;
    let month = time::Month::try_from((months % 12 + 1) as u8).unwrap_or(time::Month::January);
    let last = month.length(year);
    time::Date::from_calendar_date(year, month, signed.day().min(last)).unwrap_or(signed)
}

/// The calendar date in Astana (UTC+5) at `time`.
pub fn astana_date(time: time::UtcDateTime) -> time::Date {
    crate::sign::astana(time).date()
}

fn rfc3339(time: time::UtcDateTime) -> String {
    crate::verify::rfc3339(time.unix_timestamp())
}

fn issue_date_of(record: &DocumentRecord) -> Option<String> {
    crate::model::stored_issue_date(&record.data)
}

/// Whether the record's signer certificate came from the development PKI (its issuer or subject
/// carries [`crate::pki::cert::DEV_MARKER`]).
fn signed_by_development_key(record: &DocumentRecord) -> bool {
    serde_json::from_str::<serde_json::Value>(&record.signer).is_ok_and(|signer| {
        ["issuer", "subject"].iter().any(|key| {
            signer[key]
                .as_str()
                .is_some_and(|name| name.contains(crate::pki::cert::DEV_MARKER))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn six_months_end_on_the_same_day_or_the_months_last() {
        assert_eq!(
            presentation_deadline(date!(2026 - 03 - 02)),
            date!(2026 - 09 - 02)
        );
        assert_eq!(
            presentation_deadline(date!(2026 - 08 - 31)),
            date!(2027 - 02 - 28)
        );
        assert_eq!(
            presentation_deadline(date!(2027 - 08 - 31)),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            presentation_deadline(date!(2026 - 07 - 15)),
            date!(2027 - 01 - 15)
        );
        assert_eq!(
            presentation_deadline(date!(2026 - 12 - 31)),
            date!(2027 - 06 - 30)
        );
    }

    #[test]
    fn the_signing_date_is_astanas() {
        // 20:00 UTC is already the next day in Astana.
        assert_eq!(
            astana_date(datetime!(2026-03-01 20:00).as_utc()),
            date!(2026 - 03 - 02)
        );
    }

    pub(super) fn record(form: &str, status: &str) -> DocumentRecord {
        DocumentRecord {
            id: "id".into(),
            number: "KZ-EUC-2026-000001".into(),
            form: form.into(),
            year: 2026,
            seq: 1,
            issued_at: "2026-08-31T20:00:00.000000Z".into(),
            applicant_bin: "091240012346".into(),
            data: r#"{"form": "x", "issue_date": "2026-08-31"}"#.into(),
            data_sha256: "ab".repeat(32),
            pdf_sha256: "cd".repeat(32),
            pdf_size: 1,
            signer: r#"{"issuer": "CN=EUCDOC DEV NCA (TEST ONLY)", "subject": "CN=X"}"#.into(),
            status: status.into(),
            revoked_at: (status == "revoked").then(|| "2026-10-01T05:00:00.000000Z".into()),
            revocation_reason: None,
            application_id: None,
        }
    }

    #[test]
    fn the_answer_needs_the_hash_and_tells_the_deadline() {
        let now = datetime!(2027-03-01 12:00).as_utc();
        let issued = record("end_user_certificate", "issued");
        let hash = "AB".repeat(32);
        for asked in [None, Some("00"), Some(&*"ac".repeat(32))] {
            assert_eq!(answer("n", Some(&issued), asked, now).status, "unknown");
        }
        let found = answer("n", Some(&issued), Some(&hash), now);
        assert_eq!(found.status, "genuine");
        assert_eq!(found.issue_date.as_deref(), Some("2026-08-31"));
        assert!(found.test_document);
        // Signed on 1 September in Astana (31 August 20:00 UTC): presented by 1 March.
        assert_eq!(found.presentation_deadline.as_deref(), Some("2027-03-01"));
        assert_eq!(found.presentation_expired, Some(false));
        let later = answer(
            "n",
            Some(&issued),
            Some(&hash),
            datetime!(2027-03-01 19:00).as_utc(),
        );
        assert_eq!(later.presentation_expired, Some(true), "2 March in Astana");
        assert_eq!(
            found.form_name.map(|n| n.en).as_deref(),
            Some("End-User Certificate")
        );

        let refusal = CheckAnswer::of(&record("refusal", "issued"), now);
        assert_eq!(refusal.presentation_deadline, None);
        let revoked = CheckAnswer::of(&record("end_user_certificate", "revoked"), now);
        assert_eq!(revoked.status, "revoked");
        assert_eq!(revoked.revoked_at.as_deref(), Some("2026-10-01T05:00:00Z"));
        let voided = CheckAnswer::of(&record("end_user_certificate", "voided"), now);
        assert_eq!((voided.status.as_str(), voided.signed_at), ("voided", None));
        let draft = CheckAnswer::of(&record("end_user_certificate", "draft"), now);
        assert_eq!(draft, CheckAnswer::unknown("KZ-EUC-2026-000001", now));
        let mut real = record("end_user_certificate", "issued");
        real.signer = r#"{"issuer": "CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST)"}"#.into();
        assert!(!CheckAnswer::of(&real, now).test_document);
    }

    #[test]
    fn hashes_compare_whatever_their_case() {
        assert!(same_hex("AB01", "ab01"));
        assert!(!same_hex("ab0", "ab01"));
        assert!(!same_hex("ab02", "ab01"));
    }
}
