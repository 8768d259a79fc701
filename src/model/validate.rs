//! The rules upstream relies on (`../shared/domain.md`, "Validation"), applied to typed input.
//! Every rule adds to one list, so all problems come back together.

use time::Date;
use time::macros::format_description;

use super::countries::is_iso_alpha2;
use super::error::FieldError;
use super::ids::IdKind;
use super::ids::check_bin_iin;
use super::incoming::{
    ApplicantKind, ApplicationDocument, Certificate, GuaranteeObligation, IncomingGoodsLine,
    Signatory,
};
use super::types::{
    Contract, EndUserCertificate, Exporter, GoodsLine, ImportCertificate, ImportGoodsLine, Party,
    Refusal, Signer,
};
use crate::fonts;

/// Most goods lines one certificate may carry (one certificate per contract, para 5).
pub const MAX_GOODS_LINES: usize = 500;
/// Most paragraphs of grounds in a refusal.
pub const MAX_GROUNDS: usize = 20;

/// Length limits, in characters (Unicode scalar values).
mod limit {
    pub const NAME: usize = 300;
    pub const ADDRESS: usize = 500;
    pub const PHONE: usize = 40;
    pub const PLACE_OF_USE: usize = 1000;
    pub const PURPOSE_OF_USE: usize = 2000;
    pub const GOODS_NAME: usize = 500;
    pub const GOODS_DESCRIPTION: usize = 2000;
    pub const CONTROL_LIST_CODE: usize = 60;
    pub const UNIT: usize = 30;
    pub const DOCUMENT_NUMBER: usize = 100;
    pub const PERSON_NAME: usize = 150;
    pub const POSITION: usize = 300;
    pub const GROUND: usize = 4000;
    pub const REGISTRY_NUMBER: usize = 40;
}

/// Whether a text may span several lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

