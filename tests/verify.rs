//! `eucdoc verify` on inputs we did not make ourselves: pyHanko's hostile corpus compared with
//! pyHanko's own verdicts, CMS signatures as NCALayer and `openssl cms` produce them (DER, PEM,
//! bare base64, attached and detached), and the Kazakh NCA's test material.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{root, run, write_temp};
use eucdoc::devpki;
use eucdoc::sign;
use eucdoc::verify::{self, Indication, Report, SubIndication, VerifyOptions};

const PASSWORD: &str = "test-password";

fn verdict(report: &Report) -> (Indication, Option<SubIndication>) {
    let first = &report.signatures[0];
    (first.indication, first.sub_indication)
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root().join("../shared/corpora/pyhanko/pdf")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("shared corpora beside the project") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "pdf") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn short(path: &Path) -> String {
    path.to_string_lossy()
        .split("pyhanko/pdf/")
        .last()
        .unwrap_or_default()
        .to_string()
}

/// Our verdict on a signature's integrity: broken or modified, or intact (whatever the trust),
/// from the report's own fields; a structure that cannot be read (FORMAT_FAILURE) counts as
/// broken, as pyHanko counts it.
fn eucdoc_modified(signature: &verify::SignatureReport) -> bool {
    signature.intact == Some(false)
        || signature.valid == Some(false)
        || signature.modification_level == Some(verify::ModificationLevel::Other)
        || (signature.indication == Indication::TotalFailed
            && signature.sub_indication == Some(SubIndication::FormatFailure))
}

/// Where eucdoc's intact / modified verdict differs from pyHanko's, and why.
const CORPUS_DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "form-update-ap-indirect-sneaky-trailer.pdf#0",
        "the second signature fills the empty field Sig2 and gives its widget a new appearance \
         dictionary; the old one (also referenced from the trailer) is left unchanged. pyHanko's \
         diff policy distrusts the shared dictionary; eucdoc finds nothing the first signer saw \
         changed except the further signature ETSI EN 319 142-1 allows",
    ),
    (
        "form-update-no-override-appearance-stream-ap-indirect-sneaky.pdf#0",
        "as above, the shared appearance dictionary is referenced from the catalog instead",
    ),
    (
        "form-update-override-appearance-stream-ap-indirect.pdf#0",
        "an existing appearance stream object is rewritten in place; eucdoc reports any \
         redefined XObject (a shared one is the shadow attack), pyHanko classes this one as form \
         filling",
    ),
    (
        "form-update-override-appearance-stream.pdf#0",
        "as above, with the appearance referenced directly",
    ),
    (
        "separate-annots-kids-indir.pdf#0",
        "the page gains /Annots naming a widget that existed before but was on no page: eucdoc \
         reports the redefined page, pyHanko classes it as form filling",
    ),
];

