//! The `eucdoc` command as users call it: exit codes, messages, files written or not.

mod common;

use std::process::Command;

use common::{example, fold, root, run};

fn eucdoc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eucdoc"))
}

#[test]
fn render_writes_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.pdf");
    let result = eucdoc()
        .args(["render", "examples/end-user-certificate.json", "-o"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(String::from_utf8_lossy(&result.stderr).contains("KZ-EUC-2026-000123"));
}

#[test]
fn render_reads_stdin_and_takes_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.pdf");
    let mut value: serde_json::Value = serde_json::from_slice(&example("refusal.json")).unwrap();
    value["number"] = serde_json::Value::Null;
    let mut child = eucdoc()
        .args([
            "render",
            "-",
            "--number",
            "KZ-REF-2026-000999",
            "--at",
            "2026-03-10T08:00:00Z",
            "-o",
        ])
        .arg(&out)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&value).unwrap())
        .unwrap();
    let result = child.wait_with_output().unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let text = common::pdf_text(&out, None);
    assert!(text.contains("KZ-REF-2026-000999"));
}

#[test]
fn invalid_input_exits_2_lists_every_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.json");
    let mut value: serde_json::Value =
        serde_json::from_slice(&example("end-user-certificate.json")).unwrap();
    value["goods"][2]["hs_code"] = "7700000000".into();
    value["importer"]["bin_iin"] = "091240012345".into();
    value["surprise"] = true.into();
    std::fs::write(&input, serde_json::to_vec(&value).unwrap()).unwrap();
    let out = dir.path().join("out.pdf");
    let result = eucdoc()
        .arg("render")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    for expected in [
        "goods[2].hs_code: chapter 77",
        "importer.bin_iin: not a valid BIN/IIN",
        "surprise: unknown key",
        "3 problem(s)",
    ] {
        assert!(
            stderr.contains(expected),
            "stderr lacks {expected:?}:\n{stderr}"
        );
    }
    assert!(!out.exists(), "no file may be written for invalid input");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn missing_number_and_unreadable_input_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut value: serde_json::Value = serde_json::from_slice(&example("refusal.json")).unwrap();
    value.as_object_mut().unwrap().remove("number");
    let input = dir.path().join("nonumber.json");
    std::fs::write(&input, serde_json::to_vec(&value).unwrap()).unwrap();
    let out = dir.path().join("out.pdf");
    let result = eucdoc()
        .arg("render")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("--number"));
    let result = eucdoc()
        .args(["render", "/nonexistent.json", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let result = eucdoc()
        .args(["render", "examples/refusal.json", "--at", "noon", "-o"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(!out.exists());
}

/// `eucdoc render --jsonl JSONL --out-dir OUT_DIR`.
fn render_batch(jsonl: &std::path::Path, out_dir: &std::path::Path) -> std::process::Output {
    eucdoc()
        .args(["render", "--jsonl"])
        .arg(jsonl)
        .arg("--out-dir")
        .arg(out_dir)
        .output()
        .unwrap()
}

#[test]
fn batch_renders_good_lines_and_reports_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for (i, file) in [
        "end-user-certificate.json",
        "import-certificate.json",
        "refusal.json",
    ]
    .iter()
    .enumerate()
    {
        let mut v: serde_json::Value = serde_json::from_slice(&example(file)).unwrap();
        v["number"] = format!("BATCH-{i}").into();
        lines.push(serde_json::to_string(&v).unwrap());
    }
    lines.insert(1, "{\"form\": \"refusal\"".to_string()); // line 2: broken JSON
    lines.push(String::new()); // blank lines are skipped
    let mut dup: serde_json::Value = serde_json::from_slice(&example("refusal.json")).unwrap();
    dup["number"] = "BATCH-0".into();
    lines.push(serde_json::to_string(&dup).unwrap()); // line 6: duplicate number
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    let out_dir = dir.path().join("out");
    let result = render_batch(&jsonl, &out_dir);
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("line 2: $: not valid JSON"), "{stderr}");
    assert!(
        stderr.contains("line 6: number: \"BATCH-0\" is already used by line 1"),
        "{stderr}"
    );
    assert!(stderr.contains("3 of 5 document(s) written"), "{stderr}");
    for i in 0..3 {
        let pdf = out_dir.join(format!("BATCH-{i}.pdf"));
        let text = fold(&common::pdf_text(&pdf, None));
        assert!(text.contains(&format!("BATCH-{i}")));
    }
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 3);
}

