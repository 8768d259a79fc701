//! The officers' desk in a real browser: Debian's headless Chromium driven over WebDriver
//! (chromedriver, fantoccini) against `eucdoc serve` on a free port. scripts/test.sh installs
//! chromium and chromium-driver. Screenshots of every page land in docs/desk/ when
//! EUCDOC_SCREENSHOTS=1 (the committed ones were made so).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::browser::{
    agent, assert_accessible, attr_of, body_of, browser, issue, look, press, screenshot, serve,
    text_of, type_into,
};
use common::ncalayer::NcaLayer;
use fantoccini::{Client, Locator};

/// GET `url` with the browser's desk session cookie (a download the test reads itself).
async fn with_session(client: &Client, url: &str) -> Vec<u8> {
    let session = client.get_named_cookie("eucdoc_desk").await.unwrap();
    body_of(
        agent()
            .get(url)
            .header("Cookie", &format!("eucdoc_desk={}", session.value()))
            .call()
            .unwrap(),
    )
}

async fn sign_in(client: &Client, base: &str, token: &str) {
    client.goto(&format!("{base}/desk/")).await.unwrap();
    type_into(client, "#token", token).await;
    press(client, "#sign-in").await;
}

/// Signs in without a mouse: Tab until the token field has the focus (the skip link and the
/// language switch come first), type the token, press Enter.
async fn sign_in_by_keyboard(client: &Client, base: &str, token: &str) {
    use fantoccini::key::Key;
    client.goto(&format!("{base}/desk/sign-in")).await.unwrap();
    let mut tabs = 0;
    loop {
        let focused = client.active_element().await.unwrap();
        if focused.attr("id").await.unwrap().as_deref() == Some("token") {
            break;
        }
        tabs += 1;
        assert!(tabs <= 10, "the token field is not reachable by Tab");
        focused
            .send_keys(&char::from(Key::Tab).to_string())
            .await
            .unwrap();
    }
    let field = client.active_element().await.unwrap();
    field.send_keys(token).await.unwrap();
    client
        .execute("window.eucdocOldPage = true;", vec![])
        .await
        .unwrap();
    field
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    let started = Instant::now();
    while client
        .execute("return window.eucdocOldPage === true;", vec![])
        .await
        .unwrap_or(serde_json::Value::Bool(true))
        == serde_json::Value::Bool(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Enter led nowhere"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sign in (a wrong token first), check an issued PDF (green) and a tampered copy (red, its
/// reason shown) in one go, switch to Russian, sign out.
#[tokio::test(flavor = "multi_thread")]
async fn an_officer_signs_in_and_checks_documents() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, token) = serve(&dir.path().join("data"), &[]);
    let issued = issue(&base, &token);
    let mut tampered = issued.clone();
    // One letter of the document number, where the PDF's metadata holds it.
    let at = memchr::memmem::find(&tampered, b"KZ-EUC").unwrap();
    tampered[at] = b'X';
    let files: Vec<PathBuf> = [("issued.pdf", &issued), ("tampered.pdf", &tampered)]
        .iter()
        .map(|(name, bytes)| common::write_temp(dir.path(), name, bytes))
        .collect();
    let (_driver, client) = browser(&dir.path().join("profile")).await;

    // Not signed in: the desk leads to the sign-in page, in Kazakh.
    client.goto(&format!("{base}/")).await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/desk/sign-in")
    );
    assert_eq!(text_of(&client, "h1").await, "Жүйеге кіру");
    look(&client, "desk/sign-in").await;
    sign_in(&client, &base, "not-the-token").await;
    assert_eq!(text_of(&client, "#message").await, "Токен жарамсыз.");

    // By keyboard alone: Tab to the token field, type, Enter.
    sign_in_by_keyboard(&client, &base, &token).await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/desk/")
    );
    assert_eq!(text_of(&client, "#officer").await, "development");
    look(&client, "desk/check").await;

    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    type_into(&client, "#files", &paths.join("\n")).await;
    press(&client, "#check").await;
    text_of(&client, ".file-summary").await;
    let summaries = client
        .find_all(Locator::Css(".file-summary"))
        .await
        .unwrap();
    assert_eq!(summaries.len(), 2);
    assert!(
        summaries[0]
            .attr("class")
            .await
            .unwrap()
            .unwrap()
            .contains("green")
    );
    assert_eq!(
        summaries[0].text().await.unwrap(),
        "1 қолтаңбаның 1 жарамды"
    );
    assert!(
        summaries[1]
            .attr("class")
            .await
            .unwrap()
            .unwrap()
            .contains("red")
    );
    let reasons = client.find_all(Locator::Css(".reason")).await.unwrap();
    assert_eq!(
        reasons[1].text().await.unwrap(),
        "Құжат қол қойылғаннан кейін өзгертілген: қол қойылған деректер сәйкес келмейді."
    );
    let signer = text_of(&client, ".signer").await;
    assert!(signer.contains("ЖҰМАБЕКОВ"), "{signer}");
    look(&client, "desk/report").await;
    report_pdf_verifies(&client, dir.path(), &issued).await;
    // Printed, the report is the verdicts without the page's navigation and buttons.
    let printed = client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    let printed = common::pdf_text(
        &common::write_temp(dir.path(), "printed.pdf", &printed),
        None,
    );
    assert!(printed.contains("1 қолтаңбаның 1 жарамды"), "{printed}");
    assert!(printed.contains("ЖҰМАБЕКОВ"), "{printed}");
    for absent in ["Шығу", "Тізілім", "Есепті жүктеу", "Русский"] {
        assert!(!printed.contains(absent), "{absent} printed: {printed}");
    }

    // Russian, remembered across pages.
    press(&client, "a[hreflang=ru]").await;
    assert_eq!(
        text_of(&client, "h1").await,
        "Проверка подписанного документа"
    );
    assert_eq!(
        attr_of(&client, Locator::Css("html"), "lang")
            .await
            .as_deref(),
        Some("ru")
    );
    look(&client, "desk/check-ru").await;

    press(&client, ".who button").await;
    assert_eq!(text_of(&client, "h1").await, "Вход");
    client.goto(&format!("{base}/desk/")).await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/desk/sign-in")
    );
    client.close().await.unwrap();
}

