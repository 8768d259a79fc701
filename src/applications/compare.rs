//! The package's checks beyond the signatures themselves: who signed for whom, and whether the
//! guarantee obligation says what the application asks for, by meaning (names compared without
//! case, quotes and spacing; quantities as numbers; goods lines paired by code and name, not by
//! position).

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{Check, Compared, DocumentReport, signs_by_bin};
use crate::model::{
    ApplicationDocument, Contract, Exporter, GuaranteeObligation, IncomingGoodsLine, Party,
};
use crate::pki::oid::{role, role_name};
use crate::verify::{Indication, Report};

const APPLICATION: &str = "application";
const OBLIGATION: &str = "guarantee_obligation";

fn compared(field: &str, values: &[(&str, &str)], agree: bool) -> Compared {
    Compared {
        field: field.into(),
        values: values
            .iter()
            .map(|(source, value)| (source.to_string(), value.to_string()))
            .collect::<BTreeMap<_, _>>(),
        agree,
    }
}

fn check(name: &str, problems: Vec<String>, compared: Vec<Compared>) -> Check {
    Check {
        name: name.into(),
        passed: problems.is_empty(),
        problems,
        compared,
    }
}

/// A name or text by meaning: lower case, letters and digits only, single spaces (quotes of any
/// kind, punctuation and line breaks do not count).
fn meaning(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// A decimal quantity as a number: "2", "2.0" and "02.00" are the same.
fn quantity(text: &str) -> String {
    let (integer, fraction) = text.split_once('.').unwrap_or((text, ""));
    let integer = integer.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    match (integer.is_empty(), fraction.is_empty()) {
        (true, true) => "0".into(),
        (_, true) => integer.into(),
        (true, false) => format!("0.{fraction}"),
        (false, false) => format!("{integer}.{fraction}"),
    }
}

/// A signature over intact bytes (whether or not it passed: that is the signatures check's
/// to say) by a signer the certificate identifies with `id` (BIN when `by_bin`, else IIN), and
/// whether its roles let it sign for the party.
struct Found {
    full_name: String,
    roles: Vec<String>,
    may_sign: bool,
}

fn signatures_of(report: &Report, id: &str, by_bin: bool) -> Vec<Found> {
    report
        .signatures
        .iter()
        .filter(|s| s.indication == Indication::TotalPassed || s.intact == Some(true))
        .filter_map(|s| s.signer.as_ref())
        .filter(|signer| {
            let certificate_id = if by_bin { &signer.bin } else { &signer.iin };
            certificate_id.as_deref() == Some(id)
        })
        .map(|signer| Found {
            full_name: signer.full_name.clone(),
            roles: signer.roles.clone(),
            // A legal entity is signed for by its first head or a person with the right to
            // sign (kz-pki.md); a person signs for themself with any key of their own.
            may_sign: !by_bin
                || signer.roles.iter().any(|r| {
                    *r == role_name(role::FIRST_HEAD) || *r == role_name(role::RIGHT_TO_SIGN)
                }),
        })
        .collect()
}

fn roles_text(roles: &[String]) -> String {
    if roles.is_empty() {
        "no role".to_string()
    } else {
        roles.join(", ")
    }
}

/// Whether `report` has a signature for the party identified by `id` whose signer may sign for
/// it; the problems and the comparison otherwise.
fn signed_for(
    name: &str,
    party: &str,
    report: &Report,
    id: &str,
    by_bin: bool,
    source: &str,
) -> Check {
    let field = if by_bin { "signer.bin" } else { "signer.iin" };
    let certificate_ids: Vec<String> = report
        .signatures
        .iter()
        .filter_map(|s| s.signer.as_ref())
        .map(|s| {
            let id = if by_bin { &s.bin } else { &s.iin };
            format!(
                "{} ({})",
                id.as_deref().unwrap_or("none"),
                roles_text(&s.roles)
            )
        })
        .collect();
    let found = signatures_of(report, id, by_bin);
    let mut problems = Vec::new();
    if found.is_empty() {
        problems.push(if certificate_ids.is_empty() {
            format!("no signature of the {party}")
        } else {
            format!(
                "no signature of the {party} ({} {id}); signed by {}",
                if by_bin { "BIN" } else { "IIN" },
                certificate_ids.join("; ")
            )
        });
    } else if !found.iter().any(|f| f.may_sign) {
        let first = &found[0];
        problems.push(format!(
            "{} signed for the {party} as {}: neither its first head nor a person with the right to sign",
            first.full_name,
            roles_text(&first.roles)
        ));
    }
    let agree = problems.is_empty();
    check(
        name,
        problems,
        vec![compared(
            field,
            &[(source, id), ("certificate", &certificate_ids.join("; "))],
            agree,
        )],
    )
}

/// The application is signed by the applicant: by BIN as its first head or a person with the
/// right to sign (legal entity), or by IIN (individual, sole proprietor).
pub(super) fn application_signer(application: &ApplicationDocument, report: &Report) -> Check {
    signed_for(
        "application.signer",
        "applicant",
        report,
        &application.applicant.bin_iin,
        signs_by_bin(application.applicant.kind),
        APPLICATION,
    )
}

/// Whether a party signs by BIN: a BIN's fifth digit is 4 to 6 (an IIN's is a birth date's).
fn party_signs_by_bin(party: &Party) -> bool {
    matches!(
        crate::model::check_bin_iin(&party.bin_iin),
        Ok(crate::model::IdKind::Bin)
    )
}

/// The obligation is signed by the importer and, when there is one, the end user (one signature
/// serves both when they are the same organisation).
pub(super) fn obligation_signers(obligation: &GuaranteeObligation, report: &Report) -> Vec<Check> {
    let mut checks = vec![signed_for(
        "guarantee_obligation.importer_signer",
        "importer",
        report,
        &obligation.importer.bin_iin,
        party_signs_by_bin(&obligation.importer),
        OBLIGATION,
    )];
    if let Some(end_user) = &obligation.end_user {
        checks.push(signed_for(
            "guarantee_obligation.end_user_signer",
            "end user",
            report,
            &end_user.bin_iin,
            party_signs_by_bin(end_user),
            OBLIGATION,
        ));
    }
    checks
}

/// The other document compared with the application: its key in `compared` and its noun in
/// problems.
#[derive(Clone, Copy)]
pub(super) struct Side {
    key: &'static str,
    noun: &'static str,
}

pub(super) const OBLIGATION_SIDE: Side = Side {
    key: OBLIGATION,
    noun: "obligation",
};
pub(super) const CERTIFICATE_SIDE: Side = Side {
    key: "certificate",
    noun: "certificate",
};

/// What the application asks for, and what the obligation or a certificate says, in the same
/// terms.
pub(super) struct Terms<'a> {
    pub importer: &'a Party,
    pub end_user: Option<&'a Party>,
    pub exporter: &'a Exporter,
    pub goods: Cow<'a, [IncomingGoodsLine]>,
    pub contract: &'a Contract,
}