/// Files are written by their own thread while the next documents render; a file that cannot
/// be written fails its own line, names the file, and nothing else.
#[test]
fn batch_reports_a_file_it_cannot_write_on_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..4)
        .map(|i| {
            let mut v: serde_json::Value =
                serde_json::from_slice(&example("refusal.json")).unwrap();
            v["number"] = format!("WRITE-{i}").into();
            serde_json::to_string(&v).unwrap()
        })
        .collect();
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    let out_dir = dir.path().join("out");
    // A folder (not empty) where line 3's file would go: the rename onto it fails.
    let blocked = out_dir.join("WRITE-2.pdf");
    std::fs::create_dir_all(blocked.join("inside")).unwrap();
    let result = render_batch(&jsonl, &out_dir);
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains(&format!("line 3: cannot write {}", blocked.display())),
        "{stderr}"
    );
    assert!(stderr.contains("3 of 4 document(s) written"), "{stderr}");
    for i in [0, 1, 3] {
        let pdf = out_dir.join(format!("WRITE-{i}.pdf"));
        let text = fold(&common::pdf_text(&pdf, None));
        assert!(text.contains(&format!("WRITE-{i}")), "{text}");
    }
    assert!(blocked.join("inside").is_dir());
    // Only the three documents and the folder: no temporary file is left behind.
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 4);
}

/// The binary allocates with jemalloc, two arenas and thread caches up to 4 KiB
/// (`.cargo/config.toml`): what keeps the service's memory flat under load. jemalloc prints its
/// options at exit when asked.
#[cfg(target_os = "linux")]
#[test]
fn the_binary_allocates_with_jemalloc_in_two_arenas_and_small_thread_caches() {
    let output = eucdoc()
        .arg("--version")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stats = String::from_utf8_lossy(&output.stderr);
    assert!(stats.contains("jemalloc"), "{stats}");
    assert!(stats.contains("opt.narenas: 2\n"), "{stats}");
    assert!(stats.contains("opt.tcache_max: 4096\n"), "{stats}");
}

#[test]
fn schema_prints_json_schema() {
    let result = eucdoc()
        .args(["schema", "import_certificate"])
        .output()
        .unwrap();
    assert!(result.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(schema["properties"]["form"]["const"], "import_certificate");
    assert!(schema["properties"].get("end_user").is_none());
    let result = eucdoc().args(["schema", "passport"]).output().unwrap();
    assert_eq!(result.status.code(), Some(2));
}

#[test]
fn tools_are_installed() {
    // The test script installs these; a missing one must fail loudly, not skip.
    for tool in [
        "pdftotext",
        "pdfdetach",
        "pdfinfo",
        "pdftoppm",
        "qpdf",
        "zbarimg",
    ] {
        let out = run("sh", &["-c", &format!("command -v {tool}")]);
        assert!(out.status.success(), "{tool} is not installed");
    }
}

/// A closed stdout (`eucdoc verify FILE | head`) ends the command quietly: no panic, nothing on
/// stderr about it, and the exit code it has with an open stdout.
#[test]
fn a_closed_stdout_ends_quietly_with_the_same_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let unsigned = common::unsigned_example(dir.path(), "unsigned.pdf");
    let unsigned = unsigned.to_str().unwrap();
    let commands: [&[&str]; 4] = [
        &["verify", unsigned],
        &["verify", unsigned, "--format", "json"],
        &["schema", "end_user_certificate"],
        &["openapi"],
    ];
    for args in commands {
        let open = eucdoc().args(args).output().unwrap();
        assert!(!open.stdout.is_empty(), "{args:?} prints something");
        // A pipe whose reading end is closed before the command writes: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let closed = eucdoc()
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&closed.stderr);
        assert_eq!(
            closed.status.code(),
            open.status.code(),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("writing the output"), "{args:?}: {stderr}");
    }
}

/// Many files and folders in one `eucdoc verify`: one report per file (JSON Lines, a JSON array
/// or text), files in folders found by their extension (others skipped), and the worst verdict
/// as the exit code: 0 all passed, 3 an unsigned one, 2 a file that is not a PDF at all.
/// A development PKI in `dir/pki`, the example rendered unsigned into `dir/unsigned.pdf` and
/// signed by `eucdoc sign` with the officer's key into `signed`.
fn dev_signed(
    dir: &std::path::Path,
    signed: &std::path::Path,
) -> (eucdoc::devpki::DevPkiFiles, std::path::PathBuf) {
    let pki = eucdoc::devpki::generate(
        &dir.join("pki"),
        "eucdoc-dev",
        time::UtcDateTime::now().unix_timestamp(),
    )
    .unwrap();
    let unsigned = common::unsigned_example(dir, "unsigned.pdf");
    let out = eucdoc()
        .args([
            "sign",
            unsigned.to_str().unwrap(),
            "-o",
            signed.to_str().unwrap(),
            "--p12",
        ])
        .arg(&pki.officer)
        .args(["--password-env", "EUCDOC_TEST_DEV_PASSWORD"])
        .env("EUCDOC_TEST_DEV_PASSWORD", "eucdoc-dev")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (pki, unsigned)
}