#[derive(Default)]
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, path: &str, reason: impl Into<String>) {
        self.errors.push(FieldError::new(path, reason));
    }

    /// Non-empty, within `max` characters, no control characters, every character printable in
    /// the bundled font (Typst would print a missing glyph as a blank, silently).
    fn text(&mut self, path: &str, value: &str, max: usize, lines: Lines) {
        if value.trim().is_empty() {
            return self.fail(path, "must not be empty");
        }
        let count = value.chars().count();
        if count > max {
            return self.fail(
                path,
                format!("is {count} characters long; the limit is {max}"),
            );
        }
        for c in value.chars() {
            let allowed_break = lines == Lines::Many && c == '\n';
            if c.is_control() && !allowed_break {
                let hint = if c == '\n' {
                    " (line breaks are not allowed in this field)"
                } else {
                    ""
                };
                return self.fail(
                    path,
                    format!("contains control character U+{:04X}{hint}", c as u32),
                );
            }
            if !fonts::can_print(c) {
                return self.fail(
                    path,
                    format!(
                        "character '{c}' (U+{:04X}) is not in the document font",
                        c as u32
                    ),
                );
            }
        }
    }

    fn date(&mut self, path: &str, value: &str) -> Option<Date> {
        match Date::parse(value, format_description!("[year]-[month]-[day]")) {
            Ok(date) if value.len() == 10 => Some(date),
            _ => {
                self.fail(path, "must be an ISO 8601 date YYYY-MM-DD");
                None
            }
        }
    }

    fn not_after(&mut self, path: &str, earlier: Option<Date>, issue: Option<Date>) {
        if let (Some(earlier), Some(issue)) = (earlier, issue)
            && earlier > issue
        {
            self.fail(path, format!("{earlier} is after the issue date {issue}"));
        }
    }

    fn bin_iin(&mut self, path: &str, value: &str) {
        if let Err(error) = check_bin_iin(value) {
            self.fail(path, format!("not a valid BIN/IIN: {error}"));
        }
    }

    fn country(&mut self, path: &str, value: &str) {
        if !is_iso_alpha2(value) {
            self.fail(
                path,
                format!("\"{value}\" is not an ISO 3166-1 alpha-2 country code"),
            );
        }
    }

    /// 10-digit EAEU commodity code (EEC Council decision No. 80): chapters 01–97, 77 reserved.
    fn hs_code(&mut self, path: &str, value: &str) {
        if value.len() != 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return self.fail(path, "must be exactly 10 digits (EAEU commodity code)");
        }
        match &value[..2] {
            "00" | "98" | "99" => self.fail(
                path,
                format!(
                    "chapter {} does not exist in the EAEU nomenclature (01–97)",
                    &value[..2]
                ),
            ),
            "77" => self.fail(path, "chapter 77 is reserved and never used"),
            _ => {}
        }
    }

    /// A positive decimal: digits, optionally a point and more digits. Never a float.
    fn quantity(&mut self, path: &str, value: &str) {
        const MAX_INTEGER_DIGITS: usize = 15;
        const MAX_FRACTION_DIGITS: usize = 6;
        let (integer, fraction) = match value.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (value, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(integer) || fraction.is_some_and(|f| !digits(f)) {
            return self.fail(path, "must be a decimal string such as \"12\" or \"0.5\"");
        }
        if integer.len() > 1 && integer.starts_with('0') {
            return self.fail(path, "must not have leading zeros");
        }
        if integer.len() > MAX_INTEGER_DIGITS
            || fraction.is_some_and(|f| f.len() > MAX_FRACTION_DIGITS)
        {
            return self.fail(
                path,
                format!(
                    "at most {MAX_INTEGER_DIGITS} digits before and {MAX_FRACTION_DIGITS} after the point"
                ),
            );
        }
        if value.bytes().all(|b| b == b'0' || b == b'.') {
            self.fail(path, "must be greater than zero");
        }
    }

    fn registry_number(&mut self, path: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        let ok = !value.is_empty()
            && value.len() <= limit::REGISTRY_NUMBER
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            self.fail(
                path,
                "must be 1–40 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit (it is part of the check URL)",
            );
        }
    }

    fn party(&mut self, path: &str, party: &Party) {
        self.text(
            &format!("{path}.name"),
            &party.name,
            limit::NAME,
            Lines::One,
        );
        self.country(&format!("{path}.country"), &party.country);
        self.text(
            &format!("{path}.address"),
            &party.address,
            limit::ADDRESS,
            Lines::One,
        );
        self.phone(&format!("{path}.phone"), &party.phone);
        self.bin_iin(&format!("{path}.bin_iin"), &party.bin_iin);
    }

    fn phone(&mut self, path: &str, value: &str) {
        self.text(path, value, limit::PHONE, Lines::One);
        let digits = value.bytes().filter(u8::is_ascii_digit).count();
        let shape_ok = value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '(' | ')' | '-'));
        if !value.trim().is_empty() && (!shape_ok || !(5..=15).contains(&digits)) {
            self.fail(
                path,
                "must be a phone number: 5 to 15 digits with optional '+', spaces, '(', ')' or '-'",
            );
        }
    }

    fn exporter(&mut self, path: &str, exporter: &Exporter) {
        self.text(
            &format!("{path}.name"),
            &exporter.name,
            limit::NAME,
            Lines::One,
        );
        self.country(&format!("{path}.country"), &exporter.country);
        self.text(
            &format!("{path}.address"),
            &exporter.address,
            limit::ADDRESS,
            Lines::One,
        );
    }

    fn goods_count(&mut self, count: usize) {
        if count == 0 {
            self.fail("goods", "must have at least one goods line");
        } else if count > MAX_GOODS_LINES {
            self.fail(
                "goods",
                format!(
                    "has {count} lines; the limit is {MAX_GOODS_LINES} (one certificate per contract)"
                ),
            );
        }
    }

    /// The boxes every goods line has: name, code, control-list code, unit, quantity.
    fn goods_common(
        &mut self,
        path: &str,
        name: &str,
        hs_code: &str,
        control: &str,
        unit: &str,
        quantity: &str,
    ) {
        self.text(
            &format!("{path}.name"),
            name,
            limit::GOODS_NAME,
            Lines::Many,
        );
        self.hs_code(&format!("{path}.hs_code"), hs_code);
        self.text(
            &format!("{path}.control_list_code"),
            control,
            limit::CONTROL_LIST_CODE,
            Lines::One,
        );
        self.text(&format!("{path}.unit"), unit, limit::UNIT, Lines::One);
        self.quantity(&format!("{path}.quantity"), quantity);
    }

    fn goods_line(&mut self, index: usize, line: &GoodsLine) {
        let path = format!("goods[{index}]");
        self.goods_common(
            &path,
            &line.name,
            &line.hs_code,
            &line.control_list_code,
            &line.unit,
            &line.quantity,
        );
        self.text(
            &format!("{path}.description"),
            &line.description,
            limit::GOODS_DESCRIPTION,
            Lines::Many,
        );
    }

    fn import_goods_line(&mut self, index: usize, line: &ImportGoodsLine) {
        self.goods_common(
            &format!("goods[{index}]"),
            &line.name,
            &line.hs_code,
            &line.control_list_code,
            &line.unit,
            &line.quantity,
        );
    }

    fn contract(&mut self, contract: &Contract, issue: Option<Date>) {
        self.text(
            "contract.number",
            &contract.number,
            limit::DOCUMENT_NUMBER,
            Lines::One,
        );
        let date = self.date("contract.date", &contract.date);
        self.not_after("contract.date", date, issue);
    }

    fn signer(&mut self, signer: &Signer) {
        self.text(
            "signer.full_name",
            &signer.full_name,
            limit::PERSON_NAME,
            Lines::One,
        );
        self.text(
            "signer.position",
            &signer.position,
            limit::POSITION,
            Lines::Many,
        );
    }

    /// The importer applies to a Kazakh authority (para 9): a resident of Kazakhstan.
    fn importer(&mut self, importer: &Party) {
        self.party("importer", importer);
        if importer.country != "KZ" && is_iso_alpha2(&importer.country) {
            self.fail(
                "importer.country",
                "the importer is a resident of Kazakhstan: must be \"KZ\"",
            );
        }
    }

    fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