impl<'a> Terms<'a> {
    pub(super) fn of_request(application: &'a ApplicationDocument) -> Self {
        let request = &application.request;
        Terms {
            importer: &request.importer,
            end_user: request.end_user.as_ref(),
            exporter: &request.exporter,
            goods: Cow::Borrowed(&request.goods),
            contract: &request.contract,
        }
    }

    fn of_obligation(obligation: &'a GuaranteeObligation) -> Self {
        Terms {
            importer: &obligation.importer,
            end_user: obligation.end_user.as_ref(),
            exporter: &obligation.exporter,
            goods: Cow::Borrowed(&obligation.goods),
            contract: &obligation.contract,
        }
    }
}

/// Whether the obligation says what the application asks for: the certificate, the parties,
/// the goods, the contract, and dates in order.
pub(super) fn consistency(
    application: &ApplicationDocument,
    obligation: &GuaranteeObligation,
) -> Vec<Check> {
    let request = &application.request;
    let mut checks = Vec::new();

    let same = application.certificate == obligation.certificate;
    checks.push(check(
        "certificate",
        if same {
            Vec::new()
        } else {
            vec!["the obligation is given for another certificate".into()]
        },
        vec![compared(
            "certificate",
            &[
                (APPLICATION, &format!("{:?}", application.certificate)),
                (OBLIGATION, &format!("{:?}", obligation.certificate)),
            ],
            same,
        )],
    ));
    let mut terms = terms_agree(
        &Terms::of_request(application),
        &Terms::of_obligation(obligation),
        application.certificate.has_end_user() || obligation.end_user.is_some(),
        OBLIGATION_SIDE,
    );
    // The applicant is the importer (para 9: the importer applies).
    if let Some(importer) = terms.iter_mut().find(|c| c.name == "importer") {
        let agree = application.applicant.bin_iin == request.importer.bin_iin;
        if !agree {
            importer.passed = false;
            importer
                .problems
                .push("the applicant is not the importer it names".into());
        }
        importer.compared.push(compared(
            "applicant.bin_iin",
            &[
                ("application.applicant", &application.applicant.bin_iin),
                ("application.importer", &request.importer.bin_iin),
            ],
            agree,
        ));
    }
    checks.extend(terms);
    checks.push(dates_check(application, obligation));
    checks
}