/// pyHanko's 130 PDFs: every one gives a report or a clear error, never a panic, within a time
/// budget; for every signature pyHanko evaluates, our `intact` and `valid` equal its own (also
/// where the /ByteRange is refused) and our modified verdict agrees with its verdict, except the
/// listed cases.
#[test]
fn pyhanko_corpus_verdicts_agree() {
    let files = corpus_files();
    assert_eq!(files.len(), 130, "the pyHanko corpus has 130 PDFs");
    let python = std::env::var("EUCDOC_PYHANKO")
        .expect("EUCDOC_PYHANKO must name the venv python with pyHanko (scripts/test.sh sets it)");
    let script = root().join("tests/support/pyhanko_corpus.py");
    let mut args = vec![script.to_str().unwrap().to_string()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&python, &arg_refs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();

    let mut disagreements = Vec::new();
    let (mut compared, mut reports, mut unreadable) = (0, 0, 0);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let started = std::time::Instant::now();
        let ours = verify::verify_pdf(&bytes, &VerifyOptions::default());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{} took too long",
            file.display()
        );
        let theirs: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| r["file"] == file.to_str().unwrap() && !r["index"].is_null())
            .collect();
        let report = match ours {
            Ok(report) => {
                reports += 1;
                report
            }
            Err(error) => {
                unreadable += 1;
                if !theirs.is_empty() {
                    disagreements.push(format!(
                        "{}: pyHanko reads {} signature(s), eucdoc cannot read the file ({error})",
                        short(file),
                        theirs.len()
                    ));
                }
                continue;
            }
        };
        for row in &theirs {
            let index = row["index"].as_u64().unwrap() as usize;
            let pyhanko_modified = if row["error"].is_string() {
                true
            } else {
                !row["intact"].as_bool().unwrap()
                    || !row["valid"].as_bool().unwrap()
                    || row["modification"] == "OTHER"
                    || !matches!(
                        row["coverage"].as_str(),
                        Some("ENTIRE_FILE" | "ENTIRE_REVISION")
                    )
            };
            let Some(signature) = report.signatures.get(index) else {
                disagreements.push(format!(
                    "{}#{index}: pyHanko finds a signature eucdoc does not",
                    short(file)
                ));
                continue;
            };
            compared += 1;
            if !row["error"].is_string() {
                let theirs = (row["intact"].as_bool(), row["valid"].as_bool());
                let ours = (
                    Some(signature.intact == Some(true)),
                    Some(signature.valid == Some(true)),
                );
                if ours != theirs {
                    disagreements.push(format!(
                        "{}#{index} (intact, valid): pyHanko {theirs:?}, eucdoc {:?} ({})",
                        short(file),
                        (signature.intact, signature.valid),
                        signature.reasons.join("; ")
                    ));
                }
            }
            // Where neither finds a forbidden change, the levels agree too.
            let theirs_level = row["modification"].as_str();
            let ours_level = signature.modification_level.map(|level| {
                serde_json::to_value(level)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .replace('-', "_")
                    .to_uppercase()
            });
            if theirs_level.is_some_and(|l| l != "OTHER")
                && !eucdoc_modified(signature)
                && ours_level.as_deref() != theirs_level
            {
                disagreements.push(format!(
                    "{}#{index} (level): pyHanko {theirs_level:?}, eucdoc {ours_level:?}",
                    short(file)
                ));
            }
            let ours_modified = eucdoc_modified(signature);
            if ours_modified != pyhanko_modified {
                disagreements.push(format!(
                    "{}#{index}: pyHanko {} ({}), eucdoc {} ({})",
                    short(file),
                    if pyhanko_modified {
                        "modified"
                    } else {
                        "intact"
                    },
                    row.get("error")
                        .and_then(|e| e.as_str())
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{} {}", row["coverage"], row["modification"])),
                    if ours_modified { "modified" } else { "intact" },
                    signature
                        .reasons
                        .iter()
                        .chain(&signature.modifications)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
    }
    println!(
        "pyHanko corpus: {} files, {reports} reports, {unreadable} unreadable; {compared} signatures compared, {} disagreements",
        files.len(),
        disagreements.len()
    );
    for line in &disagreements {
        println!("  {line}");
    }
    assert!(compared >= 50, "only {compared} signatures compared");
    let found: BTreeSet<String> = disagreements
        .iter()
        .map(|d| d.split(": ").next().unwrap().to_string())
        .collect();
    let known: BTreeSet<String> = CORPUS_DISAGREEMENTS
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(found, known, "disagreements changed");
}

fn dev_pki() -> (tempfile::TempDir, devpki::DevPkiFiles) {
    let dir = tempfile::tempdir().unwrap();
    let files = devpki::generate(
        dir.path(),
        PASSWORD,
        time::UtcDateTime::now().unix_timestamp(),
    )
    .unwrap();
    (dir, files)
}

fn options_with(anchor: &Path, crls: &[&Path]) -> VerifyOptions {
    VerifyOptions {
        trust_anchors: sign::certificates_from_file(&std::fs::read(anchor).unwrap()).unwrap(),
        crls: crls.iter().map(|p| std::fs::read(p).unwrap()).collect(),
        ..Default::default()
    }
}

fn openssl(args: &[&str]) {
    let out = run("openssl", args);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// CMS signatures made by `openssl cms` with a key of our test PKI, as NCALayer hands them over:
/// attached and detached, DER, PEM and bare base64; tampering and missing data are named.
#[test]
fn cms_signatures_attached_detached_der_pem_base64() {
    use base64::Engine;
    let (dir, pki) = dev_pki();
    let d = dir.path();
    let path = |name: &str| d.join(name).to_str().unwrap().to_string();
    openssl(&[
        "pkcs12",
        "-in",
        &path("officer.p12"),
        "-passin",
        &format!("pass:{PASSWORD}"),
        "-nodes",
        "-out",
        &path("officer.pem"),
    ]);
    let data = common::example("end-user-certificate.json");
    let data_path = write_temp(d, "application.json", &data);
    let officer_pem = path("officer.pem");
    let sign = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "cms",
            "-sign",
            "-binary",
            "-md",
            "sha256",
            "-in",
            data_path.to_str().unwrap(),
            "-signer",
            &officer_pem,
            "-certfile",
            pki.nca.to_str().unwrap(),
        ];
        let out_path = path(out);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-out", &out_path]);
        openssl(&args);
        std::fs::read(&out_path).unwrap()
    };
    let attached = sign("attached.der", &["-nodetach", "-outform", "DER"]);
    let detached = sign("detached.der", &["-outform", "DER"]);
    let pem = sign("attached.pem", &["-nodetach", "-outform", "PEM"]);
    let base64_text = base64::engine::general_purpose::STANDARD.encode(&attached);
    let options = options_with(&pki.root, &[&pki.crl, &pki.root_crl]);

    for (label, input) in [
        ("DER", attached.clone()),
        ("PEM", pem),
        ("base64", base64_text.clone().into_bytes()),
        ("base64 with line breaks", {
            let mut text = String::new();
            for chunk in base64_text.as_bytes().chunks(64) {
                text.push_str(std::str::from_utf8(chunk).unwrap());
                text.push_str("\r\n");
            }
            text.into_bytes()
        }),
    ] {
        let report = verify::verify(&input, None, &options).unwrap();
        assert_eq!(report.input, "cms");
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{label}: {}",
            report.to_text()
        );
        let signer = report.signatures[0].signer.as_ref().unwrap();
        assert_eq!(signer.iin.as_deref(), Some("880101300123"));
        assert_eq!(signer.key, "SIGN");
        assert!(
            report.signatures[0].claimed_signing_time.is_some(),
            "signingTime attribute"
        );
        assert_eq!(report.signatures[0].chain.len(), 3, "{}", report.to_text());
        assert_eq!(
            report.signatures[0].revocation.len(),
            2,
            "{}",
            report.to_text()
        );
    }
    // Detached: with the data it passes; without, it cannot be checked; with other data, the
    // digest fails.
    let report = verify::verify(&detached, Some(&data), &options).unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    let report = verify::verify(&detached, None, &options).unwrap();
    assert_eq!(
        verdict(&report),
        (
            Indication::Indeterminate,
            Some(SubIndication::FormatFailure)
        )
    );
    let mut other = data.clone();
    other[10] ^= 1;
    let report = verify::verify(&detached, Some(&other), &options).unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::TotalFailed, Some(SubIndication::HashFailure))
    );
    // Attached, with one byte of the content changed inside the CMS.
    let at = attached
        .windows(data.len())
        .position(|w| w == data.as_slice())
        .expect("the content is encapsulated");
    let mut tampered = attached.clone();
    tampered[at + 10] ^= 1;
    let report = verify::verify(&tampered, None, &options).unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::TotalFailed, Some(SubIndication::HashFailure))
    );
    // Without revocation data the signer's status is unknown.
    let bare = options_with(&pki.root, &[]);
    let report = verify::verify(&attached, None, &bare).unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::Indeterminate, Some(SubIndication::TryLater))
    );
    // Not a signature at all.
    assert!(verify::verify(b"hello, world", None, &options).is_err());
    assert!(verify::verify(b"MIIB!!!", None, &options).is_err());

    // The CLI: exit 0 passed, 3 indeterminate, 1 failed, 2 unreadable.
    let b64_path = write_temp(d, "signature.txt", base64_text.as_bytes());
    let detached_path = write_temp(d, "detached.der", &detached);
    let other_path = write_temp(d, "other.json", &other);
    let eucdoc = env!("CARGO_BIN_EXE_eucdoc");
    let cli = |args: &[&str]| {
        let mut all = vec!["verify", "--trust", pki.root.to_str().unwrap()];
        all.extend_from_slice(args);
        run(eucdoc, &all).status.code()
    };
    let (nca_crl, root_crl) = (pki.crl.to_str().unwrap(), pki.root_crl.to_str().unwrap());
    let b64 = b64_path.to_str().unwrap();
    let det = detached_path.to_str().unwrap();
    assert_eq!(cli(&[b64, "--crl", nca_crl, "--crl", root_crl]), Some(0));
    assert_eq!(cli(&[b64]), Some(3));
    assert_eq!(
        cli(&[
            det,
            "--data",
            data_path.to_str().unwrap(),
            "--crl",
            nca_crl,
            "--crl",
            root_crl
        ]),
        Some(0)
    );
    assert_eq!(cli(&[det, "--data", other_path.to_str().unwrap()]), Some(1));
    assert_eq!(cli(&[data_path.to_str().unwrap()]), Some(2));
}

