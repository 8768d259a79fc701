//! `eucdoc dev-pki`: a complete development PKI in the profile of Kazakhstan's CA
//! (`../shared/kz-pki.md`), made with OpenSSL on any machine. For tests and development only:
//! every name says TEST, and documents signed with these keys carry a test watermark.

use std::path::{Path, PathBuf};

use der::{Decode, Encode};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::stack::Stack;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Name, X509NameBuilder};

pub use crate::pki::cert::{DEV_MARKER, is_development_certificate};
use crate::pki::oid;
pub use crate::pki::oid::role;

/// Why the development PKI could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DevPkiError {
    /// OpenSSL, the DER encoder or the file system failed; the message says which and where.
    #[error("development PKI: {0}")]
    Build(String),
}

/// The Industry Committee's BIN in the development PKI (valid check digit; not the real one).
pub const COMMITTEE_BIN: &str = "130940001234";
/// The committee's name as the CA writes it in O.
pub const COMMITTEE_NAME: &str =
    "РММ \"ҚАЗАҚСТАН РЕСПУБЛИКАСЫ ӨНЕРКӘСІП ЖӘНЕ ҚҰРЫЛЫС МИНИСТРЛІГІ ӨНЕРКӘСІП КОМИТЕТІ\"";

/// What `generate` wrote.
#[derive(Debug, Clone)]
pub struct DevPkiFiles {
    /// Root CA certificate (PEM): the trust anchor.
    pub root: PathBuf,
    /// Intermediate "test NCA" certificate (PEM).
    pub nca: PathBuf,
    /// CRL of the test NCA listing the revoked key (DER).
    pub crl: PathBuf,
    /// CRL of the root (DER, empty): revocation data for the test NCA's own certificate.
    pub root_crl: PathBuf,
    /// The test NCA's certificate database in `openssl ca` index format, for `openssl ocsp`.
    pub nca_index: PathBuf,
    /// Officer's SIGN key store.
    pub officer: PathBuf,
    /// Every file written.
    pub all: Vec<PathBuf>,
}

fn ssl(e: openssl::error::ErrorStack) -> DevPkiError {
    DevPkiError::Build(e.to_string())
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DevPkiError + '_ {
    move |e| DevPkiError::Build(format!("cannot write {}: {e}", path.display()))
}

struct Issued {
    cert: X509,
    key: PKey<Private>,
}

/// One subject attribute: (NID, value).
type Rdn = (Nid, String);

fn name(rdns: &[Rdn]) -> Result<X509Name, DevPkiError> {
    let mut builder = X509NameBuilder::new().map_err(ssl)?;
    for (nid, value) in rdns {
        let kind = if *nid == Nid::COUNTRYNAME || *nid == Nid::SERIALNUMBER {
            openssl::asn1::Asn1Type::PRINTABLESTRING
        } else {
            openssl::asn1::Asn1Type::UTF8STRING
        };
        builder
            .append_entry_by_nid_with_type(*nid, value, kind)
            .map_err(ssl)?;
    }
    Ok(builder.build())
}

