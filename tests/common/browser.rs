//! Driving Debian's headless Chromium over WebDriver (chromedriver, fantoccini) against
//! `eucdoc serve` on a free port, for the officers' desk and the public check page.
//! scripts/test.sh installs chromium, chromium-driver and axe-core.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// A child process killed on drop, with its whole process group when it leads one (chromedriver:
/// the Chromium it starts would outlive it after a failed test that never closed its session).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

pub fn wait_for(url: &str) {
    let started = Instant::now();
    while agent().get(url).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{url} did not answer"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `eucdoc serve` on its own data folder with `env` (its QR codes point at it); its base URL
/// and development token.
pub fn serve(data: &Path, env: &[(&str, &str)]) -> (Running, String, String) {
    let port = super::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_eucdoc"));
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        // The QR codes point at this server.
        .env("EUCDOC_BASE_URL", &base)
        .env("EUCDOC_DATA_DIR", data)
        .env("EUCDOC_LOG", "warn")
        .env_remove("EUCDOC_CONFIG")
        .env_remove("EUCDOC_DATABASE_URL")
        .stdout(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let child = Running(command.spawn().unwrap());
    wait_for(&format!("{base}/readyz"));
    let token = std::fs::read_to_string(data.join("dev-token"))
        .unwrap()
        .trim()
        .to_string();
    (child, base, token)
}

/// chromedriver on a free port, and a headless Chromium session through it.
pub async fn browser(profile: &Path) -> (Running, Client) {
    let port = super::free_port();
    let driver = Running(
        Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (scripts/test.sh installs chromium-driver)"),
    );
    wait_for(&format!("http://127.0.0.1:{port}/status"));
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            // The machine has no network: Chromium's own background connections are turned off.
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1400", "--lang=kk",
                format!("--user-data-dir={}", profile.display()),
            ],
            // Headless Chromium sends Accept-Language from its preferences, not from --lang.
            "prefs": { "intl.accept_languages": "kk,ru" },
        }),
    );
    let client = ClientBuilder::native()
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    (driver, client)
}

/// Issues the Form 1 example over the API: the signed PDF.
pub fn issue(base: &str, token: &str) -> Vec<u8> {
    issue_example(base, token, "end-user-certificate.json").1
}

/// Issues `examples/NAME` over the API: the answer of `POST /v1/documents` and the signed PDF.
pub fn issue_example(base: &str, token: &str, name: &str) -> (serde_json::Value, Vec<u8>) {
    let mut response = agent()
        .post(format!("{base}/v1/documents"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(&super::example(name)[..])
        .unwrap();
    assert_eq!(response.status(), 201);
    let issued: serde_json::Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    let id = issued["id"].as_str().unwrap();
    let pdf = body_of(
        agent()
            .get(format!("{base}/v1/documents/{id}/pdf"))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap(),
    );
    (issued, pdf)
}

/// A draft of the Form 1 example for the certificate of the key store `p12` (external signing,
/// step 1): the answer of `POST /v1/drafts`.
pub fn make_draft(base: &str, token: &str, p12: &Path) -> serde_json::Value {
    use base64::Engine;
    let store = openssl::pkcs12::Pkcs12::from_der(&std::fs::read(p12).unwrap())
        .unwrap()
        .parse2("eucdoc-dev")
        .unwrap();
    let certificate = store.cert.unwrap().to_der().unwrap();
    let document: serde_json::Value =
        serde_json::from_slice(&super::example("end-user-certificate.json")).unwrap();
    let body = serde_json::json!({
        "document": document,
        "certificate": base64::engine::general_purpose::STANDARD.encode(certificate),
    });
    let mut made = agent()
        .post(format!("{base}/v1/drafts"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap();
    let text = made.body_mut().read_to_string().unwrap();
    assert_eq!(made.status(), 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// A 200 answer's body (up to 50 MB).
pub fn body_of(mut response: ureq::http::Response<ureq::Body>) -> Vec<u8> {
    assert_eq!(response.status(), 200);
    response
        .body_mut()
        .with_config()
        .limit(50_000_000)
        .read_to_vec()
        .unwrap()
}

/// Saves a screenshot of the page as docs/NAME.png when EUCDOC_SCREENSHOTS is set.
pub async fn screenshot(client: &Client, name: &str) {
    if std::env::var_os("EUCDOC_SCREENSHOTS").is_some() {
        let png = client.screenshot().await.unwrap();
        let path = super::root().join("docs").join(format!("{name}.png"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

/// A page as the officer sees it: its screenshot (when asked for) and axe-core's check.
pub async fn look(client: &Client, name: &str) {
    screenshot(client, name).await;
    assert_accessible(client, name).await;
}

/// axe-core's serious and critical violations on the page are none. axe-core is installed by
/// scripts/test.sh from npm; EUCDOC_AXE names its axe.min.js.
pub async fn assert_accessible(client: &Client, page: &str) {
    let path = std::env::var("EUCDOC_AXE")
        .expect("EUCDOC_AXE must name axe-core's axe.min.js (scripts/test.sh installs it)");
    let axe = std::fs::read_to_string(path).unwrap();
    client.execute(&axe, vec![]).await.unwrap();
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document) \
               .then(r => done({ passes: r.passes.length, violations: r.violations \
                 .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                 .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')) })) \
               .catch(e => done({ passes: 0, violations: ['axe failed: ' + e] }));",
            vec![],
        )
        .await
        .unwrap();
    // axe ran: it found rules the page passes (a page it could not check would pass none).
    assert!(
        found["passes"].as_u64().unwrap_or(0) >= 10,
        "{page}: {found}"
    );
    let violations: Vec<String> = serde_json::from_value(found["violations"].clone()).unwrap();
    assert!(violations.is_empty(), "{page}: {violations:#?}");
}

/// The attribute `name` of the first element `locator` finds.
pub async fn attr_of(client: &Client, locator: Locator<'_>, name: &str) -> Option<String> {
    client
        .find(locator)
        .await
        .unwrap_or_else(|e| panic!("{locator:?}: {e}"))
        .attr(name)
        .await
        .unwrap()
}

/// Types `text` into the first element `css` selects.
pub async fn type_into(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// The text of the first element `css` selects, waiting for it to appear (a form's answer may
/// take a moment).
pub async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Clicks the element `css` selects and waits for the page it leads to (a click that submits a
/// form may return before the browser leaves the old page).
pub async fn press(client: &Client, css: &str) {
    client
        .execute("window.eucdocOldPage = true;", vec![])
        .await
        .unwrap();
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let old = client
            .execute("return window.eucdocOldPage === true;", vec![])
            .await
            .unwrap_or(serde_json::Value::Bool(true));
        if old == serde_json::Value::Bool(false) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{css} led nowhere"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