pub(super) fn registry_number(number: &str) -> Result<(), FieldError> {
    let mut c = Checker::default();
    c.registry_number("number", Some(number));
    c.errors.pop().map_or(Ok(()), Err)
}

pub(super) fn end_user_certificate(d: &EndUserCertificate) -> Result<(), Vec<FieldError>> {
    let mut c = Checker::default();
    c.registry_number("number", d.number.as_deref());
    let issue = c.date("issue_date", &d.issue_date);
    c.importer(&d.importer);
    c.party("end_user", &d.end_user);
    c.exporter("exporter", &d.exporter);
    c.text(
        "place_of_use",
        &d.place_of_use,
        limit::PLACE_OF_USE,
        Lines::Many,
    );
    c.text(
        "purpose_of_use",
        &d.purpose_of_use,
        limit::PURPOSE_OF_USE,
        Lines::Many,
    );
    c.goods_count(d.goods.len());
    for (i, line) in d.goods.iter().take(MAX_GOODS_LINES).enumerate() {
        c.goods_line(i, line);
    }
    c.contract(&d.contract, issue);
    c.signer(&d.signer);
    c.into_result()
}

pub(super) fn import_certificate(d: &ImportCertificate) -> Result<(), Vec<FieldError>> {
    let mut c = Checker::default();
    c.registry_number("number", d.number.as_deref());
    let issue = c.date("issue_date", &d.issue_date);
    c.importer(&d.importer);
    c.exporter("exporter", &d.exporter);
    c.goods_count(d.goods.len());
    for (i, line) in d.goods.iter().take(MAX_GOODS_LINES).enumerate() {
        c.import_goods_line(i, line);
    }
    c.contract(&d.contract, issue);
    c.signer(&d.signer);
    c.into_result()
}