/// An idle session ends: the next page is the sign-in page, saying so.
#[tokio::test(flavor = "multi_thread")]
async fn an_idle_session_leads_back_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, token) = serve(
        &dir.path().join("data"),
        &[("EUCDOC_DESK_SESSION_IDLE_SECONDS", "2")],
    );
    let (_driver, client) = browser(&dir.path().join("profile")).await;
    sign_in(&client, &base, &token).await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/desk/")
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    client.refresh().await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/desk/sign-in")
    );
    assert_eq!(
        text_of(&client, "#message").await,
        "Сессия аяқталды. Қайта кіріңіз."
    );
    client.close().await.unwrap();
}

/// Cookies and forms without a browser: the session cookie's attributes, and a form posted
/// without its CSRF token (or with another session's) is refused with 403.
#[test]
fn forms_need_their_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, token) = serve(&dir.path().join("data"), &[]);
    let form = |path: &str, cookie: &str, body: &str| {
        agent()
            .post(format!("{base}{path}"))
            .header("Cookie", cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body)
            .unwrap()
    };
    // The sign-in form: its token must match the cookie set with it.
    let page = agent().get(format!("{base}/desk/sign-in")).call().unwrap();
    let set: Vec<String> = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let csrf_cookie = set
        .iter()
        .find(|c| c.starts_with("eucdoc_desk_signin="))
        .unwrap();
    let csrf = csrf_cookie
        .trim_start_matches("eucdoc_desk_signin=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let cookie = format!("eucdoc_desk_signin={csrf}");
    let refused = form("/desk/sign-in", &cookie, &format!("token={token}"));
    assert_eq!(refused.status(), 403);
    let refused = form(
        "/desk/sign-in",
        &cookie,
        &format!("csrf=other&token={token}"),
    );
    assert_eq!(refused.status(), 403);
    let signed_in = form(
        "/desk/sign-in",
        &cookie,
        &format!("csrf={csrf}&token={token}"),
    );
    assert_eq!(signed_in.status(), 303);
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("eucdoc_desk="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/desk"] {
        assert!(session.contains(attribute), "{session}");
    }
    let session_cookie = session.split(';').next().unwrap().to_string();
    // Signed in: the check page carries the session's token; a post without it is refused.
    let mut home = agent()
        .get(format!("{base}/desk/"))
        .header("Cookie", &session_cookie)
        .call()
        .unwrap();
    assert_eq!(home.status(), 200);
    let html = home.body_mut().read_to_string().unwrap();
    assert!(html.contains("name=\"csrf\""));
    let refused = form("/desk/sign-out", &session_cookie, "csrf=wrong");
    assert_eq!(refused.status(), 403);
    let check = agent()
        .post(format!("{base}/desk/check"))
        .header("Cookie", &session_cookie)
        .header("Content-Type", "multipart/form-data; boundary=XX")
        .send("--XX\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7\r\n--XX--\r\n")
        .unwrap();
    assert_eq!(check.status(), 403);
    // The pages forbid framing and scripts from elsewhere.
    let page = agent().get(format!("{base}/desk/sign-in")).call().unwrap();
    let policy = page
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
}