fn nca(path: &str) -> Vec<u8> {
    std::fs::read(
        root()
            .join("../shared/corpora/kz-nca/ncanode-test")
            .join(path),
    )
    .expect("shared corpora beside the project")
}

/// The Kazakh NCA's test material (kz-nca/ncanode-test): identities from its certificates,
/// signatures made with its RSA keys judged with its CRL and OCSP responses at a time inside
/// their validity, and its GOST timestamp token reported as unsupported, never as valid.
#[test]
fn nca_test_material() {
    // Identities, per kz-pki.md.
    let identity = |path: &str| {
        let certs = sign::certificates_from_file(&nca(path)).unwrap();
        verify::signer_from_certificate(&certs[0]).unwrap()
    };
    let (individual, warnings) = identity("certs/individual_valid_sign_2004_rsa.cer");
    assert_eq!(individual.iin.as_deref(), Some("123456789011"));
    assert_eq!(individual.bin, None);
    assert_eq!(individual.full_name, "ТЕСТОВ ТЕСТ ТЕСТОВИЧ");
    assert!(individual.roles.contains(&"individual".to_string()));
    assert_eq!(individual.key, "SIGN");
    assert!(
        warnings.iter().any(|w| w.contains("IIN 123456789011")),
        "{warnings:?}"
    );
    let (auth, _) = identity("certs/individual_valid_sign_2004_rsa_auth.cer");
    assert_eq!(auth.key, "AUTH");
    assert!(auth.roles.contains(&"client authentication".to_string()));
    let (ceo, _) = identity("certs/ceo_valid_sign_2004_gost.cer");
    assert_eq!(ceo.bin.as_deref(), Some("123456789021"));
    assert_eq!(ceo.organisation.as_deref(), Some("АО \"ТЕСТ\""));
    assert!(
        ceo.roles.contains(&"first head".to_string()),
        "{:?}",
        ceo.roles
    );
    assert!(
        ceo.roles
            .contains(&"employee of a legal entity".to_string())
    );
    let (gost2015, _) = identity("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem");
    assert_eq!(gost2015.iin.as_deref(), Some("123456789012"));

    // RSA signatures with the NCA's test keys.
    let ca = sign::certificates_from_file(&nca("ca/nca_rsa_test.crt")).unwrap();
    let crl = nca("crl/nca_rsa_test.crl");
    let pdf = common::render_bytes(&common::example("refusal.json")).pdf;
    let sign_with = |key: &str, at: time::UtcDateTime| {
        let signer = sign::open_signer(
            &nca(&format!("keys/{key}")),
            "Qwerty12",
            at.unix_timestamp(),
            &[],
            &ca,
        )
        .unwrap();
        sign::sign_pdf(&pdf, &signer, &sign::SignRequest::basic(at)).unwrap()
    };
    let options = |at: time::UtcDateTime, crls: Vec<Vec<u8>>, ocsps: Vec<Vec<u8>>| VerifyOptions {
        trust_anchors: ca.clone(),
        at: Some(at),
        crls,
        ocsps,
        ..Default::default()
    };
    // Valid key (2021-01-18 to 2022-01-18), validated inside its validity with the CA's CRL.
    let valid_time = time::macros::utc_datetime!(2021-06-01 12:00:00);
    let signed = sign_with("KEY_INDIVIDUAL_VALID_SIGN_2004.p12", valid_time);
    let report = verify::verify(
        &signed,
        None,
        &options(valid_time, vec![crl.clone()], vec![]),
    )
    .unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    assert_eq!(
        (
            report.signatures[0].revocation[0].status,
            report.signatures[0].revocation[0].source.as_str()
        ),
        (verify::CertificateStatus::Good, "CRL")
    );
    // The NCA's OCSP response for it says good, but its responder's certificate is issued by the
    // GOST test CA: the responder's authority cannot be checked, so it is not believed.
    let ocsp = nca("ocsp/ocsp_response_individual_sign_2004.bin");
    let report = verify::verify(&signed, None, &options(valid_time, vec![], vec![ocsp])).unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::Indeterminate, Some(SubIndication::TryLater))
    );
    // The revoked key (on the CRL of 2022-03-29), signing inside its validity.
    let listed_time = time::macros::utc_datetime!(2022-06-01 12:00:00);
    let revoked = sign_with("KEY_INDIVIDUAL_SIGN_REVOKED_2004.p12", listed_time);
    let report = verify::verify(
        &revoked,
        None,
        &options(listed_time, vec![crl.clone()], vec![]),
    )
    .unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::TotalFailed, Some(SubIndication::Revoked)),
        "{}",
        report.to_text()
    );
    // The AUTH key must not sign documents: a CMS that `openssl cms` makes with it is not
    // passed. This certificate is also on the CRL: both failures are reported, and the more
    // specific one (revoked: TOTAL-FAILED) decides over the key usage (INDETERMINATE).
    let dir = tempfile::tempdir().unwrap();
    let auth_p12 = write_temp(
        dir.path(),
        "auth.p12",
        &nca("keys/KEY_INDIVIDUAL_AUTH_REVOKED_2004.p12"),
    );
    let auth_pem = dir.path().join("auth.pem");
    openssl(&[
        "pkcs12",
        "-legacy",
        "-in",
        auth_p12.to_str().unwrap(),
        "-passin",
        "pass:Qwerty12",
        "-nodes",
        "-out",
        auth_pem.to_str().unwrap(),
    ]);
    let data_path = write_temp(dir.path(), "data.txt", b"application");
    let cms_path = dir.path().join("auth.der");
    openssl(&[
        "cms",
        "-sign",
        "-nodetach",
        "-binary",
        "-in",
        data_path.to_str().unwrap(),
        "-signer",
        auth_pem.to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        cms_path.to_str().unwrap(),
    ]);
    let report = verify::verify(
        &std::fs::read(&cms_path).unwrap(),
        None,
        &options(listed_time, vec![crl.clone()], vec![]),
    )
    .unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::TotalFailed, Some(SubIndication::Revoked)),
        "{}",
        report.to_text()
    );
    assert_eq!(
        report.signatures[0].reasons,
        [
            "certificate 0 of the path is revoked (CRL, superseded)",
            "the signer's key lacks nonRepudiation (an AUTH key must not sign documents)"
        ]
    );
    assert_eq!(report.signatures[0].signer.as_ref().unwrap().key, "AUTH");

    // The test TSA's token is GOST 34.310-2004: INDETERMINATE (unsupported algorithm), never
    // passed or failed. The TimeStampResp around it is not a signature.
    let report = verify::verify(
        &nca("tsp/tsp_token.bin"),
        None,
        &options(valid_time, vec![], vec![]),
    )
    .unwrap();
    assert_eq!(
        verdict(&report),
        (
            Indication::Indeterminate,
            Some(SubIndication::CryptoConstraintsFailure)
        ),
        "{}",
        report.to_text()
    );
    assert!(verify::verify(&nca("tsp/tsp_response.bin"), None, &Default::default()).is_err());
}