pub(super) fn refusal(d: &Refusal) -> Result<(), Vec<FieldError>> {
    let mut c = Checker::default();
    c.registry_number("number", d.number.as_deref());
    let issue = c.date("issue_date", &d.issue_date);
    c.text("recipient.name", &d.recipient.name, limit::NAME, Lines::One);
    c.text(
        "recipient.legal_address",
        &d.recipient.legal_address,
        limit::ADDRESS,
        Lines::One,
    );
    c.bin_iin("recipient.bin_iin", &d.recipient.bin_iin);
    let applied = c.date("application.date", &d.application.date);
    c.not_after("application.date", applied, issue);
    c.text(
        "application.number",
        &d.application.number,
        limit::DOCUMENT_NUMBER,
        Lines::One,
    );
    if d.grounds.is_empty() {
        c.fail("grounds", "must have at least one paragraph");
    } else if d.grounds.len() > MAX_GROUNDS {
        c.fail(
            "grounds",
            format!(
                "has {} paragraphs; the limit is {MAX_GROUNDS}",
                d.grounds.len()
            ),
        );
    }
    for (i, ground) in d.grounds.iter().take(MAX_GROUNDS).enumerate() {
        c.text(&format!("grounds[{i}]"), ground, limit::GROUND, Lines::Many);
    }
    c.signer(&d.signer);
    c.into_result()
}

impl Checker {
    /// Goods lines of an incoming document under `path`: 1 to [`MAX_GOODS_LINES`], each with
    /// a description when `certificate` is form 1 (whose box 6 has one).
    fn incoming_goods(
        &mut self,
        path: &str,
        goods: &[IncomingGoodsLine],
        certificate: Certificate,
    ) {
        if goods.is_empty() {
            self.fail(path, "must have at least one goods line");
        } else if goods.len() > MAX_GOODS_LINES {
            self.fail(
                path,
                format!(
                    "has {} lines; the limit is {MAX_GOODS_LINES} (one certificate per contract)",
                    goods.len()
                ),
            );
        }
        for (i, line) in goods.iter().take(MAX_GOODS_LINES).enumerate() {
            let here = format!("{path}[{i}]");
            self.goods_common(
                &here,
                &line.name,
                &line.hs_code,
                &line.control_list_code,
                &line.unit,
                &line.quantity,
            );
            match (&line.description, certificate.has_end_user()) {
                (Some(description), _) => self.text(
                    &format!("{here}.description"),
                    description,
                    limit::GOODS_DESCRIPTION,
                    Lines::Many,
                ),
                (None, true) => self.fail(
                    &format!("{here}.description"),
                    "is required for an End-User Certificate (box 6: name and description)",
                ),
                (None, false) => {}
            }
        }
    }

    /// A text that form 1 requires and form 2 does not have.
    fn form_one_text(
        &mut self,
        path: &str,
        value: Option<&str>,
        certificate: Certificate,
        max: usize,
    ) {
        match value {
            Some(value) => self.text(path, value, max, Lines::Many),
            None if certificate.has_end_user() => {
                self.fail(path, "is required for an End-User Certificate")
            }
            None => {}
        }
    }

    fn signatory(&mut self, path: &str, signatory: &Signatory) -> Option<Date> {
        self.text(
            &format!("{path}.full_name"),
            &signatory.full_name,
            limit::PERSON_NAME,
            Lines::One,
        );
        self.text(
            &format!("{path}.position"),
            &signatory.position,
            limit::POSITION,
            Lines::Many,
        );
        self.date(&format!("{path}.date"), &signatory.date)
    }
}