/// The registry: search (a bad date is named next to its field), a document's page with its
/// preview, PDF and audit trail, and revocation with a reason.
#[tokio::test(flavor = "multi_thread")]
async fn an_officer_searches_opens_and_revokes() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, token) = serve(&dir.path().join("data"), &[]);
    let first = issue(&base, &token);
    issue(&base, &token);
    let (_driver, client) = browser(&dir.path().join("profile")).await;
    sign_in(&client, &base, &token).await;

    client.goto(&format!("{base}/desk/registry")).await.unwrap();
    let rows = client
        .find_all(Locator::Css("table.records tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    look(&client, "desk/registry").await;
    client
        .goto(&format!("{base}/desk/registry?from=yesterday"))
        .await
        .unwrap();
    let error = text_of(&client, "#from-error").await;
    assert!(error.contains("YYYY-MM-DD"), "{error}");

    // Search by number: the one issued first.
    let number = lopdf_number(&first);
    let search = client.find(Locator::Css("#number")).await.unwrap();
    search.send_keys(&number).await.unwrap();
    client
        .goto(&format!("{base}/desk/registry?number={number}"))
        .await
        .unwrap();
    let rows = client
        .find_all(Locator::Css("table.records tbody tr a"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text().await.unwrap(), number);
    press(&client, "table.records tbody tr a").await;

    // The document's page: status, preview (an image the browser decoded), its PDF.
    assert_eq!(text_of(&client, "#status").await, "берілген");
    let width = client
        .execute(
            "const img = document.getElementById('preview'); \
             return img.complete ? img.naturalWidth : 0;",
            vec![],
        )
        .await
        .unwrap();
    assert!(width.as_u64().unwrap_or(0) > 500, "preview width {width}");
    look(&client, "desk/document").await;
    let url = client.current_url().await.unwrap();
    let bytes = with_session(&client, &format!("{url}/pdf")).await;
    assert_eq!(bytes, first, "the archived PDF, byte for byte");

    // Revoke: a blank reason is named next to its field; then a real one.
    let reason = client.find(Locator::Css("#reason")).await.unwrap();
    reason.send_keys("   ").await.unwrap();
    press(&client, "#revoke").await;
    let error = text_of(&client, "#reason-error").await;
    assert!(error.contains("reason"), "{error}");
    type_into(&client, "#reason", "issued to the wrong applicant").await;
    press(&client, "#revoke").await;
    assert_eq!(text_of(&client, "#status").await, "кері қайтарылған");
    assert_eq!(
        text_of(&client, "#revocation-reason").await,
        "issued to the wrong applicant"
    );
    let audit = text_of(&client, "table.audit").await;
    assert!(audit.contains("revoke"), "{audit}");
    assert!(client.find(Locator::Css("#revoke")).await.is_err());
    client.close().await.unwrap();
}

/// The registry number a signed PDF's attached data carries (the QR code's number), read from
/// its text layer.
fn lopdf_number(pdf: &[u8]) -> String {
    let at = memchr::memmem::find(pdf, b"KZ-EUC-").unwrap();
    String::from_utf8(pdf[at..at + 18].to_vec()).unwrap()
}

/// Every leaf of a JSON value with its input name (`goods.0.name`).
fn leaves(value: &serde_json::Value, prefix: &str, out: &mut Vec<(String, String)>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                leaves(inner, &join(key), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                leaves(inner, &join(&index.to_string()), out);
            }
        }
        serde_json::Value::String(text) => out.push((prefix.to_string(), text.clone())),
        _ => {}
    }
}

