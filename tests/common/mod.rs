//! Helpers shared by the integration tests: rendering examples and running the external tools
//! (poppler-utils, qpdf, zbar-tools) that `scripts/test.sh` installs.

#![allow(dead_code)]

pub mod browser;
pub mod gost;
pub mod ncalayer;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use eucdoc::model;
use eucdoc::render::{RenderConfig, Rendered, Renderer};

pub const BASE_URL: &str = "https://eucdoc.test.kz";

/// Sends `head` (a request line and headers, without the blank line) with a body of `length`
/// bytes over a raw socket, slowly: 64 KiB chunks 2 ms apart, as a browser uploading a file
/// sends it whole before it reads the answer. Returns the answer as text. A server that answers
/// and closes with the body unread makes this panic ("stopped reading") instead.
pub fn slow_upload(address: &str, head: &str, length: usize) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{head}\r\nHost: {address}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    for (i, chunk) in vec![b'%'; length].chunks(64 * 1024).enumerate() {
        stream
            .write_all(chunk)
            .unwrap_or_else(|e| panic!("the server stopped reading at chunk {i}: {e}"));
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// A loopback port free now, for a server the test starts as a child process.
///
/// Not the kernel's choice (`bind` to port 0): the port is released before the child binds
/// it, and in that gap another test's `bind(0)` or a client's connection, both drawn from the
/// ephemeral range, could take it; a test then found another test's server (or chromedriver)
/// answering on "its" port. So ports come from below the ephemeral range, a different one at
/// each call in this process (its tests run in parallel threads), starting at an offset of
/// this process's own so that two test binaries walk different ports.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const SPAN: u32 = 10_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ephemeral_low = u32::from(ephemeral_ports_start());
    let first = ephemeral_low.saturating_sub(SPAN).max(1_024);
    let span = ephemeral_low.saturating_sub(first).max(1);
    let offset = (std::process::id() * 97) % span;
    for _ in 0..span {
        let port = first + (offset + NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        if let Ok(port) = u16::try_from(port)
            && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
    panic!("no free loopback port in {first}..{}", first + span);
}

/// The first port of the kernel's ephemeral range (Linux's default where it cannot be read).
pub fn ephemeral_ports_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example(name: &str) -> Vec<u8> {
    std::fs::read(root().join("examples").join(name)).expect("example exists")
}

/// The Form 1 example with 500 goods lines ("Тауар жолы N", quantity N): many pages.
pub fn five_hundred_lines() -> Vec<u8> {
    let mut value: serde_json::Value =
        serde_json::from_slice(&example("end-user-certificate.json")).unwrap();
    let template = value["goods"][0].clone();
    let goods: Vec<serde_json::Value> = (0..500)
        .map(|i| {
            let mut line = template.clone();
            line["name"] = format!("Тауар жолы {}", i + 1).into();
            line["quantity"] = format!("{}", i + 1).into();
            line
        })
        .collect();
    value["goods"] = goods.into();
    serde_json::to_vec(&value).unwrap()
}

/// A fixed rendering time, so outputs are reproducible.
pub fn fixed_time() -> time::UtcDateTime {
    time::macros::utc_datetime!(2026-03-02 09:30:00)
}

pub fn renderer() -> Renderer {
    Renderer::new(RenderConfig {
        base_url: BASE_URL.into(),
    })
    .expect("renderer")
}

/// Parses and renders input bytes with the input's own number.
pub fn render_bytes(json: &[u8]) -> Rendered {
    let input = model::parse(json).unwrap_or_else(|e| panic!("input invalid:\n{e}"));
    let number = input.document().number().expect("number").to_string();
    renderer()
        .render(&input, &number, fixed_time())
        .expect("render")
}

/// Runs an external tool; a missing tool fails the test with the package to install.
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}); scripts/test.sh installs poppler-utils, qpdf and zbar-tools")
    })
}

