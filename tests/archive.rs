//! Archive ingestion: every final document as a BagIt bag (RFC 8493), validated by the Library
//! of Congress' `bagit` (PyPI, installed by scripts/test.sh into its venv: EUCDOC_BAGIT), as the
//! API's zip and as `eucdoc export`'s folders (resumable; a revoked document packaged again);
//! and harvested over OAI-PMH by Sickle (PyPI: EUCDOC_SICKLE), a real harvester.

mod common;

use std::path::Path;
use std::process::Command;

use common::browser::{agent, body_of, issue_example, make_draft, serve};

/// `bagit.py --validate DIR`: whether the bag is valid, and what it said.
fn bagit_validates(dir: &Path) -> (bool, String) {
    let bagit = std::env::var("EUCDOC_BAGIT")
        .expect("EUCDOC_BAGIT must name bagit.py (scripts/test.sh installs it)");
    let out = Command::new(&bagit)
        .arg("--validate")
        .arg(dir)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// Unzips `zip` into `into` (Python's zipfile: a reader we did not write).
fn unzip(zip: &[u8], into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    let path = common::write_temp(into, "package.zip", zip);
    let out = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&path)
        .arg(into)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn get(base: &str, token: &str, path: &str) -> Vec<u8> {
    body_of(
        agent()
            .get(format!("{base}{path}"))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap(),
    )
}

fn export(data: &Path, out: &Path, extra: &[&str]) -> String {
    let result = Command::new(env!("CARGO_BIN_EXE_eucdoc"))
        .arg("export")
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("EUCDOC_DATA_DIR", data)
        .env("EUCDOC_LOG", "warn")
        .env_remove("EUCDOC_CONFIG")
        .env_remove("EUCDOC_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    String::from_utf8_lossy(&result.stdout).trim().to_string()
}

/// The package of an issued document: a valid bag holding the signed PDF as archived, its data,
/// the verification reports, the record and the audit trail; one changed byte makes it invalid.
/// `eucdoc export` writes every final document's bag, resumes, and packages a document again
/// once it is revoked.
#[test]
fn packages_are_bags_that_prove_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_server, base, token) = serve(&data, &[]);
    let (first, pdf) = issue_example(&base, &token, "end-user-certificate.json");
    issue_example(&base, &token, "import-certificate.json");
    let (refusal, _) = issue_example(&base, &token, "refusal.json");
    let number = first["number"].as_str().unwrap();
    let id = first["id"].as_str().unwrap();

    let zip = get(&base, &token, &format!("/v1/documents/{id}/package"));
    let unzipped = dir.path().join("unzipped");
    unzip(&zip, &unzipped);
    let bag = unzipped.join(number);
    let (valid, said) = bagit_validates(&bag);
    assert!(valid, "{said}");
    assert_eq!(std::fs::read(bag.join("data/document.pdf")).unwrap(), pdf);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bag.join("data/verification-report.json")).unwrap())
            .unwrap();
    assert_eq!(report["indication"], "TOTAL-PASSED", "{report:#}");
    let xml = std::fs::read_to_string(bag.join("data/verification-report.xml")).unwrap();
    assert!(
        xml.contains("urn:etsi:019102:mainindication:total-passed"),
        "{xml}"
    );
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bag.join("data/record.json")).unwrap()).unwrap();
    assert_eq!(record["number"], number);
    assert_eq!(record["pdf_sha256"], first["sha256"]);
    let audit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bag.join("data/audit.json")).unwrap()).unwrap();
    assert_eq!(audit[0]["action"], "issue", "{audit:#}");
    let data_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bag.join("data/data.json")).unwrap()).unwrap();
    assert_eq!(data_json["number"], number);
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    for line in [
        format!("External-Identifier: {number}"),
        format!("Internal-Sender-Identifier: {id}"),
        "Eucdoc-Status: issued".to_string(),
        format!(
            "Eucdoc-Data-SHA256: {}",
            first["data_sha256"].as_str().unwrap()
        ),
    ] {
        assert!(info.contains(&line), "{line} not in {info}");
    }
    for manifest in [
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
    ] {
        assert!(bag.join(manifest).exists(), "{manifest}");
    }

    // One byte changed in the payload: bagit says so.
    let path = bag.join("data/document.pdf");
    let mut changed = std::fs::read(&path).unwrap();
    let middle = changed.len() / 2;
    changed[middle] ^= 1;
    std::fs::write(&path, changed).unwrap();
    let (valid, said) = bagit_validates(&bag);
    assert!(!valid, "a changed byte passed: {said}");
    assert!(said.contains("document.pdf"), "{said}");

    // Export: every final document, then nothing new; a revocation packages it again.
    let out = dir.path().join("export");
    let summary = export(&data, &out, &[]);
    assert!(
        summary.starts_with("3 documents: 3 bags written"),
        "{summary}"
    );
    let mut folders: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders.len(), 3, "{folders:?}");
    for folder in &folders {
        let (valid, said) = bagit_validates(&out.join(folder));
        assert!(valid, "{folder}: {said}");
    }
    let again = export(&data, &out, &[]);
    assert!(
        again.contains("0 bags written, 0 replaced") && again.contains("3 already there"),
        "{again}"
    );
    let refusal_id = refusal["id"].as_str().unwrap();
    let revoked = agent()
        .post(format!("{base}/v1/documents/{refusal_id}/revoke"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(&br#"{"reason": "sent to the wrong applicant"}"#[..])
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = export(&data, &out, &["--form", "refusal"]);
    assert!(
        after.starts_with("1 documents: 0 bags written, 1 replaced"),
        "{after}"
    );
    let refusal_bag = out.join(refusal["number"].as_str().unwrap());
    let info = std::fs::read_to_string(refusal_bag.join("bag-info.txt")).unwrap();
    assert!(
        info.contains("Eucdoc-Status: revoked") && info.contains("Eucdoc-Revoked-At: "),
        "{info}"
    );
    let audit = std::fs::read_to_string(refusal_bag.join("data/audit.json")).unwrap();
    assert!(audit.contains("sent to the wrong applicant"), "{audit}");
    let (valid, said) = bagit_validates(&refusal_bag);
    assert!(valid, "{said}");
}

/// Sickle's harvest of `base`/oai: ListRecords in `prefix` with `arguments` (following resumption
/// tokens), Identify, ListSets and ListMetadataFormats.
fn harvest(
    base: &str,
    token: &str,
    prefix: &str,
    arguments: serde_json::Value,
) -> serde_json::Value {
    let python = std::env::var("EUCDOC_SICKLE")
        .expect("EUCDOC_SICKLE must name a Python with Sickle (scripts/test.sh installs it)");
    let out = Command::new(python)
        .arg(common::root().join("tests/support/oai_harvest.py"))
        .arg(format!("{base}/oai"))
        .arg(token)
        .arg(prefix)
        .arg(arguments.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The OAI-PMH answer to `query`, as text.
fn oai(base: &str, token: &str, query: &str) -> (u16, String) {
    let mut response = agent()
        .get(format!("{base}/oai?{query}"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

fn numbers_of(harvest: &serde_json::Value) -> Vec<String> {
    let mut numbers: Vec<String> = harvest["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["identifier"]
                .as_str()
                .unwrap()
                .trim_start_matches("oai:eucdoc.localhost:")
                .to_string()
        })
        .collect();
    numbers.sort();
    numbers
}

/// Sickle harvests every final document, two records per answer (so across resumption tokens),
/// in both formats, and incrementally with from and until; a revoked document is a record whose
/// status says so, a voided number a deleted record; bad verbs and arguments get the protocol's
/// errors; without a token, 401.
#[test]
fn a_harvester_gets_every_record_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_server, base, token) = serve(
        &data,
        &[
            ("EUCDOC_OAI_PAGE_SIZE", "2"),
            ("EUCDOC_DRAFT_EXPIRE_SECONDS", "1"),
        ],
    );
    // Before the mark: two certificates and a draft that will be voided.
    let (first, _) = issue_example(&base, &token, "end-user-certificate.json");
    let (second, _) = issue_example(&base, &token, "import-certificate.json");
    let draft = make_draft(&base, &token, &data.join("dev-pki/officer.p12"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // Voided when next looked at.
    let draft_id = draft["id"].as_str().unwrap();
    let looked = String::from_utf8(get(&base, &token, &format!("/v1/drafts/{draft_id}"))).unwrap();
    assert!(looked.contains("\"voided\""), "{looked}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mark = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap();
    let before_mark = (time::OffsetDateTime::now_utc() - time::Duration::SECOND)
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap();
    // After it: a refusal, another certificate, and the first certificate revoked.
    let (refusal, _) = issue_example(&base, &token, "refusal.json");
    let (third, _) = issue_example(&base, &token, "end-user-certificate.json");
    let first_id = first["id"].as_str().unwrap();
    let revoked = agent()
        .post(format!("{base}/v1/documents/{first_id}/revoke"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(&br#"{"reason": "issued in error"}"#[..])
        .unwrap();
    assert_eq!(revoked.status(), 200);

    let number = |d: &serde_json::Value| d["number"].as_str().unwrap().to_string();
    let mut all = vec![
        number(&first),
        number(&second),
        number(&draft),
        number(&refusal),
        number(&third),
    ];
    all.sort();

    let everything = harvest(&base, &token, "oai_dc", serde_json::json!({}));
    assert_eq!(numbers_of(&everything), all, "{everything:#}");
    // Five records at two an answer: three answers.
    assert_eq!(everything["requests"], 3, "{everything:#}");
    assert_eq!(
        everything["identify"]["granularity"],
        "YYYY-MM-DDThh:mm:ssZ"
    );
    assert_eq!(everything["identify"]["deletedRecord"], "persistent");
    assert_eq!(
        everything["sets"],
        serde_json::json!(["end_user_certificate", "import_certificate", "refusal"])
    );
    assert_eq!(
        everything["formats"],
        serde_json::json!(["oai_dc", "eucdoc"])
    );
    for record in everything["records"].as_array().unwrap() {
        let identifier = record["identifier"].as_str().unwrap();
        let deleted = record["deleted"].as_bool().unwrap();
        assert_eq!(deleted, identifier.ends_with(&number(&draft)), "{record}");
        if identifier.ends_with(&number(&first)) {
            let description = record["metadata"]["description"].to_string();
            assert!(description.contains("Status: revoked"), "{record}");
        }
    }

    // Incremental: from the mark, what changed after it; until before it, the rest.
    let after = harvest(&base, &token, "eucdoc", serde_json::json!({ "from": mark }));
    let mut expected = vec![number(&first), number(&refusal), number(&third)];
    expected.sort();
    assert_eq!(numbers_of(&after), expected, "{after:#}");
    let revoked_record = after["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["identifier"].as_str().unwrap().ends_with(&number(&first)))
        .unwrap();
    assert_eq!(
        revoked_record["metadata"]["status"],
        serde_json::json!(["revoked"])
    );
    assert_eq!(
        revoked_record["metadata"]["pdfSha256"],
        serde_json::json!([first["sha256"]])
    );
    let before = harvest(
        &base,
        &token,
        "oai_dc",
        serde_json::json!({ "until": before_mark }),
    );
    let mut expected = vec![number(&second), number(&draft)];
    expected.sort();
    assert_eq!(numbers_of(&before), expected, "{before:#}");
    let refusals = harvest(
        &base,
        &token,
        "oai_dc",
        serde_json::json!({ "set": "refusal" }),
    );
    assert_eq!(numbers_of(&refusals), [number(&refusal)]);

    // One record, and the protocol's errors.
    let (status, record) = oai(
        &base,
        &token,
        &format!(
            "verb=GetRecord&metadataPrefix=eucdoc&identifier=oai:eucdoc.localhost:{}",
            number(&third)
        ),
    );
    assert_eq!(status, 200);
    assert!(
        record.contains(&format!(
            "<eucdoc:number>{}</eucdoc:number>",
            number(&third)
        )),
        "{record}"
    );
    for (query, code) in [
        ("verb=Harvest", "badVerb"),
        ("", "badVerb"),
        ("verb=ListRecords", "badArgument"),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&from=yesterday",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=eucdoc",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=marc21",
            "cannotDisseminateFormat",
        ),
        (
            "verb=ListRecords&resumptionToken=not-ours",
            "badResumptionToken",
        ),
        (
            "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2099-01-01",
            "noRecordsMatch",
        ),
        (
            "verb=ListIdentifiers&metadataPrefix=oai_dc&set=nonsense",
            "noRecordsMatch",
        ),
        (
            "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:eucdoc.localhost:KZ-0",
            "idDoesNotExist",
        ),
        (
            "verb=ListMetadataFormats&identifier=oai:elsewhere:1",
            "idDoesNotExist",
        ),
    ] {
        let (status, xml) = oai(&base, &token, query);
        assert_eq!(status, 200, "{query}");
        assert!(
            xml.contains(&format!("<error code=\"{code}\"")),
            "{query}: {xml}"
        );
    }
    // The first page names a token; a harvester without one is refused (not public).
    let (_, page) = oai(&base, &token, "verb=ListIdentifiers&metadataPrefix=oai_dc");
    assert!(page.contains("<resumptionToken>"), "{page}");
    let anonymous = agent()
        .get(format!("{base}/oai?verb=Identify"))
        .call()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// `eucdoc archive refresh` on a data folder, with `args`.
fn refresh_command(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eucdoc"));
    command
        .args(["archive", "refresh"])
        .args(args)
        .env("EUCDOC_DATA_DIR", data)
        .env("EUCDOC_LOG", "warn")
        .env_remove("EUCDOC_CONFIG")
        .env_remove("EUCDOC_DATABASE_URL");
    command
}

/// pyHanko's PAdES-LTA validation (`ades_lta_validation`, ETSI EN 319 102-1 5.6.3), offline
/// (revocation data required, none fetched): the document timestamp chain as the evidence
/// record, then the signature with the validation data in the document.
const PYHANKO_LTA: &str = r#"
import asyncio, sys
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec, SignatureValidationSpec, RevocationInfoGatheringSpec,
    RevinfoOnlineFetchingRule)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, REQUIRE_REVINFO
from pyhanko_certvalidator.registry import SimpleTrustManager
root = load_cert_from_pemder(sys.argv[2])
policy = CertValidationPolicySpec(
    trust_manager=SimpleTrustManager.build(trust_roots=[root]),
    revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO))
spec = PdfSignatureValidationSpec(SignatureValidationSpec(
    cert_validation_policy=policy,
    revinfo_gathering_policy=RevocationInfoGatheringSpec(
        online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)))
with open(sys.argv[1], 'rb') as f:
    r = PdfFileReader(f)
    result = asyncio.run(ades_lta_validation(r.embedded_regular_signatures[0], spec))
    print('lta', result.ades_subindic, 'intact', result.api_status.intact,
          'valid', result.api_status.valid, 'trusted', result.api_status.trusted,
          'evidence record', result.oldest_evidence_record_timestamp)
"#;

/// Long-term renewal: B-B documents get validation data and a document timestamp in a new
/// revision; a run killed halfway resumes and finishes; a third run renews nothing; the earlier
/// revisions stay in the archive; the renewed PDFs pass `eucdoc verify` and pyHanko's LTA
/// validation; a TSA whose certificate ends within the horizon is refused.
#[test]
fn refresh_renews_every_document_resumably() {
    use std::io::BufRead;
    // The issue's scale: a thousand archived documents, the refresh killed after half.
    const DOCUMENTS: usize = 1000;
    let data = tempfile::tempdir().unwrap();
    // The first start writes the development PKI, whose TSA key the test TSA uses.
    drop(serve(data.path(), &[]));
    let tsa = common::start_tsa_of(&data.path().join("dev-pki"));
    // Issued PAdES B-T (a signature timestamp), as B-LTA builds on it (ETSI EN 319 142-1).
    let config = common::write_temp(
        data.path(),
        "b-t.toml",
        format!("[signing]\nlevel = \"b-t\"\ntsa_url = \"{}\"\n", tsa.url).as_bytes(),
    );
    let (server, base, token) = serve(data.path(), &[("EUCDOC_CONFIG", config.to_str().unwrap())]);
    const ISSUERS: usize = 8;
    let issued: Vec<(serde_json::Value, Vec<u8>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..ISSUERS)
            .map(|_| {
                scope.spawn(|| {
                    (0..DOCUMENTS / ISSUERS)
                        .map(|_| issue_example(&base, &token, "end-user-certificate.json"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect()
    });
    assert_eq!(issued.len(), DOCUMENTS);
    drop(server);

    // The development TSA's certificate lasts a year: a longer horizon cannot be met.
    let refused = refresh_command(data.path(), &["--horizon", "400d", "--tsa", &tsa.url])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("end within the horizon"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Killed halfway.
    let args = ["--horizon", "30d", "--tsa", tsa.url.as_str()];
    let mut first = refresh_command(data.path(), &args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(first.stdout.take().unwrap()).lines();
    let mut renewed_first = 0;
    while renewed_first < DOCUMENTS / 2 {
        let line = lines.next().expect("the refresh goes on").unwrap();
        assert!(line.starts_with("renewed KZ-EUC-"), "{line}");
        renewed_first += 1;
    }
    first.kill().unwrap();
    let _ = first.wait();

    let resumed = refresh_command(data.path(), &args).output().unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let said = String::from_utf8_lossy(&resumed.stdout);
    let renewed_second = said.lines().filter(|l| l.starts_with("renewed ")).count();
    assert!(
        renewed_second > 0 && renewed_second <= DOCUMENTS - renewed_first,
        "{said}"
    );
    let again = refresh_command(data.path(), &args).output().unwrap();
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains(&format!("{DOCUMENTS} documents: 0 renewed")),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    let (_server, base, token) = serve(data.path(), &[]);
    let work = tempfile::tempdir().unwrap();
    for (i, (record, original)) in issued.iter().enumerate() {
        let id = record["id"].as_str().unwrap();
        let renewed = get(&base, &token, &format!("/v1/documents/{id}/pdf"));
        // A new revision over the old one: the issued bytes are its beginning.
        assert!(renewed.len() > original.len());
        assert_eq!(&renewed[..original.len()], &original[..], "{id}");
        // The earlier revision is still in the archive under its hash.
        let sha = record["sha256"].as_str().unwrap();
        assert_eq!(
            std::fs::read(
                data.path()
                    .join("archive")
                    .join(&sha[..2])
                    .join(format!("{sha}.pdf"))
            )
            .unwrap(),
            *original
        );
        let pdf = common::write_temp(work.path(), &format!("{i}.pdf"), &renewed);
        if i == 0 {
            // The copy its holder received before the renewal is still the document.
            let number = record["number"].as_str().unwrap();
            let compared: serde_json::Value = serde_json::from_slice(&body_of(
                agent()
                    .post(format!("{base}/v1/check/{number}"))
                    .header("Content-Type", "application/pdf")
                    .header("Accept", "application/json")
                    .send(&original[..])
                    .unwrap(),
            ))
            .unwrap();
            assert_eq!(compared["verdict"], "identical", "{compared:#}");
        }
        // pyHanko is slow: the first and the last.
        if i == 0 || i == DOCUMENTS - 1 {
            let python = std::env::var("EUCDOC_PYHANKO").expect("EUCDOC_PYHANKO");
            let out = Command::new(python)
                .args(["-c", PYHANKO_LTA])
                .arg(&pdf)
                .arg(data.path().join("dev-pki/root.pem"))
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stdout);
            assert!(
                said.contains("lta AdESPassed.OK intact True valid True trusted True")
                    && !said.contains("evidence record None"),
                "{said}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // `eucdoc verify` offline: the validation data the renewal put in each document suffices.
    let verified = Command::new(env!("CARGO_BIN_EXE_eucdoc"))
        .arg("verify")
        .arg(work.path())
        .args(["--offline", "--format", "jsonl", "--trust"])
        .arg(data.path().join("dev-pki/root.pem"))
        .output()
        .unwrap();
    let reports = String::from_utf8_lossy(&verified.stdout);
    let passed = reports
        .lines()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["report"]["indication"]
                == "TOTAL-PASSED"
        })
        .count();
    assert_eq!(passed, DOCUMENTS, "{reports}");
}