/// Sets the form's inputs named in `values` (date inputs take no typing that does not depend
/// on the browser's locale, so values are set as a user's browser would after input).
async fn fill(client: &Client, values: &[(String, String)]) {
    let map: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let missing = client
        .execute(
            "const values = arguments[0]; const missing = []; \
             for (const [name, value] of Object.entries(values)) { \
               const input = document.getElementById('f-' + name); \
               if (input) { input.value = value; } else { missing.push(name); } } \
             return missing;",
            vec![serde_json::Value::Object(map)],
        )
        .await
        .unwrap();
    assert_eq!(missing, serde_json::json!([]), "inputs not on the page");
}

/// Issuing Form 1 through the form generated from the JSON Schema: lines added and removed
/// with their values kept, an invalid BIN refused next to its field, then fixed and issued; the
/// unsigned preview; the refusal's form.
#[tokio::test(flavor = "multi_thread")]
async fn an_officer_issues_a_certificate_through_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, token) = serve(&dir.path().join("data"), &[]);
    let (_driver, client) = browser(&dir.path().join("profile")).await;
    sign_in(&client, &base, &token).await;
    client
        .goto(&format!("{base}/desk/issue/end_user_certificate"))
        .await
        .unwrap();
    look(&client, "desk/issue").await;

    let example: serde_json::Value =
        serde_json::from_slice(&common::example("end-user-certificate.json")).unwrap();
    let mut values = Vec::new();
    leaves(&example, "", &mut values);
    values.retain(|(name, _)| name != "form" && name != "number");
    let (lines, others): (Vec<_>, Vec<_>) = values
        .into_iter()
        .partition(|(name, _)| name.starts_with("goods."));
    let line = |index: usize| -> Vec<(String, String)> {
        lines
            .iter()
            .filter(|(name, _)| name.starts_with(&format!("goods.{index}.")))
            .cloned()
            .collect()
    };
    let mut first = others.clone();
    first.extend(line(0));
    // A BIN that is not twelve digits.
    for (name, value) in &mut first {
        if name == "importer.bin_iin" {
            *value = "12345".into();
        }
    }
    fill(&client, &first).await;
    // Two more lines, the first of them removed again: the values typed so far stay.
    press(&client, "button[value='add:goods']").await;
    fill(&client, &line(1)).await;
    press(&client, "button[value='add:goods']").await;
    fill(&client, &line(2)).await;
    press(&client, "button[value='remove:goods.1']").await;
    let kept = client
        .find(Locator::XPath("//*[@id='f-goods.1.name']"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), example["goods"][2]["name"].as_str());

    press(&client, "#issue").await;
    let error = text_of(&client, "[id='e-importer.bin_iin']").await;
    assert!(!error.is_empty());
    assert_eq!(
        attr_of(
            &client,
            Locator::XPath("//*[@id='f-importer.bin_iin']"),
            "aria-invalid"
        )
        .await
        .as_deref(),
        Some("true")
    );
    look(&client, "desk/issue-error").await;
    let bin = client
        .find(Locator::XPath("//*[@id='f-importer.bin_iin']"))
        .await
        .unwrap();
    bin.clear().await.unwrap();
    bin.send_keys(example["importer"]["bin_iin"].as_str().unwrap())
        .await
        .unwrap();
    press(&client, "#issue").await;
    assert_eq!(text_of(&client, "#message").await, "Құжат берілді.");
    assert_eq!(text_of(&client, "#status").await, "берілген");
    let data = text_of(&client, "pre.data").await;
    assert!(data.contains(example["goods"][0]["name"].as_str().unwrap()));
    assert!(data.contains(example["goods"][2]["name"].as_str().unwrap()));
    assert!(!data.contains(example["goods"][1]["name"].as_str().unwrap()));

    // The preview: an unsigned PDF numbered PREVIEW, nothing registered.
    let session = client.get_named_cookie("eucdoc_desk").await.unwrap();
    client
        .goto(&format!("{base}/desk/issue/refusal"))
        .await
        .unwrap();
    assert_accessible(&client, "issue-refusal").await;
    let csrf = client
        .find(Locator::Css("input[name=csrf]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let mut form = vec![
        ("csrf".to_string(), csrf),
        ("_action".to_string(), "preview".to_string()),
    ];
    leaves(
        &serde_json::from_slice(&common::example("refusal.json")).unwrap(),
        "",
        &mut form,
    );
    let body = serde_urlencoded::to_string(&form).unwrap();
    let pdf = body_of(
        agent()
            .post(format!("{base}/desk/issue/refusal"))
            .header("Cookie", &format!("eucdoc_desk={}", session.value()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.as_str())
            .unwrap(),
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let text = common::pdf_text(&common::write_temp(dir.path(), "preview.pdf", &pdf), None);
    assert!(text.contains("PREVIEW"), "{text}");
    client.close().await.unwrap();
}

/// Signing in the Kazakh way: the officer's AUTH key signs the page's challenge through
/// NCALayer (the double), the verifier checks it, and the IIN it names is a configured officer;
/// a SIGN key, or an IIN that is no officer's, is refused and the page says why.
#[tokio::test(flavor = "multi_thread")]
async fn an_officer_signs_in_with_an_eds_through_ncalayer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The development PKI's AUTH certificate (Оспанова, IIN 850712300453) is an officer.
    let config = common::write_temp(
        dir.path(),
        "eucdoc.toml",
        b"[desk]\n[[desk.officers]]\niin = \"850712300453\"\nname = \"\xD0\x9E\xD1\x81\xD0\xBF\xD0\xB0\xD0\xBD\xD0\xBE\xD0\xB2\xD0\xB0 \xD3\x98.\"\nscopes = [\"verify\", \"read\"]\n",
    );
    // A first start makes the development PKI; the double then holds its keys.
    drop(serve(&data, &[]));
    let pki = data.join("dev-pki");
    for (p12, officer) in [("auth-only.p12", true), ("officer.p12", false)] {
        let double = NcaLayer::start(&pki.join(p12), "eucdoc-dev");
        let url = double.url().to_string();
        let (_server, base, _) = serve(
            &data,
            &[
                ("EUCDOC_CONFIG", config.to_str().unwrap()),
                ("EUCDOC_DESK_NCALAYER_URL", &url),
            ],
        );
        let profile = dir.path().join(format!("profile-{p12}"));
        let (_driver, client) = browser(&profile).await;
        client.goto(&format!("{base}/desk/sign-in")).await.unwrap();
        press(&client, "#eds").await;
        if officer {
            assert_eq!(text_of(&client, "#officer").await, "Оспанова Ә.");
            // The token's scopes are not the officer's: no issuing.
            client
                .goto(&format!("{base}/desk/issue/end_user_certificate"))
                .await
                .unwrap();
            assert_eq!(
                text_of(&client, "#message").await,
                "Бұл әрекетке рұқсатыңыз жоқ."
            );
        } else {
            // The officer's SIGN key: not an authentication key, and no officer's IIN.
            let message = text_of(&client, "#message").await;
            assert!(message.contains("clientAuth"), "{message}");
        }
        client.close().await.unwrap();
    }
}

/// Issuing with the officer's own key: the form goes with the key's certificate (NCALayer's
/// getKeyInfo) to make a draft, whose digest NCALayer (the double) signs; the document is
/// issued with that signature, and eucdoc's verifier names the officer.
#[tokio::test(flavor = "multi_thread")]
async fn an_officer_signs_a_draft_with_their_own_key_through_ncalayer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(serve(&data, &[]));
    let double = NcaLayer::start(&data.join("dev-pki/officer.p12"), "eucdoc-dev");
    let url = double.url().to_string();
    let (_server, base, token) = serve(&data, &[("EUCDOC_DESK_NCALAYER_URL", &url)]);
    let (_driver, client) = browser(&dir.path().join("profile")).await;
    sign_in(&client, &base, &token).await;
    client
        .goto(&format!("{base}/desk/issue/end_user_certificate"))
        .await
        .unwrap();
    let example: serde_json::Value =
        serde_json::from_slice(&common::example("end-user-certificate.json")).unwrap();
    let mut values = Vec::new();
    leaves(&example, "", &mut values);
    values.retain(|(name, _)| {
        name != "form"
            && name != "number"
            && !name.starts_with("goods.1")
            && !name.starts_with("goods.2")
    });
    fill(&client, &values).await;
    press(&client, "#prepare-eds").await;
    // The draft: its number taken, its preview, the button that asks NCALayer.
    let heading = text_of(&client, "h1").await;
    assert!(heading.contains("KZ-EUC-"), "{heading}");
    look(&client, "desk/draft").await;
    press(&client, "#sign-draft").await;
    assert_eq!(text_of(&client, "#message").await, "Құжат берілді.");
    assert_eq!(text_of(&client, "#status").await, "берілген");
    // The issued PDF carries the officer's own signature, which the verifier accepts.
    let url = client.current_url().await.unwrap();
    let page = url.as_str().split('?').next().unwrap();
    let bytes = with_session(&client, &format!("{page}/pdf")).await;
    let path = common::write_temp(dir.path(), "issued.pdf", &bytes);
    let out = common::run(
        env!("CARGO_BIN_EXE_eucdoc"),
        &[
            "verify",
            path.to_str().unwrap(),
            "--trust",
            data.join("dev-pki/root.pem").to_str().unwrap(),
            "--offline",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let signer = &report["signatures"][0]["signer"]["full_name"];
    assert_eq!(signer, "ЖҰМАБЕКОВ ЕРЛАН СЕРІКҰЛЫ", "{report:#}");
    assert_eq!(report["signatures"][0]["intact"], true, "{report:#}");
    assert_eq!(report["signatures"][0]["valid"], true, "{report:#}");
    client.close().await.unwrap();
}

/// A GOST 2015 CMS made with the NCA's test key (as NCALayer makes it), attached and detached
/// with its data file, checked at a time inside the key's validity (2022): green, naming the
/// signer's IIN; a validation time that is not RFC 3339 is named beside its field.
#[tokio::test(flavor = "multi_thread")]
async fn a_gost_cms_of_the_nca_test_key_is_checked_at_its_time() {
    use common::gost::{der, gost_cms_with, nca, nca_path};
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_temp(
        dir.path(),
        "eucdoc.toml",
        format!(
            "trust = [\"{}\"]\ncrls = [\"{}\"]\n",
            nca_path("ca/nca_gost2015_test.cer").display(),
            nca_path("crl/nca_gost2022_test.crl").display()
        )
        .as_bytes(),
    );
    let (_server, base, token) = serve(
        &dir.path().join("data"),
        &[("EUCDOC_CONFIG", config.to_str().unwrap())],
    );
    let key =
        eucdoc::gost::GostKey::from_pkcs12(&nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"), "Aa123456")
            .unwrap();
    let certificate = der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem");
    let content = "Өтінім / Заявка № 42".as_bytes();
    let files = [
        common::write_temp(
            dir.path(),
            "application.cms",
            &gost_cms_with(&key, &certificate, content, true),
        ),
        common::write_temp(dir.path(), "request.txt", content),
        common::write_temp(
            dir.path(),
            "request.txt.p7s",
            &gost_cms_with(&key, &certificate, content, false),
        ),
    ];
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let (_driver, client) = browser(&dir.path().join("profile")).await;
    sign_in(&client, &base, &token).await;
    for (at, expect_green) in [("yesterday", false), ("2022-12-01T12:30:00Z", true)] {
        client.goto(&format!("{base}/desk/")).await.unwrap();
        type_into(&client, "#files", &paths.join("\n")).await;
        type_into(&client, "#at", at).await;
        press(&client, "#check").await;
        if !expect_green {
            assert_eq!(text_of(&client, "#at-error").await, "RFC 3339 уақыты емес.");
            continue;
        }
        text_of(&client, ".file-summary").await;
        let summaries = client
            .find_all(Locator::Css(".file-summary"))
            .await
            .unwrap();
        assert_eq!(summaries.len(), 2);
        for summary in &summaries {
            assert!(
                summary
                    .attr("class")
                    .await
                    .unwrap()
                    .unwrap()
                    .contains("green"),
                "{}",
                summary.text().await.unwrap()
            );
        }
        let names = client.find_all(Locator::Css("h2")).await.unwrap();
        assert!(
            names[1]
                .text()
                .await
                .unwrap()
                .contains("request.txt.p7s + request.txt")
        );
        let page = client.source().await.unwrap();
        assert!(page.contains("123456789012"));
        screenshot(&client, "desk/report-gost").await;
    }
    client.close().await.unwrap();
}

/// The report page's PDF: signed by the service (it passes `eucdoc verify` against the
/// development root and CRLs), it says what the page says, and its QR code holds the checked
/// files' SHA-256.
async fn report_pdf_verifies(client: &Client, dir: &Path, issued: &[u8]) {
    use base64::Engine;
    let href = client
        .find(Locator::Css("#report-pdf"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(href.split_once("base64,").unwrap().1)
        .unwrap();
    let path = common::write_temp(dir, "report.pdf", &pdf);
    let pki = dir.join("data/dev-pki");
    let out = common::run(
        env!("CARGO_BIN_EXE_eucdoc"),
        &[
            "verify",
            path.to_str().unwrap(),
            "--trust",
            pki.join("root.pem").to_str().unwrap(),
            "--crl",
            pki.join("nca.crl").to_str().unwrap(),
            "--crl",
            pki.join("root.crl").to_str().unwrap(),
            "--offline",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let printed = common::pdf_text(&path, None);
    assert!(printed.contains("Тексеру нәтижесі"), "{printed}");
    assert!(printed.contains("880101300123"), "{printed}");
    // The QR code: rasterised, decoded by zbar.
    let decoded = common::qr_on_page(&path, 1);
    let sha256 = hex::encode(openssl::sha::sha256(issued));
    assert!(
        decoded.contains(&format!("issued.pdf sha256={sha256}")),
        "{decoded}"
    );
}
