//! Long-term renewal of archived documents (PAdES B-LTA, ETSI EN 319 142-1, 5.5): a new
//! incremental update with the validation data of every certificate the document's signatures
//! and timestamps rely on (document security store), then a document timestamp over all of it.
//! Repeated before the newest timestamp's certificates expire, this keeps a signature provable
//! after its signer's and its TSA's certificates have ended.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode};
use lopdf::{Document, Object};

use super::SignError;
use super::revocation::{self, RevocationSources};
use super::signer::Digest;
use super::timestamp::Tsa;
use crate::pki::oid::ID_AA_TIME_STAMP_TOKEN;

/// One signature or document timestamp found in a PDF.
struct Embedded {
    /// A document timestamp (`/Type /DocTimeStamp`) rather than a signature.
    document_timestamp: bool,
    /// Where its signed bytes end: the newest covers the most.
    covers: i64,
    /// Its CMS (DER).
    cms: Vec<u8>,
}

fn der_error(e: der::Error) -> SignError {
    SignError::Pdf(format!("an embedded CMS: {e}"))
}

/// Every signature and document timestamp in `pdf`, with its CMS.
fn embedded(pdf: &[u8]) -> Result<Vec<Embedded>, SignError> {
    let document = Document::load_mem(pdf).map_err(|e| SignError::Pdf(e.to_string()))?;
    let mut out = Vec::new();
    for object in document.objects.values() {
        let Ok(dictionary) = object.as_dict() else {
            continue;
        };
        let kind = dictionary.get(b"Type").and_then(Object::as_name);
        let document_timestamp = match kind {
            Ok(b"DocTimeStamp") => true,
            Ok(b"Sig") => false,
            _ => continue,
        };
        let (Ok(Object::String(contents, _)), Ok(range)) = (
            dictionary.get(b"Contents"),
            dictionary.get(b"ByteRange").and_then(Object::as_array),
        ) else {
            continue;
        };
        let numbers: Vec<i64> = range.iter().filter_map(|n| n.as_i64().ok()).collect();
        let [_, _, start, length] = numbers.as_slice() else {
            continue;
        };
        // /Contents is padded with zeros after the CMS.
        let (cms, _) = crate::pki::ber::to_der(contents)
            .map_err(|e| SignError::Pdf(format!("an embedded CMS: {e}")))?;
        out.push(Embedded {
            document_timestamp,
            covers: start.saturating_add(*length),
            cms,
        });
    }
    Ok(out)
}

/// The timestamp tokens in a signature's unsigned attributes (its signature timestamps).
fn signature_timestamps(cms: &[u8]) -> Result<Vec<Vec<u8>>, SignError> {
    let info = ContentInfo::from_der(cms).map_err(der_error)?;
    let signed =
        SignedData::from_der(&info.content.to_der().map_err(der_error)?).map_err(der_error)?;
    let mut out = Vec::new();
    for signer in signed.signer_infos.0.iter() {
        for attribute in signer.unsigned_attrs.iter().flat_map(|a| a.iter()) {
            if attribute.oid == ID_AA_TIME_STAMP_TOKEN {
                for value in attribute.values.iter() {
                    out.push(value.to_der().map_err(der_error)?);
                }
            }
        }
    }
    Ok(out)
}

/// Every certificate the signatures and timestamps of `pdf` carry (DER): the signers' chains,
/// their signature timestamps' and the document timestamps' TSA chains.
pub fn certificates_of(pdf: &[u8]) -> Result<Vec<Vec<u8>>, SignError> {
    let mut out = Vec::new();
    for found in embedded(pdf)? {
        out.extend(super::cms::certificates(&found.cms)?);
        if !found.document_timestamp {
            for token in signature_timestamps(&found.cms)? {
                out.extend(super::cms::certificates(&token)?);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Why a document needs renewing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// It has no document timestamp yet (B-B, B-T or B-LT).
    NoArchiveTimestamp,
    /// Its newest document timestamp's certificates end at this time (Unix seconds).
    Expires(i64),
}

/// The earliest end of validity among `certificates` (Unix seconds).
fn earliest_expiry(certificates: &[Vec<u8>]) -> Result<Option<i64>, SignError> {
    let mut earliest: Option<i64> = None;
    for der in certificates {
        let certificate = x509_cert::Certificate::from_der(der).map_err(der_error)?;
        let end = certificate
            .tbs_certificate
            .validity
            .not_after
            .to_unix_duration()
            .as_secs()
            .min(i64::MAX as u64) as i64;
        earliest = Some(earliest.map_or(end, |e| e.min(end)));
    }
    Ok(earliest)
}

/// Whether `pdf` needs renewing before `horizon_end` (Unix seconds): it has no document
/// timestamp, or a certificate in its newest document timestamp (the TSA's or its chain's) ends
/// before then. `None`: it stays provable past the horizon.
pub fn due(pdf: &[u8], horizon_end: i64) -> Result<Option<Due>, SignError> {
    let newest = embedded(pdf)?
        .into_iter()
        .filter(|found| found.document_timestamp)
        .max_by_key(|found| found.covers);
    let Some(newest) = newest else {
        return Ok(Some(Due::NoArchiveTimestamp));
    };
    match earliest_expiry(&super::cms::certificates(&newest.cms)?)? {
        Some(end) if end > horizon_end => Ok(None),
        Some(end) => Ok(Some(Due::Expires(end))),
        // A token without certificates cannot be validated later: renew.
        None => Ok(Some(Due::NoArchiveTimestamp)),
    }
}

/// The certificates the TSA puts in its tokens now, learnt from one token over a throwaway
/// digest: they go into the store before the document timestamp they will sign, and their end
/// tells whether a renewal by this TSA lasts past a horizon.
pub fn tsa_certificates(tsa: &Tsa) -> Result<Vec<Vec<u8>>, SignError> {
    let probe =
        Digest::Sha256.hash_parts(&[b"eucdoc: which certificates does this TSA use".as_slice()]);
    let token = tsa.timestamp(Digest::Sha256, &probe)?;
    super::cms::certificates(&token)
}

/// When the TSA's certificates (as [`tsa_certificates`] gives them) first end (Unix seconds).
pub fn tsa_expiry(tsa_certificates: &[Vec<u8>]) -> Result<Option<i64>, SignError> {
    earliest_expiry(tsa_certificates)
}

/// Renews `pdf`: adds the validation data (OCSP responses or CRLs from `sources`, checked)
/// of every certificate its signatures and timestamps carry and of `tsa_certificates`, then a
/// document timestamp from `tsa` over the whole file. `now` is Unix seconds.
pub fn renew(
    pdf: &[u8],
    sources: &RevocationSources,
    tsa: &Tsa,
    tsa_certificates: &[Vec<u8>],
    now: i64,
) -> Result<Vec<u8>, SignError> {
    let mut certificates = certificates_of(pdf)?;
    certificates.extend(tsa_certificates.iter().cloned());
    certificates.sort();
    certificates.dedup();
    let data = revocation::collect(&certificates, sources, now)?;
    let with_store = super::pdf::add_dss(pdf, &data)?;
    super::add_document_timestamp(&with_store, tsa)
}