pub(super) fn application(d: &ApplicationDocument) -> Result<(), Vec<FieldError>> {
    let mut c = Checker::default();
    if let Some(number) = &d.number {
        c.text("number", number, limit::DOCUMENT_NUMBER, Lines::One);
    }
    let filled = c.date("date", &d.date);
    c.text("provider", &d.provider, limit::NAME, Lines::Many);
    let applicant = &d.applicant;
    c.text("applicant.name", &applicant.name, limit::NAME, Lines::One);
    match (check_bin_iin(&applicant.bin_iin), applicant.kind) {
        (Err(error), _) => c.fail("applicant.bin_iin", format!("not a valid BIN/IIN: {error}")),
        (Ok(IdKind::Iin), ApplicantKind::LegalEntity) => c.fail(
            "applicant.bin_iin",
            "a legal entity applies with its BIN, not an IIN",
        ),
        (Ok(IdKind::Bin), ApplicantKind::Individual | ApplicantKind::SoleProprietor) => c.fail(
            "applicant.bin_iin",
            "an individual or sole proprietor applies with an IIN, not a BIN",
        ),
        (Ok(_), _) => {}
    }
    match (&applicant.registration_number, applicant.kind) {
        (Some(number), _) => c.text(
            "applicant.registration_number",
            number,
            limit::DOCUMENT_NUMBER,
            Lines::One,
        ),
        (None, ApplicantKind::LegalEntity | ApplicantKind::SoleProprietor) => c.fail(
            "applicant.registration_number",
            "is required: the state registration certificate (legal entity) or the notice of starting business (sole proprietor)",
        ),
        (None, ApplicantKind::Individual) => {}
    }
    c.text(
        "applicant.address",
        &applicant.address,
        limit::ADDRESS,
        Lines::One,
    );
    c.phone("applicant.phone", &applicant.phone);
    c.text("signatory", &d.signatory, limit::PERSON_NAME, Lines::One);
    let request = &d.request;
    c.party("request.importer", &request.importer);
    if request.importer.country != "KZ"
        && super::countries::is_iso_alpha2(&request.importer.country)
    {
        c.fail(
            "request.importer.country",
            "the importer is a resident of Kazakhstan: must be \"KZ\"",
        );
    }
    match (&request.end_user, d.certificate.has_end_user()) {
        (Some(end_user), true) => c.party("request.end_user", end_user),
        (None, true) => c.fail(
            "request.end_user",
            "is required for an End-User Certificate",
        ),
        (Some(_), false) => c.fail(
            "request.end_user",
            "an International Import Certificate names no end user",
        ),
        (None, false) => {}
    }
    c.exporter("request.exporter", &request.exporter);
    c.form_one_text(
        "request.place_of_use",
        request.place_of_use.as_deref(),
        d.certificate,
        limit::PLACE_OF_USE,
    );
    c.form_one_text(
        "request.purpose_of_use",
        request.purpose_of_use.as_deref(),
        d.certificate,
        limit::PURPOSE_OF_USE,
    );
    c.incoming_goods("request.goods", &request.goods, d.certificate);
    c.text(
        "request.contract.number",
        &request.contract.number,
        limit::DOCUMENT_NUMBER,
        Lines::One,
    );
    let contract = c.date("request.contract.date", &request.contract.date);
    if let (Some(contract), Some(filled)) = (contract, filled)
        && contract > filled
    {
        c.fail(
            "request.contract.date",
            format!("{contract} is after the application's date {filled}"),
        );
    }
    c.into_result()
}

pub(super) fn guarantee_obligation(d: &GuaranteeObligation) -> Result<(), Vec<FieldError>> {
    let mut c = Checker::default();
    c.importer(&d.importer);
    match (&d.end_user, d.certificate.has_end_user()) {
        (Some(end_user), _) => c.party("end_user", end_user),
        (None, true) => c.fail(
            "end_user",
            "is required for an End-User Certificate (box 2)",
        ),
        (None, false) => {}
    }
    c.exporter("exporter", &d.exporter);
    c.text(
        "place_of_use",
        &d.place_of_use,
        limit::PLACE_OF_USE,
        Lines::Many,
    );
    c.text(
        "purpose_of_use",
        &d.purpose_of_use,
        limit::PURPOSE_OF_USE,
        Lines::Many,
    );
    c.incoming_goods("goods", &d.goods, d.certificate);
    c.text(
        "contract.number",
        &d.contract.number,
        limit::DOCUMENT_NUMBER,
        Lines::One,
    );
    let contract = c.date("contract.date", &d.contract.date);
    let mut signed = vec![(
        "importer_signatory.date",
        c.signatory("importer_signatory", &d.importer_signatory),
    )];
    match (&d.end_user_signatory, &d.end_user) {
        (Some(signatory), _) => signed.push((
            "end_user_signatory.date",
            c.signatory("end_user_signatory", signatory),
        )),
        (None, Some(_)) => c.fail(
            "end_user_signatory",
            "is required with an end user (box 14)",
        ),
        (None, None) => {}
    }
    for (path, date) in signed {
        if let (Some(contract), Some(date)) = (contract, date)
            && date < contract
        {
            c.fail(
                path,
                format!("{date} is before the contract's date {contract}"),
            );
        }
    }
    c.into_result()
}
