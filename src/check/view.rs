//! What the check page shows, in one language: the answer and, after an upload, the
//! comparison, as texts ready for the template (templates-check/check.html).

use serde::Serialize;

use super::compare::{Comparison, Verdict};
use super::texts::{self, Lang};
use super::{CheckAnswer, astana_date};

/// One entry of the language switch.
#[derive(Debug, Clone, Serialize)]
pub struct LangLink {
    /// `kk`, `ru`, `en`.
    pub code: &'static str,
    /// The language's own name.
    pub name: &'static str,
    /// This page in that language (a query relative to the page).
    pub href: String,
    /// The page's language.
    pub current: bool,
}

/// One signature of an uploaded copy.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureRow {
    /// Who signed.
    pub signer: String,
    /// valid / invalid / cannot be confirmed, in the page's language.
    pub result: String,
    /// "passed", "failed" or "indeterminate" (the row's style).
    pub class: &'static str,
    /// The claimed signing time, as written.
    pub when: String,
    /// Added after the document was issued.
    pub after_issue: bool,
}

/// The comparison, in the page's language.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonView {
    /// identical / later-revision / other-revision / not-this-document.
    pub verdict: &'static str,
    /// The verdict in words.
    pub verdict_text: String,
    /// Further lines (signatures added, changes, the number the copy names, why it is unreadable).
    pub details: Vec<String>,
    /// SHA-256 of the copy.
    pub fingerprint: String,
    /// The copy's signatures.
    pub signatures: Vec<SignatureRow>,
}

/// Everything the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct PageView {
    /// The page's language code.
    pub lang: &'static str,
    /// The language switch.
    pub langs: Vec<LangLink>,
    /// genuine / revoked / voided / unknown.
    pub status: String,
    /// The status in words.
    pub heading: String,
    /// What the status means here, when it needs saying.
    pub explanation: Option<String>,
    /// The number asked about.
    pub number: String,
    /// The form's legal name.
    pub form_name: Option<String>,
    /// The issuing authority.
    pub authority: String,
    /// The issue date the document states.
    pub issue_date: Option<String>,
    /// When it was signed (Astana time).
    pub signed_at: Option<String>,
    /// The presentation deadline, in words.
    pub deadline: Option<String>,
    /// Said when the deadline has passed.
    pub expired: Option<String>,
    /// Signed with a development key.
    pub test_document: bool,
    /// "Checked on …".
    pub checked_at: String,
    /// The upload form's target (a query relative to the page).
    pub action: String,
    /// The upload form's help, with the size limit.
    pub compare_help: String,
    /// After an upload.
    pub comparison: Option<ComparisonView>,
    /// A problem with the request (too large, too many), in words.
    pub error: Option<String>,
}

/// What the page was asked with.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The page's language.
    pub lang: Lang,
    /// The `sha256` of the link, when it had one.
    pub sha256: Option<&'a str>,
    /// The upload limit in bytes.
    pub max_upload_bytes: usize,
}