/// The checks `importer`, `end_user` (when `with_end_user`), `exporter`, `goods` and
/// `contract` of `given` (the `side`) against what the application asks for.
pub(super) fn terms_agree(
    asked: &Terms<'_>,
    given: &Terms<'_>,
    with_end_user: bool,
    side: Side,
) -> Vec<Check> {
    let mut checks = vec![party_check(
        "importer",
        Some(asked.importer),
        Some(given.importer),
        side,
    )];
    if with_end_user {
        checks.push(party_check(
            "end_user",
            asked.end_user,
            given.end_user,
            side,
        ));
    }

    let mut problems = Vec::new();
    let name_agrees = meaning(&asked.exporter.name) == meaning(&given.exporter.name);
    let country_agrees = asked.exporter.country == given.exporter.country;
    if !name_agrees || !country_agrees {
        problems.push(format!("the {} names another exporter", side.noun));
    }
    checks.push(check(
        "exporter",
        problems,
        vec![
            compared(
                "exporter.name",
                &[
                    (APPLICATION, &asked.exporter.name),
                    (side.key, &given.exporter.name),
                ],
                name_agrees,
            ),
            compared(
                "exporter.country",
                &[
                    (APPLICATION, &asked.exporter.country),
                    (side.key, &given.exporter.country),
                ],
                country_agrees,
            ),
        ],
    ));

    checks.push(goods_check(&asked.goods, &given.goods, side));

    let number_agrees = meaning(&asked.contract.number) == meaning(&given.contract.number);
    let date_agrees = asked.contract.date == given.contract.date;
    let mut problems = Vec::new();
    if !number_agrees || !date_agrees {
        problems.push(format!("the {} names another contract", side.noun));
    }
    checks.push(check(
        "contract",
        problems,
        vec![
            compared(
                "contract.number",
                &[
                    (APPLICATION, &asked.contract.number),
                    (side.key, &given.contract.number),
                ],
                number_agrees,
            ),
            compared(
                "contract.date",
                &[
                    (APPLICATION, &asked.contract.date),
                    (side.key, &given.contract.date),
                ],
                date_agrees,
            ),
        ],
    ));
    checks
}

fn party_check(name: &str, asked: Option<&Party>, given: Option<&Party>, side: Side) -> Check {
    let words = name.replace('_', " ");
    let (Some(asked), Some(given)) = (asked, given) else {
        let missing = if asked.is_none() {
            "application"
        } else {
            side.noun
        };
        return check(
            name,
            vec![format!("the {missing} names no {words}")],
            Vec::new(),
        );
    };
    let id_agrees = asked.bin_iin == given.bin_iin;
    let name_agrees = meaning(&asked.name) == meaning(&given.name);
    let mut problems = Vec::new();
    if !id_agrees {
        problems.push(format!("the {}'s {words} is another BIN/IIN", side.noun));
    } else if !name_agrees {
        problems.push(format!(
            "the {}'s {words} has the same BIN/IIN but another name",
            side.noun
        ));
    }
    check(
        name,
        problems,
        vec![
            compared(
                &format!("{name}.bin_iin"),
                &[(APPLICATION, &asked.bin_iin), (side.key, &given.bin_iin)],
                id_agrees,
            ),
            compared(
                &format!("{name}.name"),
                &[(APPLICATION, &asked.name), (side.key, &given.name)],
                name_agrees,
            ),
        ],
    )
}