/// What kind of certificate to issue.
enum Profile {
    Root,
    Intermediate,
    /// A document-signing key (keyUsage digitalSignature + nonRepudiation).
    Sign(Vec<&'static str>),
    /// An authentication key (digitalSignature + keyEncipherment, clientAuth).
    Auth(Vec<&'static str>),
    Ocsp,
    Tsa,
}

struct Request<'a> {
    subject: Vec<Rdn>,
    profile: Profile,
    issuer: Option<&'a Issued>,
    serial: u32,
    not_before: i64,
    not_after: i64,
    ec: bool,
    /// Where the issuer's CRL is published (CRL distribution points).
    crl_url: Option<String>,
    /// The OCSP responder that answers for this certificate (authority information access).
    ocsp_url: Option<String>,
}

/// Where the development PKI's certificates say their status is published, so that validators
/// (and eucdoc's B-LT) can fetch it as they would from Kazakhstan's CA.
#[derive(Debug, Clone, Default)]
pub struct DevPkiUrls {
    /// OCSP responder named in the end-entity certificates (AIA).
    pub ocsp: Option<String>,
    /// Base URL under which `root.crl` and `nca.crl` are served (CRL distribution points).
    pub crl_base: Option<String>,
}

/// CRL distribution points and AIA extensions (RFC 5280, 4.2.1.13 and 4.2.2.1), encoded with
/// the x509-cert types.
fn status_extensions(
    crl_url: Option<&str>,
    ocsp_url: Option<&str>,
) -> Result<Vec<openssl::x509::X509Extension>, DevPkiError> {
    use der::Encode;
    use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
    use x509_cert::ext::pkix::{
        AccessDescription, AuthorityInfoAccessSyntax, CrlDistributionPoints,
        crl::dp::DistributionPoint,
    };
    let der_error = |e: der::Error| DevPkiError::Build(format!("extension: {e}"));
    let uri = |url: &str| -> Result<GeneralName, DevPkiError> {
        Ok(GeneralName::UniformResourceIdentifier(
            der::asn1::Ia5String::new(url).map_err(der_error)?,
        ))
    };
    let extension =
        |oid: &str, der: Vec<u8>| -> Result<openssl::x509::X509Extension, DevPkiError> {
            let oid = openssl::asn1::Asn1Object::from_str(oid).map_err(ssl)?;
            let value = openssl::asn1::Asn1OctetString::new_from_bytes(&der).map_err(ssl)?;
            openssl::x509::X509Extension::new_from_der(&oid, false, &value).map_err(ssl)
        };
    let mut out = Vec::new();
    if let Some(url) = crl_url {
        let points = CrlDistributionPoints(vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![uri(url)?])),
            reasons: None,
            crl_issuer: None,
        }]);
        out.push(extension(
            &oid::ID_CE_CRL_DISTRIBUTION_POINTS.to_string(),
            points.to_der().map_err(der_error)?,
        )?);
    }
    if let Some(url) = ocsp_url {
        let access = AuthorityInfoAccessSyntax(vec![AccessDescription {
            access_method: const_oid::db::rfc5280::ID_AD_OCSP,
            access_location: uri(url)?,
        }]);
        out.push(extension(
            &oid::ID_PE_AUTHORITY_INFO_ACCESS.to_string(),
            access.to_der().map_err(der_error)?,
        )?);
    }
    Ok(out)
}