/// The page for `answer` (the link's) and, after an upload, `comparison`: when the copy proves
/// the document, its answer is shown even if the link lacked the hash.
pub fn page(asked: Asked, answer: &CheckAnswer, comparison: Option<&Comparison>) -> PageView {
    let lang = asked.lang;
    let t = |key: &str| texts::text(lang, key, &[]);
    let shown = comparison
        .filter(|c| c.verdict != Verdict::NotThisDocument)
        .map_or(answer, |c| &c.document);
    let date = |rfc3339: &str| {
        crate::registry::parse_registry_time(rfc3339)
            .map(|time| local_date(lang, astana_date(time)))
    };
    let explanation = match shown.status.as_str() {
        "unknown" if asked.sha256.is_none() && comparison.is_none() => Some(t("no_hash_text")),
        "unknown" => Some(t("unknown_text")),
        "revoked" => shown
            .revoked_at
            .as_deref()
            .and_then(date)
            .map(|d| texts::text(lang, "revoked_on", &[("date", &d)])),
        _ => None,
    };
    // The period matters only while the document stands.
    let deadline = shown
        .presentation_deadline
        .as_deref()
        .filter(|_| shown.status == "genuine")
        .and_then(|d| {
            time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok()
        });
    let query = |lang: Lang| {
        let mut pairs = Vec::new();
        if let Some(sha256) = asked.sha256 {
            pairs.push(("sha256", sha256));
        }
        pairs.push(("lang", lang.code()));
        format!(
            "?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let checked = crate::registry::parse_registry_time(&shown.checked_at)
        .map(|time| local_time(lang, time))
        .unwrap_or_default();
    PageView {
        lang: lang.code(),
        langs: Lang::ALL
            .into_iter()
            .map(|other| LangLink {
                code: other.code(),
                name: other.own_name(),
                href: query(other),
                current: other == lang,
            })
            .collect(),
        status: shown.status.clone(),
        heading: t(&format!("status_{}", shown.status)),
        explanation,
        number: shown.number.clone(),
        form_name: shown.form.as_ref().map(|form| t(&format!("form_{form}"))),
        authority: t("authority"),
        issue_date: shown.issue_date.as_deref().and_then(|d| {
            time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE)
                .ok()
                .map(|d| local_date(lang, d))
        }),
        signed_at: shown
            .signed_at
            .as_deref()
            .and_then(crate::registry::parse_registry_time)
            .map(|time| format!("{} (UTC+5)", local_time(lang, time))),
        deadline: deadline
            .map(|d| texts::text(lang, "deadline_text", &[("date", &local_date(lang, d))])),
        expired: deadline
            .filter(|_| shown.presentation_expired == Some(true))
            .map(|d| texts::text(lang, "expired", &[("date", &local_date(lang, d))])),
        test_document: shown.test_document,
        checked_at: texts::text(lang, "checked_at", &[("time", &checked)]),
        action: query(lang),
        compare_help: texts::text(
            lang,
            "compare_help",
            &[("limit", &megabytes(asked.max_upload_bytes))],
        ),
        comparison: comparison.map(|c| comparison_view(lang, c)),
        error: None,
    }
}

fn comparison_view(lang: Lang, comparison: &Comparison) -> ComparisonView {
    let t = |key: &str| texts::text(lang, key, &[]);
    let (verdict, key) = match comparison.verdict {
        Verdict::Identical => ("identical", "verdict_identical"),
        Verdict::LaterRevision => ("later-revision", "verdict_later_revision"),
        Verdict::OtherRevision => ("other-revision", "verdict_other_revision"),
        Verdict::NotThisDocument => ("not-this-document", "verdict_not_this_document"),
    };
    let mut details = Vec::new();
    if let Some(count) = comparison.added_signatures {
        details.push(texts::text(
            lang,
            "added_signatures",
            &[("count", &count.to_string())],
        ));
    }
    if let Some(level) = &comparison.modification_level {
        let level = t(&format!("level_{}", level.replace('-', "_")));
        details.push(texts::text(lang, "changes_after", &[("level", &level)]));
    }
    if let Some(number) = &comparison.claimed_number {
        details.push(texts::text(lang, "claims_number", &[("number", number)]));
    }
    if comparison.unreadable.is_some() {
        details.push(t("not_pdf"));
    } else if comparison.signatures.is_empty() {
        details.push(t("no_signatures"));
    } else if comparison
        .signatures
        .iter()
        .any(|s| s.intact == Some(false) || s.valid == Some(false))
    {
        details.push(t("changed_after_signing"));
    }
    ComparisonView {
        verdict,
        verdict_text: t(key),
        details,
        fingerprint: comparison.sha256.clone(),
        signatures: comparison
            .signatures
            .iter()
            .map(|s| {
                let (class, key) = match s.indication.as_str() {
                    "TOTAL-PASSED" => ("passed", "indication_passed"),
                    "TOTAL-FAILED" => ("failed", "indication_failed"),
                    _ => ("indeterminate", "indication_indeterminate"),
                };
                SignatureRow {
                    signer: s.signer.clone().unwrap_or_else(|| "—".into()),
                    result: t(key),
                    class,
                    when: s
                        .claimed_signing_time
                        .as_deref()
                        .and_then(crate::registry::parse_registry_time)
                        .map(|time| format!("{} (UTC+5)", local_time(lang, time)))
                        .unwrap_or_default(),
                    after_issue: s.after_issue,
                }
            })
            .collect(),
    }
}

/// A date as readers of `lang` write it: 02.09.2026 in Kazakh and Russian, 2026-09-02 in
/// English (unambiguous wherever the reader is).
pub fn local_date(lang: Lang, date: time::Date) -> String {
    match lang {
        Lang::En => date.to_string(),
        Lang::Kk | Lang::Ru => format!(
            "{:02}.{:02}.{}",
            date.day(),
            u8::from(date.month()),
            date.year()
        ),
    }
}

/// A time in Astana as readers of `lang` write it, to the second: 01.12.2026 02:12:04, or
/// 2026-12-01 02:12:04 in English.
pub fn local_time(lang: Lang, time: time::UtcDateTime) -> String {
    let local = crate::sign::astana(time);
    format!(
        "{} {:02}:{:02}:{:02}",
        local_date(lang, local.date()),
        local.hour(),
        local.minute(),
        local.second()
    )
}

/// `bytes` in megabytes, as the upload limit is told ("2", "1.5").
pub fn megabytes(bytes: usize) -> String {
    let tenths = (bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0;
    format!("{tenths}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::compare::CopySignature;
    use crate::check::tests::record;
    use time::macros::datetime;

    fn asked(lang: Lang, sha256: Option<&str>) -> Asked<'_> {
        Asked {
            lang,
            sha256,
            max_upload_bytes: 2 * 1024 * 1024,
        }
    }

    fn comparison(verdict: Verdict, document: CheckAnswer) -> Comparison {
        Comparison {
            verdict,
            sha256: "ef".repeat(32),
            size: 10,
            claimed_number: None,
            added_signatures: None,
            modification_level: None,
            indication: Some("TOTAL-FAILED".into()),
            signatures: vec![CopySignature {
                signer: Some("A".into()),
                indication: "TOTAL-FAILED".into(),
                intact: Some(false),
                valid: Some(true),
                claimed_signing_time: None,
                after_issue: false,
            }],
            unreadable: None,
            document,
        }
    }

    #[test]
    fn a_link_without_the_hash_says_how_to_check() {
        let now = datetime!(2026-12-01 10:00).as_utc();
        let unknown = CheckAnswer::unknown("KZ-1", now);
        let page = page(asked(Lang::En, None), &unknown, None);
        assert_eq!(page.heading, "No such document");
        assert!(
            page.explanation
                .unwrap_or_default()
                .contains("lacks the document's fingerprint")
        );
        assert_eq!(page.langs[1].href, "?lang=ru");
        let with_hash = super::page(asked(Lang::Ru, Some("a b")), &unknown, None);
        assert_eq!(with_hash.langs[0].href, "?sha256=a+b&lang=kk");
        assert_eq!(with_hash.action, "?sha256=a+b&lang=ru");
        assert_eq!(
            with_hash.compare_help,
            texts::text(Lang::Ru, "compare_help", &[("limit", "2")])
        );
    }

    #[test]
    fn a_copy_that_proves_the_document_shows_it() {
        let now = datetime!(2026-12-01 10:00).as_utc();
        let unknown = CheckAnswer::unknown("KZ-EUC-2026-000001", now);
        let issued = CheckAnswer::of(&record("end_user_certificate", "issued"), now);
        let proven = comparison(Verdict::Identical, issued.clone());
        let shown = page(asked(Lang::En, None), &unknown, Some(&proven));
        assert_eq!(shown.heading, "The document is genuine");
        assert_eq!(shown.form_name.as_deref(), Some("End-User Certificate"));
        assert!(shown.test_document);
        let not = comparison(Verdict::NotThisDocument, unknown.clone());
        let shown = page(asked(Lang::Kk, None), &unknown, Some(&not));
        assert_eq!(shown.heading, "Құжат табылмады");
        let view = shown.comparison.unwrap_or_else(|| panic!("a comparison"));
        assert_eq!(view.verdict, "not-this-document");
        assert_eq!(
            view.details,
            [texts::text(Lang::Kk, "changed_after_signing", &[])]
        );
        assert_eq!(view.signatures[0].class, "failed");
    }

    #[test]
    fn a_revoked_document_shows_its_date_and_no_deadline() {
        let now = datetime!(2026-12-01 10:00).as_utc();
        let revoked = CheckAnswer::of(&record("end_user_certificate", "revoked"), now);
        let shown = page(asked(Lang::Ru, Some("x")), &revoked, None);
        assert_eq!(shown.heading, "Документ отозван");
        assert_eq!(shown.explanation.as_deref(), Some("Отозван 01.10.2026."));
        assert_eq!(shown.deadline, None);
        let issued = CheckAnswer::of(&record("end_user_certificate", "issued"), now);
        let shown = page(asked(Lang::Ru, Some("x")), &issued, None);
        assert_eq!(
            shown.deadline.as_deref(),
            Some(texts::text(Lang::Ru, "deadline_text", &[("date", "01.03.2027")]).as_str())
        );
        assert_eq!(
            shown.signed_at.as_deref(),
            Some("01.09.2026 01:00:00 (UTC+5)")
        );
    }

    #[test]
    fn dates_and_sizes_read_as_their_readers_write_them() {
        let date = time::macros::date!(2027 - 06 - 01);
        assert_eq!(local_date(Lang::En, date), "2027-06-01");
        assert_eq!(local_date(Lang::Kk, date), "01.06.2027");
        assert_eq!(megabytes(2 * 1024 * 1024), "2");
        assert_eq!(megabytes(1536 * 1024), "1.5");
    }
}
