//! Who a Kazakh EDS certificate names (`../shared/kz-pki.md`, "Who signed"): CN is
//! "SURNAME GIVEN-NAME", GIVENNAME (2.5.4.42) holds the patronymic, SERIALNUMBER is "IIN" + 12
//! digits, OU is "BIN" + 12 digits for legal entities, O the organisation.

use der::Decode;
use der::asn1::{PrintableStringRef, Utf8StringRef};
use x509_cert::Certificate;

use super::oid::{CN, GIVEN_NAME, O as ORGANISATION, OU as ORGANISATIONAL_UNIT, SERIAL_NUMBER};

/// The identity a certificate asserts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignerIdentity {
    /// Surname, name and patronymic (CN plus GIVENNAME).
    pub full_name: String,
    /// Individual identification number, from SERIALNUMBER.
    pub iin: Option<String>,
    /// Business identification number, from OU.
    pub bin: Option<String>,
    /// Organisation, from O.
    pub organisation: Option<String>,
    /// Certificate serial number, hex.
    pub serial_hex: String,
}

impl SignerIdentity {
    /// Reads the identity of a DER certificate. Memoised: the signer's certificate is read for
    /// the stamp of every issued document.
    pub fn from_der(der: &[u8]) -> Result<Self, der::Error> {
        static CACHE: super::cert::Memo<SignerIdentity> = super::cert::Memo::new();
        CACHE.get_or_try(&[der], || Self::read(der))
    }

    fn read(der: &[u8]) -> Result<Self, der::Error> {
        let cert = Certificate::from_der(der)?;
        let mut identity = SignerIdentity {
            serial_hex: hex::encode_upper(cert.tbs_certificate.serial_number.as_bytes()),
            ..Default::default()
        };
        let mut cn = None;
        let mut patronymic = None;
        for rdn in cert.tbs_certificate.subject.0.iter() {
            for atv in rdn.0.iter() {
                let value = Utf8StringRef::try_from(&atv.value)
                    .map(|s| s.as_str().to_string())
                    .or_else(|_| {
                        PrintableStringRef::try_from(&atv.value).map(|s| s.as_str().to_string())
                    });
                let Ok(value) = value else { continue };
                match atv.oid {
                    CN => cn = Some(value),
                    GIVEN_NAME => patronymic = Some(value),
                    SERIAL_NUMBER => identity.iin = value.strip_prefix("IIN").map(str::to_string),
                    ORGANISATION => identity.organisation = Some(value),
                    ORGANISATIONAL_UNIT => {
                        identity.bin = value.strip_prefix("BIN").map(str::to_string)
                    }
                    _ => {}
                }
            }
        }
        identity.full_name = match (cn, patronymic) {
            (Some(cn), Some(p)) => format!("{cn} {p}"),
            (Some(cn), None) => cn,
            (None, _) => String::new(),
        };
        Ok(identity)
    }
}