/// `eucdoc verify ARGS --trust <dev root> --crl <its CRLs>`.
fn verify_with_dev_pki(pki: &eucdoc::devpki::DevPkiFiles, args: &[&str]) -> std::process::Output {
    let mut command = eucdoc();
    command
        .arg("verify")
        .args(args)
        .arg("--trust")
        .arg(&pki.root);
    command
        .arg("--crl")
        .arg(&pki.crl)
        .arg("--crl")
        .arg(&pki.root_crl);
    command.output().unwrap()
}

#[test]
fn verify_takes_many_files_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(documents.join("2026")).unwrap();
    let signed = documents.join("signed.pdf");
    let (pki, unsigned) = dev_signed(dir.path(), &signed);
    std::fs::copy(&signed, documents.join("2026/copy.PDF")).unwrap();
    std::fs::write(documents.join("notes.txt"), "not a document").unwrap();
    let verify = |args: &[&str]| verify_with_dev_pki(&pki, args);
    let documents_arg = documents.to_str().unwrap();

    let out = verify(&[documents_arg, "--format", "jsonl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let files: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 2, "notes.txt is skipped: {files:?}");
    assert!(files[0].ends_with("2026/copy.PDF") && files[1].ends_with("signed.pdf"));
    for line in &lines {
        assert_eq!(line["report"]["indication"], "TOTAL-PASSED", "{line:#}");
    }

    let unsigned_arg = unsigned.to_str().unwrap();
    let out = verify(&[documents_arg, unsigned_arg, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "an unsigned document is indeterminate"
    );
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[2]["report"]["indication"], "INDETERMINATE");

    let junk = dir.path().join("junk.pdf");
    std::fs::write(&junk, "%PDF-1.7 and nothing else").unwrap();
    let out = verify(&[documents_arg, junk.to_str().unwrap(), unsigned_arg]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unreadable file is the worst"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("\n== ").count() + 1, 4, "{text}");
    assert!(text.contains("error: not a readable PDF"), "{text}");

    // --data belongs to one detached signature.
    let out = verify(&[documents_arg, "--data", unsigned_arg]);
    assert_eq!(out.status.code(), Some(2));
}

/// `--format etsi-xml` writes the ETSI TS 119 102-2 validation report, valid against ETSI's
/// schema (xmllint, ../shared/corpora/etsi-xsd) for a signature that passes, one whose signed
/// bytes were changed, and a document without signature; the indications are the ETSI URIs and
/// the signer's certificate is a validation object the report refers to.
#[test]
fn etsi_xml_reports_validate_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("signed.pdf");
    let (pki, unsigned) = dev_signed(dir.path(), &signed);
    let mut tampered = std::fs::read(&signed).unwrap();
    // A byte of the first stream (signed page content): the digest no longer matches.
    let at = tampered.windows(6).position(|w| w == b"stream").unwrap() + 20;
    tampered[at] ^= 0x01;
    let tampered = common::write_temp(dir.path(), "tampered.pdf", &tampered);
    let schema = root().join("../shared/corpora/etsi-xsd/etsi/ts_11910202.xsd");
    for (pdf, main, sub) in [
        (&signed, "total-passed", None),
        (&tampered, "total-failed", Some("HASH_FAILURE")),
        (&unsigned, "indeterminate", Some("FORMAT_FAILURE")),
    ] {
        let out = verify_with_dev_pki(&pki, &[pdf.to_str().unwrap(), "--format", "etsi-xml"]);
        let xml = String::from_utf8(out.stdout).unwrap();
        let path = common::write_temp(dir.path(), "report.xml", xml.as_bytes());
        let schema = schema.to_str().unwrap();
        let checked = run(
            "xmllint",
            &["--noout", "--schema", schema, path.to_str().unwrap()],
        );
        assert!(
            checked.status.success(),
            "{}: {}{xml}",
            pdf.display(),
            String::from_utf8_lossy(&checked.stderr)
        );
        assert!(
            xml.contains(&format!("urn:etsi:019102:mainindication:{main}")),
            "{xml}"
        );
        match sub {
            Some(sub) => {
                assert!(
                    xml.contains(&format!("urn:etsi:019102:subindication:{sub}")),
                    "{xml}"
                )
            }
            None => assert!(!xml.contains("SubIndication"), "{xml}"),
        }
        if pdf == &signed {
            assert!(xml.contains(r#"VOReference="certificate-1""#), "{xml}");
            assert!(xml.contains(r#"id="certificate-1""#), "{xml}");
        }
    }
}
