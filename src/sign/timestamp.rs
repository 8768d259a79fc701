//! RFC 3161 timestamps from a time-stamping authority over HTTP: the request, the response, and
//! the checks done before a token is used (status, the token's own CMS signature, message
//! imprint, nonce).

use std::time::Duration;

use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

use crate::pki::timestamp::verified_tst_info;

use super::SignError;
use super::cms::digest_algorithm;
use super::signer::Digest;

/// Where timestamps come from.
#[derive(Debug, Clone)]
pub struct Tsa {
    /// The TSA's URL (`http://`; the answer is signed, so no transport security is needed).
    pub url: String,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Tsa {
    /// A TSA at `url` with a 10-second limit.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Obtains a timestamp token (DER ContentInfo) over `digest` of the data, checked as the
    /// module describes. Any failure is an error, never a missing timestamp.
    pub fn timestamp(&self, algorithm: Digest, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        let tsa_error = |what: String| SignError::Timestamp(format!("{}: {what}", self.url));
        let der_error = |e: der::Error| tsa_error(e.to_string());
        let mut nonce = [0u8; 8];
        openssl::rand::rand_bytes(&mut nonce).map_err(|e| tsa_error(e.to_string()))?;
        // A positive INTEGER in minimal DER: the first byte 0x40..=0x7f.
        nonce[0] = (nonce[0] & 0x3f) | 0x40;
        let imprint = MessageImprint {
            hash_algorithm: der::Decode::from_der(
                &digest_algorithm(algorithm).to_der().map_err(der_error)?,
            )
            .map_err(der_error)?,
            hashed_message: OctetString::new(digest).map_err(der_error)?,
        };
        let request = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: imprint.clone(),
            req_policy: None,
            nonce: Some(Int::new(&nonce).map_err(der_error)?),
            cert_req: true,
            extensions: None,
        }
        .to_der()
        .map_err(der_error)?;
        let response = self.post(&request).map_err(tsa_error)?;
        let response = TimeStampResp::from_der(&response).map_err(der_error)?;
        let status = response.status.status as u8;
        if status > 1 {
            return Err(tsa_error(format!(
                "the TSA refused the request (PKIStatus {status})"
            )));
        }
        let token = response
            .time_stamp_token
            .ok_or_else(|| tsa_error("granted, but no token".into()))?
            .to_der()
            .map_err(der_error)?;
        let info = verified_tst_info(&token).map_err(tsa_error)?;
        if info.message_imprint != imprint {
            return Err(tsa_error(
                "the token's message imprint is not over our data".into(),
            ));
        }
        if info.nonce.as_ref().map(|n| n.as_bytes())
            != Some(Int::new(&nonce).map_err(der_error)?.as_bytes())
        {
            return Err(tsa_error(
                "the token's nonce differs from the request's".into(),
            ));
        }
        Ok(token)
    }

    fn post(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        crate::pki::fetch::post(&self.url, "application/timestamp-query", body, self.timeout)
    }
}