/// A B-B document signed with a development PKI whose certificates name where their CRLs are
/// published (CRL distribution points at `crl_base`).
fn signed_naming_crls_at(dir: &Path, crl_base: &str) -> (Vec<u8>, Vec<u8>) {
    signed_naming(
        dir,
        &devpki::DevPkiUrls {
            ocsp: None,
            crl_base: Some(crl_base.to_string()),
        },
    )
}

/// A B-B document signed with a development PKI made in `dir` whose certificates name `urls`,
/// and the PKI's root (DER).
fn signed_naming(dir: &Path, urls: &devpki::DevPkiUrls) -> (Vec<u8>, Vec<u8>) {
    let now = time::UtcDateTime::now();
    devpki::generate_with(dir, "eucdoc-dev", now.unix_timestamp(), urls).unwrap();
    let signer = sign::open_signer(
        &std::fs::read(dir.join("officer.p12")).unwrap(),
        "eucdoc-dev",
        now.unix_timestamp(),
        &[],
        &[],
    )
    .unwrap();
    let pdf = common::render_bytes(&common::example("refusal.json")).pdf;
    let signed = sign::sign_pdf(&pdf, &signer, &sign::SignRequest::basic(now)).unwrap();
    let root = sign::certificates_from_file(&std::fs::read(dir.join("root.pem")).unwrap())
        .unwrap()
        .remove(0);
    (signed, root)
}

