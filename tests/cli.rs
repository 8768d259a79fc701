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
    let result = eucdoc()
        .args(["render", "--jsonl"])
        .arg(&jsonl)
        .arg("--out-dir")
        .arg(&out_dir)
        .output()
        .unwrap();
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