fn issue(request: Request<'_>) -> Result<Issued, DevPkiError> {
    let key = if request.ec {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(ssl)?;
        PKey::from_ec_key(EcKey::generate(&group).map_err(ssl)?).map_err(ssl)?
    } else {
        PKey::from_rsa(Rsa::generate(2048).map_err(ssl)?).map_err(ssl)?
    };
    let subject = name(&request.subject)?;
    let mut builder = X509Builder::new().map_err(ssl)?;
    builder.set_version(2).map_err(ssl)?;
    let serial = BigNum::from_u32(request.serial)
        .and_then(|n| Asn1Integer::from_bn(&n))
        .map_err(ssl)?;
    builder.set_serial_number(&serial).map_err(ssl)?;
    builder.set_subject_name(&subject).map_err(ssl)?;
    let (issuer_name, issuer_key, issuer_cert) = match request.issuer {
        Some(issuer) => (
            issuer.cert.subject_name().to_owned().map_err(ssl)?,
            &issuer.key,
            Some(&issuer.cert),
        ),
        None => (name(&request.subject)?, &key, None),
    };
    builder.set_issuer_name(&issuer_name).map_err(ssl)?;
    let not_before = Asn1Time::from_unix(request.not_before).map_err(ssl)?;
    let not_after = Asn1Time::from_unix(request.not_after).map_err(ssl)?;
    builder.set_not_before(&not_before).map_err(ssl)?;
    builder.set_not_after(&not_after).map_err(ssl)?;
    builder.set_pubkey(&key).map_err(ssl)?;
    let context = builder.x509v3_context(issuer_cert.map(|c| c.as_ref()), None);
    let ski = SubjectKeyIdentifier::new().build(&context).map_err(ssl)?;
    let aki = if request.issuer.is_some() {
        Some(
            AuthorityKeyIdentifier::new()
                .keyid(true)
                .build(&context)
                .map_err(ssl)?,
        )
    } else {
        None
    };
    builder.append_extension(ski).map_err(ssl)?;
    if let Some(aki) = aki {
        builder.append_extension(aki).map_err(ssl)?;
    }
    for extension in status_extensions(request.crl_url.as_deref(), request.ocsp_url.as_deref())? {
        builder.append_extension(extension).map_err(ssl)?;
    }
    match &request.profile {
        Profile::Root => {
            builder
                .append_extension(
                    BasicConstraints::new()
                        .critical()
                        .ca()
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .key_cert_sign()
                        .crl_sign()
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
        }
        Profile::Intermediate => {
            builder
                .append_extension(
                    BasicConstraints::new()
                        .critical()
                        .ca()
                        .pathlen(0)
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .key_cert_sign()
                        .crl_sign()
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
        }
        Profile::Sign(roles) => {
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .digital_signature()
                        .non_repudiation()
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
            let mut eku = ExtendedKeyUsage::new();
            eku.email_protection();
            for role in roles {
                eku.other(role);
            }
            builder
                .append_extension(eku.build().map_err(ssl)?)
                .map_err(ssl)?;
        }
        Profile::Auth(roles) => {
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .digital_signature()
                        .key_encipherment()
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
            let mut eku = ExtendedKeyUsage::new();
            eku.client_auth();
            for role in roles {
                eku.other(role);
            }
            builder
                .append_extension(eku.build().map_err(ssl)?)
                .map_err(ssl)?;
        }
        Profile::Ocsp => {
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .digital_signature()
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
            builder
                .append_extension(
                    ExtendedKeyUsage::new()
                        .critical()
                        .other(&oid::ID_KP_OCSP_SIGNING.to_string())
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
            // id-pkix-ocsp-nocheck (RFC 6960, 4.2.2.2.1): the responder's own certificate needs
            // no revocation check. Its value is NULL.
            let oid = openssl::asn1::Asn1Object::from_str(&oid::ID_PKIX_OCSP_NOCHECK.to_string())
                .map_err(ssl)?;
            let null =
                openssl::asn1::Asn1OctetString::new_from_bytes(&[0x05, 0x00]).map_err(ssl)?;
            builder
                .append_extension(
                    openssl::x509::X509Extension::new_from_der(&oid, false, &null).map_err(ssl)?,
                )
                .map_err(ssl)?;
        }
        Profile::Tsa => {
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .digital_signature()
                        .non_repudiation()
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
            builder
                .append_extension(
                    ExtendedKeyUsage::new()
                        .critical()
                        .time_stamping()
                        .build()
                        .map_err(ssl)?,
                )
                .map_err(ssl)?;
        }
    }
    builder
        .sign(issuer_key, MessageDigest::sha256())
        .map_err(ssl)?;
    Ok(Issued {
        cert: builder.build(),
        key,
    })
}

fn write(path: &Path, bytes: &[u8], all: &mut Vec<PathBuf>) -> Result<(), DevPkiError> {
    std::fs::write(path, bytes).map_err(io(path))?;
    all.push(path.to_path_buf());
    Ok(())
}

fn write_p12(
    path: &Path,
    issued: &Issued,
    chain: &[&X509],
    password: &str,
    all: &mut Vec<PathBuf>,
) -> Result<(), DevPkiError> {
    let mut ca = Stack::new().map_err(ssl)?;
    for cert in chain {
        ca.push((*cert).clone()).map_err(ssl)?;
    }
    let mut builder = Pkcs12::builder();
    builder
        .name("eucdoc dev key")
        .pkey(&issued.key)
        .cert(&issued.cert)
        .ca(ca);
    let der = builder
        .build2(password)
        .and_then(|p| p.to_der())
        .map_err(ssl)?;
    write(path, &der, all)
}

fn person(surname: &str, given: &str, patronymic: &str, iin: &str) -> Vec<Rdn> {
    vec![
        (Nid::COMMONNAME, format!("{surname} {given}")),
        (Nid::SURNAME, surname.to_string()),
        (Nid::SERIALNUMBER, format!("IIN{iin}")),
        (Nid::COUNTRYNAME, "KZ".to_string()),
        (Nid::GIVENNAME, patronymic.to_string()),
    ]
}

fn organisation(mut rdns: Vec<Rdn>, org: &str, bin: &str) -> Vec<Rdn> {
    rdns.push((Nid::ORGANIZATIONNAME, org.to_string()));
    rdns.push((Nid::ORGANIZATIONALUNITNAME, format!("BIN{bin}")));
    rdns
}

/// Builds the CRL of `issuer` listing `revoked` serials (RFC 5280, 5.1), signed with OpenSSL.
fn crl(
    issuer: &Issued,
    revoked: &[u32],
    this_update: i64,
    next_update: i64,
) -> Result<Vec<u8>, DevPkiError> {
    use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::time::Time;
    let der_error = |e: der::Error| DevPkiError::Build(format!("CRL: {e}"));
    let time = |secs: i64| -> Result<Time, DevPkiError> {
        let duration = std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(0));
        Time::try_from(std::time::UNIX_EPOCH + duration).map_err(der_error)
    };
    let issuer_cert =
        x509_cert::Certificate::from_der(&issuer.cert.to_der().map_err(ssl)?).map_err(der_error)?;
    let signature_algorithm = x509_cert::spki::AlgorithmIdentifierOwned {
        oid: oid::SHA_256_WITH_RSA_ENCRYPTION,
        parameters: Some(der::Any::encode_from(&der::asn1::Null).map_err(der_error)?),
    };
    let revoked_certificates = revoked
        .iter()
        .map(|serial| {
            Ok(RevokedCert {
                serial_number: SerialNumber::new(&serial.to_be_bytes()).map_err(der_error)?,
                revocation_date: time(this_update - 3600)?,
                crl_entry_extensions: None,
            })
        })
        .collect::<Result<Vec<_>, DevPkiError>>()?;
    let crl_number = x509_cert::ext::Extension {
        extn_id: const_oid::db::rfc5280::ID_CE_CRL_NUMBER,
        critical: false,
        extn_value: der::asn1::OctetString::new(
            x509_cert::ext::pkix::CrlNumber(der::asn1::Uint::new(&[1]).map_err(der_error)?)
                .to_der()
                .map_err(der_error)?,
        )
        .map_err(der_error)?,
    };
    let tbs = TbsCertList {
        version: x509_cert::Version::V2,
        signature: signature_algorithm.clone(),
        issuer: issuer_cert.tbs_certificate.subject.clone(),
        this_update: time(this_update)?,
        next_update: Some(time(next_update)?),
        revoked_certificates: Some(revoked_certificates),
        crl_extensions: Some(vec![crl_number]),
    };
    let tbs_der = tbs.to_der().map_err(der_error)?;
    let mut signer =
        openssl::sign::Signer::new(MessageDigest::sha256(), &issuer.key).map_err(ssl)?;
    signer.update(&tbs_der).map_err(ssl)?;
    let signature = signer.sign_to_vec().map_err(ssl)?;
    CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm,
        signature: der::asn1::BitString::from_bytes(&signature).map_err(der_error)?,
    }
    .to_der()
    .map_err(der_error)
}

/// Generates the development PKI into `out` at time `now` (Unix seconds). Key stores are
/// protected with `password`.
pub fn generate(out: &Path, password: &str, now: i64) -> Result<DevPkiFiles, DevPkiError> {
    generate_with(out, password, now, &DevPkiUrls::default())
}

/// As [`generate`], with certificates that name where their status is published.
pub fn generate_with(
    out: &Path,
    password: &str,
    now: i64,
    urls: &DevPkiUrls,
) -> Result<DevPkiFiles, DevPkiError> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let crl_of = |name: &str| {
        urls.crl_base
            .as_ref()
            .map(|base| format!("{}/{name}", base.trim_end_matches('/')))
    };
    const YEAR: i64 = 365 * 24 * 3600;
    let start = now - 24 * 3600;
    let mut all = Vec::new();
    let root = issue(Request {
        subject: vec![
            (Nid::COMMONNAME, format!("{DEV_MARKER} ROOT CA (TEST ONLY)")),
            (Nid::COUNTRYNAME, "KZ".into()),
        ],
        profile: Profile::Root,
        issuer: None,
        serial: 1,
        not_before: start,
        not_after: now + 20 * YEAR,
        ec: false,
        crl_url: None,
        ocsp_url: None,
    })?;
    let nca = issue(Request {
        subject: vec![
            (
                Nid::COMMONNAME,
                format!("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) {DEV_MARKER} TEST"),
            ),
            (Nid::COUNTRYNAME, "KZ".into()),
        ],
        profile: Profile::Intermediate,
        issuer: Some(&root),
        serial: 2,
        not_before: start,
        not_after: now + 10 * YEAR,
        ec: false,
        crl_url: crl_of("root.crl"),
        ocsp_url: None,
    })?;
    let end_entity =
        |subject: Vec<Rdn>, profile: Profile, serial: u32, not_after: i64, ec: bool| {
            issue(Request {
                subject,
                profile,
                issuer: Some(&nca),
                serial,
                not_before: if not_after < now {
                    not_after - YEAR
                } else {
                    start
                },
                not_after,
                ec,
                crl_url: crl_of("nca.crl"),
                ocsp_url: urls.ocsp.clone(),
            })
        };
    let officer = end_entity(
        organisation(
            person("ЖҰМАБЕКОВ", "ЕРЛАН", "СЕРІКҰЛЫ", "880101300123"),
            COMMITTEE_NAME,
            COMMITTEE_BIN,
        ),
        Profile::Sign(vec![role::EMPLOYEE_OF_LEGAL_ENTITY, role::RIGHT_TO_SIGN]),
        100,
        now + YEAR,
        false,
    )?;
    let individual = end_entity(
        person("ОСПАНОВА", "ӘЙГЕРІМ", "НҰРЛАНҚЫЗЫ", "850712300453"),
        Profile::Sign(vec![role::INDIVIDUAL]),
        101,
        now + YEAR,
        false,
    )?;
    let company_head = end_entity(
        organisation(
            person("ҚАСЫМОВ", "ДӘУРЕН", "БОЛАТҰЛЫ", "791124400185"),
            "ЖШС \"АЛАТАУ ТЕХНОЛОДЖИ\"",
            "091240012346",
        ),
        Profile::Sign(vec![role::EMPLOYEE_OF_LEGAL_ENTITY, role::FIRST_HEAD]),
        102,
        now + YEAR,
        true,
    )?;
    // The end user of the examples, and an employee of the importer without the right to
    // sign: an incoming package needs the one and must refuse the other.
    let end_user_head = end_entity(
        organisation(
            person("БЕКОВА", "ДИНАРА", "МАРАТҚЫЗЫ", "860305400210"),
            "ЖШС \"ҚАЗТЕХЭНЕРГО СЕРВИС\"",
            "150340005675",
        ),
        Profile::Sign(vec![role::EMPLOYEE_OF_LEGAL_ENTITY, role::FIRST_HEAD]),
        108,
        now + YEAR,
        false,
    )?;
    let company_employee = end_entity(
        organisation(
            person("ӘБІЛОВ", "САНЖАР", "ТАЛҒАТҰЛЫ", "901115400339"),
            "ЖШС \"АЛАТАУ ТЕХНОЛОДЖИ\"",
            "091240012346",
        ),
        Profile::Sign(vec![role::EMPLOYEE_OF_LEGAL_ENTITY, role::EMPLOYEE]),
        109,
        now + YEAR,
        false,
    )?;
    let auth_only = end_entity(
        person("ОСПАНОВА", "ӘЙГЕРІМ", "НҰРЛАНҚЫЗЫ", "850712300453"),
        Profile::Auth(vec![role::INDIVIDUAL]),
        103,
        now + YEAR,
        false,
    )?;
    let revoked = end_entity(
        person("СӘРСЕНОВ", "НҰРЛАН", "АСҚАРҰЛЫ", "891205400176"),
        Profile::Sign(vec![role::INDIVIDUAL]),
        104,
        now + YEAR,
        false,
    )?;
    let expired = end_entity(
        person("ТӨЛЕУОВ", "АЙДОС", "ЕРЛАНҰЛЫ", "750321400562"),
        Profile::Sign(vec![role::INDIVIDUAL]),
        105,
        now - 30 * 24 * 3600,
        false,
    )?;
    let ocsp = end_entity(
        vec![
            (Nid::COMMONNAME, format!("{DEV_MARKER} OCSP RESPONDER")),
            (Nid::COUNTRYNAME, "KZ".into()),
        ],
        Profile::Ocsp,
        106,
        now + YEAR,
        false,
    )?;
    let tsa = end_entity(
        vec![
            (Nid::COMMONNAME, format!("{DEV_MARKER} TSA")),
            (Nid::COUNTRYNAME, "KZ".into()),
        ],
        Profile::Tsa,
        107,
        now + YEAR,
        false,
    )?;

    let root_pem = out.join("root.pem");
    write(&root_pem, &root.cert.to_pem().map_err(ssl)?, &mut all)?;
    let nca_pem = out.join("nca.pem");
    write(&nca_pem, &nca.cert.to_pem().map_err(ssl)?, &mut all)?;
    let crl_path = out.join("nca.crl");
    write(
        &crl_path,
        &crl(&nca, &[104], now - 3600, now + 7 * 24 * 3600)?,
        &mut all,
    )?;
    let root_crl = out.join("root.crl");
    write(
        &root_crl,
        &crl(&root, &[], now - 3600, now + 7 * 24 * 3600)?,
        &mut all,
    )?;
    // openssl ca's index: status, expiry, revocation time, serial (hex), file, subject.
    let mut index = String::new();
    for (issued, revoked_at) in [
        (&officer, None),
        (&individual, None),
        (&company_head, None),
        (&end_user_head, None),
        (&company_employee, None),
        (&auth_only, None),
        (&revoked, Some(now - 2 * 3600)),
        (&expired, None),
        (&ocsp, None),
        (&tsa, None),
    ] {
        let serial = issued
            .cert
            .serial_number()
            .to_bn()
            .and_then(|n| n.to_hex_str())
            .map_err(ssl)?;
        let expiry = issued.cert.not_after().to_string();
        let expiry = openssl_index_time(&expiry);
        match revoked_at {
            Some(at) => index.push_str(&format!(
                "R\t{expiry}\t{}\t{serial}\tunknown\t/CN=serial-{serial}\n",
                index_time(at)
            )),
            None => index.push_str(&format!(
                "V\t{expiry}\t\t{serial}\tunknown\t/CN=serial-{serial}\n"
            )),
        }
    }
    let nca_index = out.join("nca-index.txt");
    write(&nca_index, index.as_bytes(), &mut all)?;
    write(
        &out.join("nca-index.txt.attr"),
        b"unique_subject = no\n",
        &mut all,
    )?;
    let chain = [&nca.cert, &root.cert];
    let officer_p12 = out.join("officer.p12");
    for (file, issued) in [
        (&officer_p12, &officer),
        (&out.join("applicant-individual.p12"), &individual),
        (&out.join("applicant-company-head.p12"), &company_head),
        (&out.join("end-user-head.p12"), &end_user_head),
        (
            &out.join("applicant-company-employee.p12"),
            &company_employee,
        ),
        (&out.join("auth-only.p12"), &auth_only),
        (&out.join("revoked.p12"), &revoked),
        (&out.join("expired.p12"), &expired),
    ] {
        write_p12(file, issued, &chain, password, &mut all)?;
    }
    for (stem, issued) in [("ocsp", &ocsp), ("tsa", &tsa)] {
        write(
            &out.join(format!("{stem}.pem")),
            &issued.cert.to_pem().map_err(ssl)?,
            &mut all,
        )?;
        write(
            &out.join(format!("{stem}-key.pem")),
            &issued.key.private_key_to_pem_pkcs8().map_err(ssl)?,
            &mut all,
        )?;
    }
    Ok(DevPkiFiles {
        root: root_pem,
        nca: nca_pem,
        crl: crl_path,
        root_crl,
        nca_index,
        officer: officer_p12,
        all,
    })
}

/// `YYMMDDHHMMSSZ` of a Unix time, as `openssl ca` writes its index.
fn index_time(unix: i64) -> String {
    let time =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        time.year() % 100,
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// OpenSSL prints `Mar  2 09:30:00 2027 GMT`; the index wants `270302093000Z`.
fn openssl_index_time(printed: &str) -> String {
    crate::pki::openssl_time(printed)
        .map(index_time)
        .unwrap_or_else(|| "491231235959Z".to_string())
}
