//! Path validation (eucdoc::verify::chain) against two public suites, each case's expected
//! outcome taken from the suite, never from our code:
//! - NIST PKITS, as pyHanko packages it (../shared/corpora/pyhanko/nist_pkits/pkits.json);
//! - C2SP x509-limbo, the families that apply to document signatures (rfc5280, pathlen, crl,
//!   pathological, cve).
//!
//! Every case runs; the pass count is printed with each disagreement and its reason
//! (`cargo test --test path_validation -- --nocapture`). The assertions are floors at the
//! counts reached, so a regression fails; the known disagreements are listed, so a new one
//! fails too.

use std::collections::BTreeSet;
use std::path::PathBuf;

use eucdoc::verify::SubIndication;
use eucdoc::verify::chain::{PathOptions, Revocation, validate_path};
use openssl::x509::X509;

fn corpora() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora")
}

fn unix(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

struct Tally {
    suite: &'static str,
    passed: usize,
    failed: Vec<String>,
}

impl Tally {
    fn print(&self) {
        println!(
            "{}: {} of {} cases agree",
            self.suite,
            self.passed,
            self.passed + self.failed.len()
        );
        for line in &self.failed {
            println!("  {line}");
        }
    }
}

fn pkits() -> Tally {
    let base = corpora().join("pyhanko/nist_pkits");
    let cases: serde_json::Value =
        serde_json::from_slice(&std::fs::read(base.join("pkits.json")).unwrap()).unwrap();
    let cert = |name: &str| {
        X509::from_der(&std::fs::read(base.join("certs").join(name)).unwrap()).unwrap()
    };
    let crl = |name: &str| std::fs::read(base.join("crls").join(name)).unwrap();
    let anchor = cert("TrustAnchorRootCertificate.crt");
    let mut tally = Tally {
        suite: "NIST PKITS",
        passed: 0,
        failed: Vec::new(),
    };
    let names = |value: &serde_json::Value, key: &str| -> Vec<String> {
        value[key]
            .as_array()
            .map(|a| a.iter().map(|n| n.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    for case in cases.as_array().unwrap() {
        let id = format!(
            "{} {}",
            case["id"].as_str().unwrap(),
            case["name"].as_str().unwrap()
        );
        let leaf = cert(case["cert"].as_str().unwrap());
        let intermediates: Vec<X509> = names(case, "other_certs").iter().map(|n| cert(n)).collect();
        let mut crls: Vec<Vec<u8>> = names(case, "crls").iter().map(|n| crl(n)).collect();
        crls.push(crl("TrustAnchorRootCRL.crl"));
        let params = &case["params"];
        let options = PathOptions {
            // Inside every PKITS certificate's validity (2010-2030).
            time: unix("2022-01-01T00:00:00Z"),
            crls,
            revocation: if case["revocation"] == serde_json::Value::Bool(false) {
                Revocation::Off
            } else {
                Revocation::AllCertificates
            },
            initial_policies: names(params, "user_initial_policy_set"),
            explicit_policy: params["initial_explicit_policy"] == true,
            inhibit_policy_mapping: params["initial_policy_mapping_inhibit"] == true,
            inhibit_any_policy: params["initial_any_policy_inhibit"] == true,
            max_intermediates: None,
            skip_time_checks: false,
        };
        let result = validate_path(
            std::slice::from_ref(&anchor),
            &intermediates,
            &leaf,
            &options,
        );
        let expected_class = case["error"]["class"].as_str();
        let agrees = match (&result, expected_class) {
            (Ok(_), None) => true,
            (Err(failure), Some("RevokedError")) => {
                failure.sub_indication == SubIndication::Revoked
            }
            (Err(failure), Some("InsufficientRevinfoError" | "StaleRevinfoError")) => {
                // Not a verdict of revoked: the status is unknown.
                failure.sub_indication == SubIndication::TryLater
            }
            (Err(failure), Some(_)) => !matches!(failure.sub_indication, SubIndication::Revoked),
            _ => false,
        };
        if agrees {
            tally.passed += 1;
        } else {
            tally.failed.push(format!(
                "{id}: expected {}, got {}",
                expected_class.unwrap_or("valid"),
                match &result {
                    Ok(_) => "valid".to_string(),
                    Err(f) => format!("{:?}: {}", f.sub_indication, f.reason),
                }
            ));
        }
    }
    tally
}

fn pem_list(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().map(|p| p.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn limbo() -> Tally {
    let text = std::fs::read(corpora().join("x509-limbo/limbo.json")).unwrap();
    let suite: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let mut tally = Tally {
        suite: "x509-limbo (rfc5280, pathlen, crl, pathological, cve)",
        passed: 0,
        failed: Vec::new(),
    };
    for case in suite["testcases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let family = id.split("::").next().unwrap();
        if !["rfc5280", "pathlen", "crl", "pathological", "cve"].contains(&family) {
            continue;
        }
        let parse = |pem: &String| X509::from_pem(pem.as_bytes());
        let anchors: Result<Vec<X509>, _> =
            pem_list(&case["trusted_certs"]).iter().map(parse).collect();
        let intermediates: Result<Vec<X509>, _> = pem_list(&case["untrusted_intermediates"])
            .iter()
            .map(parse)
            .collect();
        let leaf = X509::from_pem(case["peer_certificate"].as_str().unwrap().as_bytes());
        let crls: Vec<Vec<u8>> = pem_list(&case["crls"])
            .iter()
            .filter_map(|pem| openssl::x509::X509Crl::from_pem(pem.as_bytes()).ok())
            .filter_map(|crl| crl.to_der().ok())
            .collect();
        let expected_ok = case["expected_result"] == "SUCCESS";
        // A certificate OpenSSL cannot even parse is a rejection.
        let result = match (anchors, intermediates, leaf) {
            (Ok(anchors), Ok(intermediates), Ok(leaf)) => {
                let options = PathOptions {
                    time: case["validation_time"]
                        .as_str()
                        .map(unix)
                        .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp()),
                    revocation: if crls.is_empty() {
                        Revocation::Off
                    } else {
                        Revocation::AllCertificates
                    },
                    crls,
                    max_intermediates: case["max_chain_depth"].as_u64().map(|d| d as u32),
                    ..Default::default()
                };
                validate_path(&anchors, &intermediates, &leaf, &options)
                    .map(|_| ())
                    .map_err(|f| format!("{:?}: {}", f.sub_indication, f.reason))
            }
            _ => Err("a certificate does not parse".to_string()),
        };
        if result.is_ok() == expected_ok {
            tally.passed += 1;
        } else {
            tally.failed.push(format!(
                "{id}: expected {}, got {}",
                if expected_ok { "SUCCESS" } else { "FAILURE" },
                result.err().unwrap_or_else(|| "valid".into())
            ));
        }
    }
    tally
}

/// The disagreements known and explained in the README ("Path validation"); anything else fails.
fn known(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn ids(tally: &Tally) -> BTreeSet<String> {
    tally
        .failed
        .iter()
        .map(|line| {
            line.split(": expected")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn nist_pkits() {
    let tally = pkits();
    tally.print();
    assert_eq!(tally.passed + tally.failed.len(), 246);
    assert_eq!(tally.passed, 243);
    assert_eq!(ids(&tally), known(PKITS_KNOWN), "new disagreements");
}

#[test]
fn x509_limbo() {
    let tally = limbo();
    tally.print();
    assert_eq!(tally.passed + tally.failed.len(), 137);
    assert_eq!(tally.passed, 119);
    assert_eq!(ids(&tally), known(LIMBO_KNOWN), "new disagreements");
}

/// PKITS cases where OpenSSL's validation, which eucdoc uses, differs:
const PKITS_KNOWN: &[&str] = &[
    // DSA keys inheriting domain parameters from the issuer: OpenSSL cannot verify them (and
    // DSA is not used by Kazakhstan's CA or by PAdES signers).
    "40105 valid_dsa_parameter_inheritance_test5",
    // A CA whose basicConstraints is not critical: X509_STRICT refuses it, as RFC 5280 4.2.1.9
    // requires of CAs; kept strict because it also enforces several x509-limbo rules.
    "40604 valid_basicconstraints_not_critical_test4",
    // A CRL issued by a separate CRL issuer whose own certificate is validated through a
    // second path: OpenSSL's CRL path validation does not find it.
    "41430 valid_crlissuer_test30",
];

/// x509-limbo cases where eucdoc disagrees, each for a stated reason.
const LIMBO_KNOWN: &[&str] = &[
    // TLS rules (server EKU, host names and DNS/e-mail syntax in SANs and name constraints,
    // wildcards): not applied to document signers; SOURCES.md says host-name checks are out.
    "rfc5280::eku::ee-wrong-eku",
    "rfc5280::ca-as-leaf-wrong-san",
    "rfc5280::san::underscore-dns",
    "rfc5280::san::ip-in-dns",
    "rfc5280::nc::invalid-dnsname-leading-period",
    "rfc5280::nc::nc-permits-invalid-dns-san",
    "rfc5280::nc::nc-permits-invalid-email-san",
    "rfc5280::nc::nc-forbids-dnsname-wildcard-san",
    "cve::cve-2025-61727",
    // Issuance rules OpenSSL does not enforce and we do not add: name constraints in an end
    // certificate, a non-critical policyConstraints (PKITS expects those accepted), a missing
    // AKI in a cross-signed root.
    "rfc5280::nc::not-allowed-in-ee-critical",
    "rfc5280::pc::ica-noncritical-pc",
    "rfc5280::aki::cross-signed-root-missing-aki",
    // A CA certificate without keyUsage: X509_STRICT refuses it (RFC 5280 4.2.1.3: CAs MUST).
    "crl::issuer-no-keyusage-extension",
    // OpenSSL's path building: it does not backtrack to an alternate path when the first one
    // violates name constraints, and counts a self-issued intermediate against the depth.
    "rfc5280::nc::nc-forbids-alternate-chain-ica",
    "rfc5280::nc::nc-forbids-same-chain-ica",
    "pathlen::max-chain-depth-1-self-issued",
    // Validation at exactly notAfter: OpenSSL treats the last second as expired (RFC 5280 says
    // the period is inclusive): a one-second difference.
    "rfc5280::validity::notafter-exact",
    "rfc5280::validity::notafter-fractional",
];

/// The one CRL checker (eucdoc::pki::crl) on PKITS 4.14.1–4.14.21 (distribution points,
/// onlyContains…, onlySomeReasons; direct CRLs): for each end-entity certificate, its issuer's
/// CRLs say "not listed" exactly where PKITS expects a valid path, and never for an invalid one.
/// The indirect-CRL cases (4.14.22–35) are left out: indirect CRLs are refused as unusable.
#[test]
fn pkits_crl_scope() {
    let base = corpora().join("pyhanko/nist_pkits");
    let cases: serde_json::Value =
        serde_json::from_slice(&std::fs::read(base.join("pkits.json")).unwrap()).unwrap();
    let read = |folder: &str, name: &str| std::fs::read(base.join(folder).join(name)).unwrap();
    // Reason-partitioned CRLs (onlySomeReasons) are refused as unusable: stricter than PKITS,
    // which has both partitions checked together. The status stays unknown (TRY_LATER), never
    // passed.
    let known_stricter = BTreeSet::from(["41418".to_string(), "41419".to_string()]);
    let now = time::UtcDateTime::now().unix_timestamp();
    let mut disagreements = BTreeSet::new();
    let mut checked = 0;
    for case in cases.as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        if !("41401"..="41421").contains(&id) {
            continue;
        }
        checked += 1;
        let certificate = read("certs", case["cert"].as_str().unwrap());
        let certificate = X509::from_der(&certificate).unwrap().to_der().unwrap();
        let issuer = read("certs", case["other_certs"][0].as_str().unwrap());
        let crls: Vec<Vec<u8>> = case["crls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| read("crls", name.as_str().unwrap()))
            .collect();
        let status = eucdoc::pki::crl::status(&certificate, &issuer, &crls, now);
        let not_listed = matches!(status, Ok((_, None)));
        let pkits_valid = case.get("error").is_none();
        if not_listed && !pkits_valid {
            panic!("{id}: PKITS expects a failure, the CRL checker says not listed");
        }
        if not_listed != pkits_valid {
            disagreements.insert(id.to_string());
            println!("{id}: {status:?}");
        }
    }
    assert_eq!(checked, 21);
    assert_eq!(disagreements, known_stricter);
}

/// A valid path is remembered for its certificates, but only ever given again at a time inside
/// all their validity periods: validating the same PKITS path (4.1.1) before, inside, after and
/// inside them again gives what OpenSSL gives each time.
#[test]
fn a_remembered_path_is_valid_only_inside_its_certificates_validity() {
    let base = corpora().join("pyhanko/nist_pkits/certs");
    let cert = |name: &str| X509::from_der(&std::fs::read(base.join(name)).unwrap()).unwrap();
    let anchor = cert("TrustAnchorRootCertificate.crt");
    let intermediate = cert("GoodCACert.crt");
    let leaf = cert("ValidCertificatePathTest1EE.crt");
    let validate = |time: &str| {
        let options = PathOptions {
            time: unix(time),
            ..Default::default()
        };
        validate_path(
            std::slice::from_ref(&anchor),
            std::slice::from_ref(&intermediate),
            &leaf,
            &options,
        )
    };
    let inside = validate("2022-01-01T00:00:00Z").expect("valid in 2022");
    assert_eq!(inside.len(), 3);
    // PKITS certificates are valid from 2010 to 2030.
    let after = validate("2031-06-01T00:00:00Z").expect_err("expired in 2031");
    // X509_V_ERR_CERT_HAS_EXPIRED (OpenSSL names the anchor first: all expire together).
    assert_eq!(after.code, 10, "{after:?}");
    let before = validate("2009-01-01T00:00:00Z").expect_err("not yet valid in 2009");
    // X509_V_ERR_CERT_NOT_YET_VALID.
    assert_eq!(before.code, 9, "{before:?}");
    let again = validate("2025-03-01T12:00:00Z").expect("valid in 2025");
    let ders =
        |path: &[X509]| -> Vec<Vec<u8>> { path.iter().map(|c| c.to_der().unwrap()).collect() };
    assert_eq!(ders(&again), ders(&inside));
    // The leaf's own last second: OpenSSL holds it expired at its notAfter.
    let not_after = leaf.not_after().to_string();
    let parsed = time::PrimitiveDateTime::parse(
        &not_after,
        &time::macros::format_description!(
            "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
        ),
    )
    .expect("notAfter")
    .assume_utc();
    // Given the intermediate twice, the inputs differ, so OpenSSL answers afresh: the
    // remembered path and OpenSSL agree on both sides of the edge.
    let at_end = |offset: i64, intermediates: &[X509]| {
        validate_path(
            std::slice::from_ref(&anchor),
            intermediates,
            &leaf,
            &PathOptions {
                time: parsed.unix_timestamp() + offset,
                ..Default::default()
            },
        )
        .is_ok()
    };
    let twice = [intermediate.clone(), intermediate.clone()];
    assert!(at_end(-1, &twice));
    assert!(!at_end(0, &twice));
    assert!(at_end(-1, std::slice::from_ref(&intermediate)));
    assert!(!at_end(0, std::slice::from_ref(&intermediate)));
}