/// Pairs goods lines by meaning: the same code and name first, then the same code alone when
/// only one line has it; then compares what each pair says.
fn goods_check(asked: &[IncomingGoodsLine], given: &[IncomingGoodsLine], side: Side) -> Check {
    let mut taken = vec![false; given.len()];
    let mut pairs: Vec<(usize, Option<usize>)> = Vec::new();
    for (i, line) in asked.iter().enumerate() {
        let by_code_and_name = given.iter().enumerate().position(|(j, other)| {
            !taken[j]
                && other.hs_code == line.hs_code
                && meaning(&other.name) == meaning(&line.name)
        });
        let found = by_code_and_name.or_else(|| {
            let same_code: Vec<usize> = (0..given.len())
                .filter(|&j| !taken[j] && given[j].hs_code == line.hs_code)
                .collect();
            (same_code.len() == 1).then(|| same_code[0])
        });
        if let Some(j) = found {
            taken[j] = true;
        }
        pairs.push((i, found));
    }
    let mut problems = Vec::new();
    let mut compared_fields = Vec::new();
    for (i, found) in pairs {
        let line = &asked[i];
        let Some(j) = found else {
            problems.push(format!(
                "goods line {} ({}, {}) of the application is not in the {}",
                i + 1,
                line.name,
                line.hs_code,
                side.noun
            ));
            compared_fields.push(compared(
                &format!("goods[{i}]"),
                &[(APPLICATION, &format!("{} {}", line.hs_code, line.name))],
                false,
            ));
            continue;
        };
        let other = &given[j];
        let fields: [(&str, &str, &str, bool); 5] = [
            (
                "name",
                &line.name,
                &other.name,
                meaning(&line.name) == meaning(&other.name),
            ),
            (
                "hs_code",
                &line.hs_code,
                &other.hs_code,
                line.hs_code == other.hs_code,
            ),
            (
                "control_list_code",
                &line.control_list_code,
                &other.control_list_code,
                meaning(&line.control_list_code) == meaning(&other.control_list_code),
            ),
            (
                "unit",
                &line.unit,
                &other.unit,
                meaning(&line.unit) == meaning(&other.unit),
            ),
            (
                "quantity",
                &line.quantity,
                &other.quantity,
                quantity(&line.quantity) == quantity(&other.quantity),
            ),
        ];
        for (field, mine, theirs, agree) in fields {
            if !agree {
                problems.push(format!(
                    "goods line {} ({}): {field} is {mine} in the application, {theirs} in the {} (line {})",
                    i + 1,
                    line.hs_code,
                    side.noun,
                    j + 1
                ));
            }
            compared_fields.push(compared(
                &format!("goods[{i}].{field}"),
                &[(APPLICATION, mine), (side.key, theirs)],
                agree,
            ));
        }
    }
    for (j, other) in given.iter().enumerate().filter(|(j, _)| !taken[*j]) {
        problems.push(format!(
            "goods line {} ({}, {}) of the {} is not in the application",
            j + 1,
            other.name,
            other.hs_code,
            side.noun
        ));
        compared_fields.push(compared(
            &format!("{}.goods[{j}]", side.key),
            &[(side.key, &format!("{} {}", other.hs_code, other.name))],
            false,
        ));
    }
    check("goods", problems, compared_fields)
}

/// The contract comes first, the obligation's signatures next, the application last.
fn dates_check(application: &ApplicationDocument, obligation: &GuaranteeObligation) -> Check {
    let mut problems = Vec::new();
    let mut compared_fields = Vec::new();
    let contract = &obligation.contract.date;
    let mut signed = vec![(
        "importer_signatory.date",
        &obligation.importer_signatory.date,
    )];
    if let Some(end_user) = &obligation.end_user_signatory {
        signed.push(("end_user_signatory.date", &end_user.date));
    }
    for (field, date) in signed {
        // ISO 8601 dates (validated) order as text.
        let after_contract = date.as_str() >= contract.as_str();
        let before_application = date.as_str() <= application.date.as_str();
        if !after_contract {
            problems.push(format!(
                "the obligation's {field} {date} is before the contract's date {contract}"
            ));
        }
        if !before_application {
            problems.push(format!(
                "the obligation's {field} {date} is after the application's date {}",
                application.date
            ));
        }
        compared_fields.push(compared(
            field,
            &[
                ("contract", contract),
                (OBLIGATION, date),
                (APPLICATION, &application.date),
            ],
            after_contract && before_application,
        ));
    }
    check("dates", problems, compared_fields)
}

/// The sheets the application declares attached ("Қоса беріледі ___ парақ") are the pages of
/// the package's attachments (the two documents themselves are not attachments).
pub(super) fn sheets(application: &ApplicationDocument, attachments: &[DocumentReport]) -> Check {
    let pages: usize = attachments.iter().filter_map(|a| a.pages).sum();
    let declared = application.sheets_attached as usize;
    let agree = pages == declared;
    check(
        "sheets",
        if agree {
            Vec::new()
        } else {
            vec![format!(
                "the application declares {declared} sheets attached; the attachments have {pages} pages"
            )]
        },
        vec![compared(
            "sheets_attached",
            &[
                (APPLICATION, &declared.to_string()),
                ("attachments", &pages.to_string()),
            ],
            agree,
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meaning_ignores_case_quotes_and_spacing() {
        assert_eq!(
            meaning("ЖШС «Алатау Технолоджи»"),
            meaning("жшс \"АЛАТАУ  ТЕХНОЛОДЖИ\"")
        );
        assert_ne!(meaning("MM-KZ/2026-017"), meaning("MM-KZ/2026-018"));
    }

    #[test]
    fn quantities_compare_as_numbers() {
        assert_eq!(quantity("2"), quantity("2.0"));
        assert_eq!(quantity("02.50"), quantity("2.5"));
        assert_eq!(quantity("0.5"), "0.5");
        assert_ne!(quantity("10"), quantity("1"));
    }
}
