//! The page's side of NCALayer's WebSocket protocol (../shared/ncalayer.md), against the test
//! double tests/support/ncalayer_double.py (Python, asn1crypto + cryptography: it signs with an
//! implementation other than eucdoc's). scripts/test.sh installs its `websockets` package in
//! the pyHanko venv that EUCDOC_PYHANKO names.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use base64::Engine;

/// A running double holding one key store; stopped on drop.
pub struct NcaLayer {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for NcaLayer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64 from NCALayer")
}

impl NcaLayer {
    /// Starts the double with `p12` (password `password`) on a free loopback port.
    pub fn start(p12: &Path, password: &str) -> Self {
        let python = std::env::var("EUCDOC_PYHANKO")
            .expect("EUCDOC_PYHANKO must name the venv python (scripts/test.sh sets it)");
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let child = Command::new(python)
            .arg(super::root().join("tests/support/ncalayer_double.py"))
            .arg(p12)
            .arg("EUCDOC_NCALAYER_PASSWORD")
            .arg(&port_file)
            .arg("600")
            .env("EUCDOC_NCALAYER_PASSWORD", password)
            .spawn()
            .expect("the NCALayer double starts");
        let started = Instant::now();
        let port = loop {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                break port;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the NCALayer double did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            child,
            url: format!("ws://127.0.0.1:{}/", port.trim()),
            _dir: dir,
        }
    }

    /// Where a page finds it (`ws://127.0.0.1:PORT/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One request on a new connection, as a page sends it; NCALayer's greeting is checked.
    pub fn request(&self, request: serde_json::Value) -> serde_json::Value {
        let (mut socket, _) = tungstenite::connect(&self.url).expect("connect to NCALayer");
        let greeting: serde_json::Value =
            serde_json::from_str(socket.read().unwrap().to_text().unwrap()).unwrap();
        assert!(greeting["result"]["version"].is_string(), "{greeting}");
        socket
            .send(tungstenite::Message::text(request.to_string()))
            .unwrap();
        let answer = serde_json::from_str(socket.read().unwrap().to_text().unwrap()).unwrap();
        let _ = socket.close(None);
        answer
    }

    /// getKeyInfo's certificate (DER).
    pub fn certificate(&self) -> Vec<u8> {
        let answer = self.request(serde_json::json!({
            "module": "kz.gov.pki.knca.commonUtils",
            "method": "getKeyInfo",
            "args": ["PKCS12"],
        }));
        assert_eq!(answer["code"], "200", "{answer}");
        unb64(answer["responseObject"]["certificate"].as_str().unwrap())
    }

    /// createCAdESFromBase64Hash: a detached CMS (DER) whose message-digest is `digest`.
    pub fn sign_hash(&self, digest: &[u8]) -> Vec<u8> {
        let answer = self.request(serde_json::json!({
            "module": "kz.gov.pki.knca.commonUtils",
            "method": "createCAdESFromBase64Hash",
            "args": ["PKCS12", "SIGNATURE", b64(digest)],
        }));
        assert_eq!(answer["code"], "200", "{answer}");
        unb64(answer["responseObject"].as_str().unwrap())
    }

    /// basics.sign with `digested: true` (the 2022+ API): the same, as base64 text.
    pub fn basics_sign_digest(&self, digest: &[u8]) -> String {
        let answer = self.request(serde_json::json!({
            "module": "kz.gov.pki.knca.basics",
            "method": "sign",
            "args": {
                "allowedStorages": null,
                "format": "cms",
                "data": b64(digest),
                "signingParams": {"decode": true, "encapsulate": false, "digested": true},
                "signerParams": {"extKeyUsageOids": ["1.3.6.1.5.5.7.3.4"], "chain": []},
                "locale": "kk",
            },
        }));
        assert_eq!(answer["status"], true, "{answer}");
        answer["body"]["result"][0].as_str().unwrap().to_string()
    }
}
