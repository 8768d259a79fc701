//! Archive ingestion: every final document as a BagIt bag (RFC 8493), validated by the Library
//! of Congress' `bagit` (PyPI, installed by scripts/test.sh into its venv: EUCDOC_BAGIT), as the
//! API's zip and as `eucdoc export`'s folders (resumable; a revoked document packaged again).

mod common;

use std::path::Path;
use std::process::Command;

use common::browser::{agent, body_of, issue_example, serve};

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