/// Revocation is fetched by default (as Acrobat, pyHanko and EU DSS do): a B-B document whose
/// certificates name their CRLs is TOTAL-PASSED with nothing but the trust anchor, the CRLs
/// fetched from where the certificates say; offline it is INDETERMINATE / TRY_LATER. What was
/// fetched is kept until its nextUpdate: with the server gone, the same verification still
/// passes.
#[test]
fn revocation_is_fetched_by_default_and_kept() {
    let served = tempfile::tempdir().unwrap();
    let server = common::serve_directory(served.path());
    let base = format!("http://127.0.0.1:{}", server.port);
    let (signed, root) = signed_naming_crls_at(served.path(), &base);
    let options = VerifyOptions {
        trust_anchors: vec![root],
        ..Default::default()
    };
    let report = verify::verify(&signed, None, &options).unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    assert!(
        report.signatures[0]
            .revocation
            .iter()
            .all(|entry| entry.status == verify::CertificateStatus::Good
                && entry
                    .source
                    .contains("fetched from the certificate's responder")),
        "{}",
        report.to_text()
    );
    let offline = verify::verify(
        &signed,
        None,
        &VerifyOptions {
            offline: true,
            ..options.clone()
        },
    )
    .unwrap();
    assert_eq!(
        verdict(&offline),
        (Indication::Indeterminate, Some(SubIndication::TryLater)),
        "{}",
        offline.to_text()
    );
    drop(server);
    let again = verify::verify(&signed, None, &options).unwrap();
    assert_eq!(
        again.indication,
        Indication::TotalPassed,
        "{}",
        again.to_text()
    );
}