/// What the QR code on `page` of the PDF at `pdf` says: the page rasterised by poppler at 200
/// dpi into a folder of its own, decoded by zbar.
pub fn qr_on_page(pdf: &Path, page: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    let page = page.to_string();
    let out = run(
        "pdftoppm",
        &[
            "-r",
            "200",
            "-png",
            "-f",
            &page,
            "-l",
            &page,
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let png = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("a rasterised page");
    let out = run("zbarimg", &["--raw", "-q", png.to_str().unwrap()]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

/// `pdftotext -raw` of some pages, with all white space folded to single spaces.
pub fn pdf_text(pdf: &Path, pages: Option<(usize, usize)>) -> String {
    let mut args: Vec<String> = Vec::new();
    if let Some((first, last)) = pages {
        args.extend([
            "-f".into(),
            first.to_string(),
            "-l".into(),
            last.to_string(),
        ]);
    }
    // -raw keeps content-stream order: each table cell whole, as Typst writes it.
    args.push("-raw".into());
    args.extend([pdf.display().to_string(), "-".into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run("pdftotext", &refs);
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fold(&String::from_utf8_lossy(&out.stdout))
}

pub fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every string value in a JSON document, with its path.
pub fn strings(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::String(s) => out.push((path.to_string(), s.clone())),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                strings(v, &p, out);
            }
        }
        _ => {}
    }
}

/// How a value is printed: ISO dates as DD.MM.YYYY, everything else as sent.
pub fn printed(value: &str) -> String {
    let b = value.as_bytes();
    if value.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        format!("{}.{}.{}", &value[8..10], &value[5..7], &value[0..4])
    } else {
        value.to_string()
    }
}

/// pyHanko (in the venv EUCDOC_PYHANKO names; scripts/test.sh installs it) validates the first
/// signature of `pdf` against `root` (PEM) with `crls` (hard-fail revocation): the test fails
/// with pyHanko's output otherwise.
pub fn assert_pyhanko_validates(pdf: &Path, root_pem: &Path, crls: &[&Path]) {
    let python = std::env::var("EUCDOC_PYHANKO")
        .expect("EUCDOC_PYHANKO must name the venv python with pyHanko (scripts/test.sh sets it)");
    let crls: Vec<String> = crls.iter().map(|c| c.display().to_string()).collect();
    let out = run(
        &python,
        &[
            root()
                .join("benches/peer/pyhanko_verify.py")
                .to_str()
                .unwrap(),
            pdf.to_str().unwrap(),
            root_pem.to_str().unwrap(),
            &crls.join(","),
            "1",
        ],
    );
    assert!(
        out.status.success(),
        "pyHanko: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The example Form 1 rendered (unsigned) into `dir/name`.
pub fn unsigned_example(dir: &Path, name: &str) -> PathBuf {
    write_temp(
        dir,
        name,
        &render_bytes(&example("end-user-certificate.json")).pdf,
    )
}

/// libfaketime (Debian's `faketime`, which scripts/test.sh installs), thread-safe variant.
pub const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// Makes `command`'s wall clock start at `at` ("2022-12-01 12:00:00", UTC) with libfaketime
/// preloaded; timers keep the real monotonic clock.
pub fn fake_clock(command: &mut Command, at: &str) {
    assert!(
        Path::new(LIBFAKETIME).exists(),
        "{LIBFAKETIME} is missing: scripts/test.sh installs Debian's faketime"
    );
    command
        .env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME", format!("@{at}"))
        .env("DONT_FAKE_MONOTONIC", "1")
        .env("TZ", "UTC");
}

/// A real TSA or OCSP responder (tests/support/openssl_responder.py running `openssl ts` or
/// `openssl ocsp`) on a free loopback port; stopped when dropped.
pub struct Responder {
    child: std::process::Child,
    /// Its URL.
    pub url: String,
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts tests/support/openssl_responder.py with `args`, `env` set and its clock at
/// `fake_time` when given (see [`fake_clock`]).
pub fn start_responder(args: &[&str], env: &[(&str, &str)], fake_time: Option<&str>) -> Responder {
    use std::io::BufRead;
    let mut command = Command::new("python3");
    command
        .arg(root().join("tests/support/openssl_responder.py"))
        .args(args)
        .stdout(std::process::Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    if let Some(at) = fake_time {
        fake_clock(&mut command, at);
    }
    let mut child = command.spawn().expect("python3 runs the responder");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("the responder prints its port");
    let port: u16 = line.trim().parse().expect("the responder prints its port");
    Responder {
        child,
        url: format!("http://127.0.0.1:{port}/{}", args[0]),
    }
}

/// A plain HTTP server (Python's http.server) publishing `directory` on a free loopback port,
/// e.g. the CRLs a development PKI's certificates point to; stopped when dropped.
pub struct DirectoryServer {
    child: std::process::Child,
    /// Its port.
    pub port: u16,
}

impl Drop for DirectoryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve_directory(directory: &Path) -> DirectoryServer {
    use std::io::BufRead;
    let mut child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(directory)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 serves the directory");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("http.server says where it listens");
    let port: u16 = line
        .split_whitespace()
        .skip_while(|w| *w != "port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    DirectoryServer { child, port }
}

/// A real S3-compatible server (s3s-fs, built from crates.io by scripts/test.sh and named by
/// `EUCDOC_S3S_FS`) on a free loopback port, storing in a temporary folder; killed on drop.
pub struct S3Server {
    child: std::process::Child,
    /// Its storage folder: bucket `eucdoc` is `root/eucdoc`, an object `root/eucdoc/KEY`.
    pub root: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl S3Server {
    /// Access key and secret of the test server.
    const ACCESS_KEY: &'static str = "eucdoc-test";
    const SECRET_KEY: &'static str = "eucdoc-test-secret";

    /// Starts it with an empty bucket `eucdoc`.
    pub fn start() -> Self {
        let program = std::env::var("EUCDOC_S3S_FS").expect(
            "EUCDOC_S3S_FS must name the s3s-fs binary (scripts/test.sh builds it from crates.io)",
        );
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("eucdoc")).unwrap();
        let port = free_port();
        let child = Command::new(&program)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                Self::ACCESS_KEY,
                "--secret-key",
                Self::SECRET_KEY,
            ])
            .arg(root.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "s3s-fs did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self {
            child,
            root,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The environment that points eucdoc's archive at `archive_url` on this server.
    pub fn env(&self, archive_url: &str) -> Vec<(String, String)> {
        [
            ("EUCDOC_ARCHIVE_URL", archive_url),
            ("AWS_ENDPOINT", &self.endpoint),
            ("AWS_ACCESS_KEY_ID", Self::ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", Self::SECRET_KEY),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
    }

    /// The object `key` of bucket `eucdoc` as the server stores it, if it is there.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.path().join("eucdoc").join(key)).ok()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TSA started for the test (`openssl ts -reply`, see [`common::Responder`]) with its
/// configuration directory.
pub struct TestTsa {
    /// The responder process (stopped when dropped).
    pub responder: Responder,
    /// Where to POST queries.
    pub url: String,
    /// Its configuration folder.
    pub dir: tempfile::TempDir,
}

/// A TSA with the TSA key of the development PKI in `pki_dir`.
pub fn start_tsa_of(pki_dir: &std::path::Path) -> TestTsa {
    let dir = tempfile::tempdir().unwrap();
    let chain = [
        std::fs::read(pki_dir.join("nca.pem")).unwrap(),
        std::fs::read(pki_dir.join("root.pem")).unwrap(),
    ]
    .concat();
    std::fs::write(dir.path().join("chain.pem"), chain).unwrap();
    std::fs::write(dir.path().join("serial"), "01\n").unwrap();
    let config = format!(
        "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\nserial = {dir}/serial\ncrypto_device = builtin\n\
         signer_cert = {tsa}\ncerts = {dir}/chain.pem\nsigner_key = {key}\nsigner_digest = sha256\n\
         default_policy = 1.2.398.3.3.2.6\ndigests = sha256, sha384, sha512\naccuracy = secs:1\n\
         ordering = no\ntsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
        dir = dir.path().display(),
        tsa = pki_dir.join("tsa.pem").display(),
        key = pki_dir.join("tsa-key.pem").display(),
    );
    let config_path = write_temp(dir.path(), "tsa.cnf", config.as_bytes());
    let responder = start_responder(&["tsa", config_path.to_str().unwrap()], &[], None);
    TestTsa {
        url: responder.url.clone(),
        responder,
        dir,
    }
}
