//! One signature's report, built check by check: every failure is kept and the most specific
//! decides the indication (ranked as rustls-webpki ranks its path errors).

use super::report::{Indication, SignatureReport, SubIndication};
use super::revocation::PathRevocation;
use super::rfc3339;

/// Builds one signature's report step by step. Every failure found is kept; the most specific
/// one decides the indication (see [`rank`]) and the reasons list them all, deciding one first.
pub(super) struct Outcome {
    pub(super) report: SignatureReport,
    failures: Vec<Failure>,
}

/// One failed check: its indication, sub-indication (none for a change after signing, which
/// EN 319 102-1 has none for) and the reason in words.
pub(super) struct Failure {
    indication: Indication,
    sub: Option<SubIndication>,
    reason: String,
}

/// How specific a failure is; the highest decides. As rustls-webpki ranks its path errors, a
/// failure that says what is wrong with this signature outranks one that says something could
/// not be established: TOTAL-FAILED (proven wrong) before INDETERMINATE, and within each, the
/// signature's own bytes before its signer's certificate before missing data.
pub(super) fn rank(indication: Indication, sub: Option<SubIndication>) -> u8 {
    use SubIndication as S;
    match (indication, sub) {
        (Indication::TotalFailed, Some(S::HashFailure)) => 100,
        (Indication::TotalFailed, Some(S::SigCryptoFailure)) => 99,
        (Indication::TotalFailed, None) => 98,
        (Indication::TotalFailed, Some(S::Revoked)) => 97,
        (Indication::TotalFailed, Some(S::FormatFailure)) => 96,
        (Indication::TotalFailed, Some(_)) => 95,
        (Indication::Indeterminate, Some(S::FormatFailure)) => 60,
        (Indication::Indeterminate, Some(S::CryptoConstraintsFailure)) => 59,
        (Indication::Indeterminate, Some(S::OutOfBoundsNoPoe)) => 58,
        (Indication::Indeterminate, Some(S::Expired | S::NotYetValid)) => 57,
        (Indication::Indeterminate, Some(S::ChainConstraintsFailure)) => 56,
        (Indication::Indeterminate, Some(S::NoCertificateChainFound)) => 55,
        (Indication::Indeterminate, Some(S::TryLater)) => 54,
        (Indication::Indeterminate, _) => 50,
        (Indication::TotalPassed, _) => 0,
    }
}

impl Outcome {
    pub(super) fn new(
        field: Option<String>,
        sub_filter: Option<String>,
        validation_time: time::UtcDateTime,
        claimed_signing_time: Option<String>,
    ) -> Self {
        Outcome {
            report: SignatureReport {
                field,
                sub_filter,
                indication: Indication::TotalPassed,
                sub_indication: None,
                reasons: Vec::new(),
                intact: None,
                valid: None,
                trusted: None,
                modification_level: None,
                level: None,
                signer: None,
                claimed_signing_time,
                timestamp: None,
                validation_time: rfc3339(validation_time.unix_timestamp()),
                chain: Vec::new(),
                revocation: Vec::new(),
                modifications: Vec::new(),
                coverage: None,
                warnings: Vec::new(),
            },
            failures: Vec::new(),
        }
    }

    /// Records a failure; the checks go on.
    pub(super) fn note(
        &mut self,
        indication: Indication,
        sub: SubIndication,
        reason: impl Into<String>,
    ) {
        self.failures.push(Failure {
            indication,
            sub: Some(sub),
            reason: reason.into(),
        });
    }

    /// The signed content changed after signing: TOTAL-FAILED for that reason. ETSI EN 319
    /// 102-1 has no sub-indication for it (the signature itself is intact and valid), so none
    /// is given; `modification_level` and the reasons say what happened.
    pub(super) fn note_modified(&mut self, reason: impl Into<String>) {
        self.failures.push(Failure {
            indication: Indication::TotalFailed,
            sub: None,
            reason: reason.into(),
        });
    }

    /// The signer a certificate (DER) names, and the warnings about its identity, into the
    /// report.
    pub(super) fn name_signer(&mut self, der: &[u8]) {
        if let Some((signer, warnings)) = super::signer_from_certificate(der) {
            self.report.signer = Some(signer);
            self.report.warnings.extend(warnings);
        }
    }

    /// The revocation lines of the signer's path into the report, its failures noted.
    pub(super) fn take_revocation(&mut self, statuses: PathRevocation) {
        self.report.revocation = statuses.lines;
        for (indication, sub, reason) in statuses.failures {
            self.note(indication, sub, reason);
        }
    }

    /// Whether a failure so far already proves the signature wrong (TOTAL-FAILED): later
    /// checks still run for the report, but nothing is fetched for them.
    pub(super) fn failed_for_good(&self) -> bool {
        self.failures
            .iter()
            .any(|f| f.indication == Indication::TotalFailed)
    }

    /// Records a failure after which nothing more can be checked, and ends the report.
    pub(super) fn fail(
        mut self,
        indication: Indication,
        sub: SubIndication,
        reason: impl Into<String>,
    ) -> SignatureReport {
        self.note(indication, sub, reason);
        self.finish()
    }

    /// The report, its indication decided by the highest-ranked failure (the first found among
    /// equals), every reason listed, deciding one first.
    pub(super) fn finish(mut self) -> SignatureReport {
        self.failures
            .sort_by_key(|f| std::cmp::Reverse(rank(f.indication, f.sub)));
        if let Some(decisive) = self.failures.first() {
            self.report.indication = decisive.indication;
            self.report.sub_indication = decisive.sub;
        }
        self.report
            .reasons
            .extend(self.failures.into_iter().map(|f| f.reason));
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::{Indication, Outcome, SubIndication};

    #[test]
    pub(super) fn the_most_specific_failure_decides_and_every_reason_is_kept() {
        let mut outcome = Outcome::new(None, None, time::UtcDateTime::UNIX_EPOCH, None);
        outcome.note(
            Indication::Indeterminate,
            SubIndication::TryLater,
            "no revocation data",
        );
        outcome.note(
            Indication::Indeterminate,
            SubIndication::ChainConstraintsFailure,
            "AUTH key",
        );
        let report = outcome.finish();
        assert_eq!(
            (report.indication, report.sub_indication),
            (
                Indication::Indeterminate,
                Some(SubIndication::ChainConstraintsFailure)
            )
        );
        assert_eq!(report.reasons, ["AUTH key", "no revocation data"]);

        let mut outcome = Outcome::new(None, None, time::UtcDateTime::UNIX_EPOCH, None);
        outcome.note(
            Indication::Indeterminate,
            SubIndication::OutOfBoundsNoPoe,
            "expired",
        );
        outcome.note_modified("modified");
        let report = outcome.fail(Indication::TotalFailed, SubIndication::Revoked, "revoked");
        assert_eq!(
            (report.indication, report.sub_indication),
            (Indication::TotalFailed, None)
        );
        assert_eq!(report.reasons, ["modified", "revoked", "expired"]);

        let report = Outcome::new(None, None, time::UtcDateTime::UNIX_EPOCH, None).finish();
        assert_eq!(report.indication, Indication::TotalPassed);
        assert!(report.reasons.is_empty());
    }
}
