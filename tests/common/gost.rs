//! GOST-signed test material made with the CA's GOST 2015 test keys
//! (../shared/corpora/kz-nca/ncanode-test): a CMS as NCALayer makes it and a PAdES PDF.

use eucdoc::{gost, sign};

/// A file of the CA's test material (../shared/corpora/kz-nca/ncanode-test).
pub fn nca_path(path: &str) -> std::path::PathBuf {
    super::root()
        .join("../shared/corpora/kz-nca/ncanode-test")
        .join(path)
}

pub fn nca(path: &str) -> Vec<u8> {
    std::fs::read(nca_path(path)).expect("shared corpora beside the project")
}

/// `eucdoc verify PDF --trust <test NCA> --crl <its CRL> --at 2022-12-01T12:30:00Z --format
/// json` (a time inside the CA's 2015 test keys' validity): its exit code and report.
pub fn verify_as_of_2022(dir: &std::path::Path, pdf: &std::path::Path) -> (i32, serde_json::Value) {
    let ca = super::write_temp(dir, "ca.cer", &der("ca/nca_gost2015_test.cer"));
    let out = super::run(
        env!("CARGO_BIN_EXE_eucdoc"),
        &[
            "verify",
            pdf.to_str().unwrap(),
            "--trust",
            ca.to_str().unwrap(),
            "--crl",
            nca_path("crl/nca_gost2022_test.crl").to_str().unwrap(),
            "--at",
            "2022-12-01T12:30:00Z",
            "--format",
            "json",
        ],
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

pub fn der(path: &str) -> Vec<u8> {
    sign::certificates_from_file(&nca(path))
        .expect("certificate")
        .remove(0)
}

/// A CMS SignedData (attached) signed with a GOST key the way NCALayer signs: content-type and
/// Streebog-512 message-digest as signed attributes, GOST 2015 512 OIDs.
pub fn gost_cms(key: &gost::GostKey, cert_der: &[u8], content: &[u8]) -> Vec<u8> {
    gost_cms_with(key, cert_der, content, true)
}

pub fn gost_cms_with(
    key: &gost::GostKey,
    cert_der: &[u8],
    content: &[u8],
    attached: bool,
) -> Vec<u8> {
    gost_cms_of(
        key,
        cert_der,
        &gost::streebog512(content),
        attached.then_some(content),
    )
}

/// A detached CMS whose message-digest is `digest` (already Streebog-512), as NCALayer's
/// createCAdESFromBase64Hash makes it for a GOST key: external signing of a draft.
pub fn gost_cms_over_digest(key: &gost::GostKey, cert_der: &[u8], digest: &[u8]) -> Vec<u8> {
    gost_cms_of(key, cert_der, digest, None)
}

fn gost_cms_of(
    key: &gost::GostKey,
    cert_der: &[u8],
    digest: &[u8],
    content: Option<&[u8]>,
) -> Vec<u8> {
    use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
    use cms::content_info::{CmsVersion, ContentInfo};
    use cms::signed_data::{
        CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo,
        SignerInfos,
    };
    use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
    use der::{Any, Decode, Encode};
    use x509_cert::attr::Attribute;
    use x509_cert::spki::AlgorithmIdentifierOwned;

    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let oid = |s: &str| ObjectIdentifier::new_unwrap(s);
    let attribute = |o: &str, value: Any| Attribute {
        oid: oid(o),
        values: SetOfVec::try_from(vec![value]).unwrap(),
    };
    let signed_attrs = SetOfVec::try_from(vec![
        attribute(
            "1.2.840.113549.1.9.3",
            Any::encode_from(&oid("1.2.840.113549.1.7.1")).unwrap(),
        ),
        attribute(
            "1.2.840.113549.1.9.4",
            Any::encode_from(&OctetString::new(digest.to_vec()).unwrap()).unwrap(),
        ),
    ])
    .unwrap();
    let signature = key.sign_message(&signed_attrs.to_der().unwrap()).unwrap();
    let algorithm = |o: &str| AlgorithmIdentifierOwned {
        oid: oid(o),
        parameters: None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: algorithm(gost::DIGEST_512),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: algorithm(gost::SIGNATURE_512),
        signature: OctetString::new(signature.to_vec()).unwrap(),
        unsigned_attrs: None,
    };
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![algorithm(gost::DIGEST_512)]).unwrap(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid("1.2.840.113549.1.7.1"),
            econtent: content
                .map(|c| Any::encode_from(&OctetString::new(c.to_vec()).unwrap()).unwrap()),
        },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(vec![CertificateChoices::Certificate(cert)]).unwrap(),
        )),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).unwrap()),
    };
    ContentInfo {
        content_type: oid("1.2.840.113549.1.7.2"),
        content: Any::encode_from(&signed).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// A one-page certificate signed (PAdES B-B, ETSI.CAdES.detached) by our signer with the
/// software GOST key of KEY_INDIVIDUAL_VALID_2015.p12, at 2022-12-01 (inside the certificate's
/// validity).
pub fn gost_signed_pdf() -> Vec<u8> {
    let signer = sign::GostSigner::from_pkcs12(
        &nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"),
        "Aa123456",
        &der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem"),
        &[der("ca/nca_gost2015_test.cer")],
    )
    .expect("the CA's GOST test key store");
    let pdf = super::render_bytes(&super::example("end-user-certificate.json")).pdf;
    let at = time::macros::utc_datetime!(2022-12-01 12:00:00);
    sign::sign_pdf(&pdf, &signer, &sign::SignRequest::basic(at)).expect("GOST-signed PDF")
}

/// A GOST TSA on 127.0.0.1 that is not eucdoc's code: OpenSSL's `openssl ts -reply` with the
/// OpenSSL gost engine (GOST R 34.10-2012 512 paramSet A under the TC 26 OIDs; Streebog-512
/// signing-certificate-v2), its wall clock at the time given. Its root CA, the TSA's certificate
/// (timeStamping, critical) and the root's CRL are made by the engine too; the certificates are
/// backdated to 2020 so that they cover the CA's 2022 test keys, and stay valid past today.
pub struct GostTsa {
    /// The TSA's URL.
    pub url: String,
    /// The root CA (PEM), the TSA's trust anchor.
    pub root: std::path::PathBuf,
    /// The root's CRL (PEM), listing nothing.
    pub crl: std::path::PathBuf,
    _responder: super::Responder,
    _dir: tempfile::TempDir,
}

/// Runs `openssl` with the gost engine loaded by `config`, its clock at `fake_time` if given.
fn engine_openssl(config: &std::path::Path, args: &[&str], fake_time: Option<&str>) {
    let mut command = std::process::Command::new("openssl");
    command.args(args).env("OPENSSL_CONF", config);
    if let Some(at) = fake_time {
        super::fake_clock(&mut command, at);
    }
    let out = command.output().expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a [`GostTsa`] whose clock starts at `at` ("2022-12-01 12:00:00", UTC).
pub fn start_gost_tsa(at: &str) -> GostTsa {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let engine = "openssl_conf = openssl_init\n[ openssl_init ]\nengines = engines\n\
                  [ engines ]\ngost = gost\n[ gost ]\nengine_id = gost\ndefault_algorithms = ALL\n";
    let config = super::write_temp(
        dir.path(),
        "openssl.cnf",
        format!(
            "{engine}[ ca ]\ndefault_ca = test_ca\n[ test_ca ]\ndatabase = {index}\n\
             crlnumber = {crlnumber}\ndefault_md = streebog512\ndefault_crl_days = 5000\n",
            index = path("index.txt"),
            crlnumber = path("crlnumber"),
        )
        .as_bytes(),
    );
    super::write_temp(dir.path(), "index.txt", b"");
    super::write_temp(dir.path(), "crlnumber", b"01\n");
    super::write_temp(dir.path(), "serial", b"01\n");
    super::write_temp(
        dir.path(),
        "tsa.ext",
        b"extendedKeyUsage = critical, timeStamping\n\
          keyUsage = critical, digitalSignature, nonRepudiation\n",
    );
    let backdated = Some("2020-01-01 00:00:00");
    let gost_key = ["-algorithm", "gost2012_512", "-pkeyopt", "paramset:A"];
    for key in ["root.key", "tsa.key"] {
        engine_openssl(
            &config,
            &[&["genpkey"][..], &gost_key, &["-out", &path(key)]].concat(),
            None,
        );
    }
    engine_openssl(
        &config,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            &path("root.key"),
            "-out",
            &path("root.pem"),
            "-days",
            "9000",
            "-set_serial",
            "1",
            "-streebog512",
            "-subj",
            "/C=KZ/CN=eucdoc test GOST root (OpenSSL gost engine)",
            "-addext",
            "basicConstraints = critical, CA:TRUE",
            "-addext",
            "keyUsage = critical, keyCertSign, cRLSign",
        ],
        backdated,
    );
    engine_openssl(
        &config,
        &[
            "req",
            "-new",
            "-key",
            &path("tsa.key"),
            "-out",
            &path("tsa.csr"),
            "-subj",
            "/C=KZ/CN=eucdoc test GOST TSA (OpenSSL gost engine)",
        ],
        None,
    );
    engine_openssl(
        &config,
        &[
            "x509",
            "-req",
            "-in",
            &path("tsa.csr"),
            "-CA",
            &path("root.pem"),
            "-CAkey",
            &path("root.key"),
            "-set_serial",
            "2",
            "-days",
            "8000",
            "-streebog512",
            "-extfile",
            &path("tsa.ext"),
            "-out",
            &path("tsa.pem"),
        ],
        backdated,
    );
    engine_openssl(
        &config,
        &[
            "ca",
            "-config",
            config.to_str().unwrap(),
            "-gencrl",
            "-keyfile",
            &path("root.key"),
            "-cert",
            &path("root.pem"),
            "-out",
            &path("root.crl"),
        ],
        None,
    );
    let ts_config = super::write_temp(
        dir.path(),
        "ts.cnf",
        format!(
            "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\nserial = {serial}\n\
             crypto_device = builtin\nsigner_cert = {tsa}\ncerts = {root}\nsigner_key = {key}\n\
             signer_digest = streebog512\ndefault_policy = 1.2.398.3.3.2.6\n\
             digests = sha256, streebog512\naccuracy = secs:1\nordering = no\ntsa_name = yes\n\
             ess_cert_id_chain = no\ness_cert_id_alg = streebog512\n",
            serial = path("serial"),
            tsa = path("tsa.pem"),
            root = path("root.pem"),
            key = path("tsa.key"),
        )
        .as_bytes(),
    );
    let responder = super::start_responder(
        &["tsa", ts_config.to_str().unwrap()],
        &[("OPENSSL_CONF", config.to_str().unwrap())],
        Some(at),
    );
    GostTsa {
        url: responder.url.clone(),
        root: dir.path().join("root.pem"),
        crl: dir.path().join("root.crl"),
        _responder: responder,
        _dir: dir,
    }
}