/// When the OCSP responder a certificate names gives no usable answer (a real `openssl ocsp`
/// with an empty index: "unknown" for every certificate), the CRLs at its distribution points
/// are fetched in the same verification, as EU DSS does, and decide.
#[test]
fn an_unusable_ocsp_answer_falls_back_to_the_crls() {
    let served = tempfile::tempdir().unwrap();
    let server = common::serve_directory(served.path());
    let empty_index = served.path().join("empty-index.txt");
    std::fs::write(&empty_index, "").unwrap();
    let file = |name: &str| served.path().join(name).to_str().unwrap().to_string();
    // `openssl ocsp` runs per request, so the PKI's files may be written after it starts.
    let responder = common::start_responder(
        &[
            "ocsp",
            &file("empty-index.txt"),
            &file("nca.pem"),
            &file("ocsp.pem"),
            &file("ocsp-key.pem"),
        ],
        &[],
        None,
    );
    let urls = devpki::DevPkiUrls {
        ocsp: Some(responder.url.clone()),
        crl_base: Some(format!("http://127.0.0.1:{}", server.port)),
    };
    let (signed, root) = signed_naming(served.path(), &urls);
    let report = verify::verify(
        &signed,
        None,
        &VerifyOptions {
            trust_anchors: vec![root],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    let officer = &report.signatures[0].revocation[0];
    assert_eq!(officer.status, verify::CertificateStatus::Good);
    assert!(officer.source.starts_with("CRL"), "{officer:?}");
}

/// On a dead network (a port that takes the connection and never answers) fetching stops at
/// the budget: the verification ends in about its time limit, INDETERMINATE / TRY_LATER, the
/// reason naming the source that did not answer.
#[test]
fn fetching_ends_within_its_budget_on_a_dead_network() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let dir = tempfile::tempdir().unwrap();
    let (signed, root) = signed_naming_crls_at(dir.path(), &base);
    let limit = std::time::Duration::from_secs(2);
    let started = std::time::Instant::now();
    let report = verify::verify(
        &signed,
        None,
        &VerifyOptions {
            trust_anchors: vec![root],
            fetch_limits: eucdoc::pki::fetch::FetchLimits {
                total: limit,
                requests: 16,
            },
            ..Default::default()
        },
    )
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        verdict(&report),
        (Indication::Indeterminate, Some(SubIndication::TryLater)),
        "{}",
        report.to_text()
    );
    assert!(
        report.signatures[0]
            .reasons
            .iter()
            .any(|r| r.contains(&format!("CRL {base}/nca.crl"))),
        "{}",
        report.to_text()
    );
    // The budget, plus the rest of the verification; far from a TCP timeout.
    assert!(elapsed < limit * 3, "{elapsed:?}");
    drop(silent);
}
