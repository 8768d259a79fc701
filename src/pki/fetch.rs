//! Revocation data fetched over plain HTTP (OCSP and CRLs are signed, and Kazakhstan's
//! responders speak HTTP) from the pointers a certificate carries: its OCSP responders (AIA)
//! and CRL distribution points. Every fetch runs under a [`Budget`] (total time and number of
//! requests), so a dead network ends a verification in seconds, not minutes; what was fetched
//! is kept in the process until its nextUpdate. Nothing fetched is trusted here: callers check
//! it like any other revocation data.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use der::Decode;
use openssl::hash::MessageDigest;
use openssl::ocsp::{OcspCertId, OcspRequest};
use openssl::x509::X509;

/// Largest OCSP or TSA answer read.
const MAX_RESPONSE_BYTES: u64 = 256 * 1024;
/// Largest CRL fetched: Kazakhstan's production GOST CRL is ~21 MB.
const MAX_CRL_BYTES: u64 = 64 * 1024 * 1024;
/// Most bytes the process keeps fetched (CRLs mostly); past it the cache starts over.
const MAX_CACHED_BYTES: usize = 256 * 1024 * 1024;

/// How much fetching one verification may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Total time for every request of the verification.
    pub total: Duration,
    /// Number of requests (cache hits are free).
    pub requests: u32,
}

impl Default for FetchLimits {
    /// 5 seconds and 16 requests: a three-certificate chain needs at most 4 (OCSP, then a CRL,
    /// per certificate below the anchor).
    fn default() -> Self {
        FetchLimits {
            total: Duration::from_secs(5),
            requests: 16,
        }
    }
}

/// What is left of one verification's [`FetchLimits`].
#[derive(Debug)]
pub struct Budget {
    deadline: Instant,
    requests_left: AtomicU32,
}

impl Budget {
    /// A fresh budget, starting now.
    pub fn new(limits: FetchLimits) -> Self {
        Budget {
            deadline: Instant::now() + limits.total,
            requests_left: AtomicU32::new(limits.requests),
        }
    }

    /// Takes one request: the time it may use, or why there is none left.
    fn take(&self) -> Result<Duration, String> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("the time for fetching is used up".into());
        }
        self.requests_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .map_err(|_| "the number of requests for fetching is used up".to_string())?;
        Ok(left)
    }
}

/// What was fetched for one certificate, and what did not answer.
#[derive(Debug, Default)]
pub struct Fetched {
    /// OCSP responses (DER), unchecked.
    pub ocsps: Vec<Vec<u8>>,
    /// CRLs (DER), unchecked.
    pub crls: Vec<Vec<u8>>,
    /// One line per source that gave nothing ("URL: why").
    pub failures: Vec<String>,
}

/// An OCSP request (DER) for `cert`, issued by `issuer` (SHA-1 CertID, as responders expect).
pub fn ocsp_request(cert: &X509, issuer: &X509) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let mut request = OcspRequest::new()?;
    request.add_id(OcspCertId::from_cert(MessageDigest::sha1(), cert, issuer)?)?;
    request.to_der()
}

/// The OCSP responses of the responders `cert` names, within `budget`.
pub fn ocsp_responses(cert: &X509, issuer: &X509, budget: &Budget) -> Fetched {
    let mut fetched = Fetched::default();
    let responders: Vec<String> = cert
        .ocsp_responders()
        .map(|list| list.iter().map(|u| u.to_string()).collect())
        .unwrap_or_default();
    for url in responders {
        let request = ocsp_request(cert, issuer);
        let result = request.map_err(|e| e.to_string()).and_then(|request| {
            cached_or(&format!("ocsp {url} {}", hex::encode(&request)), || {
                let timeout = budget.take()?;
                post(&url, "application/ocsp-request", &request, timeout)
            })
        });
        match result {
            Ok(body) => fetched.ocsps.push(body),
            Err(e) => fetched.failures.push(format!("OCSP {url}: {e}")),
        }
    }
    fetched
}

/// The CRLs at `cert`'s http:// distribution points, within `budget`, with what did not
/// answer.
pub fn crls(cert: &X509, budget: &Budget) -> Fetched {
    let mut fetched = Fetched::default();
    for url in distribution_points(cert) {
        match crl(&url, budget) {
            Ok(body) => fetched.crls.push(body),
            Err(e) => fetched.failures.push(format!("CRL {url}: {e}")),
        }
    }
    fetched
}

/// A certificate's status from data fetched under `budget`, as EU DSS looks for it: its OCSP
/// responders first; when none gives a usable answer (none named, none answering, an answer
/// that is stale, not signed by an authorised responder or "unknown"), the CRLs at its
/// distribution points. `judge` reads a status from OCSP responses and CRLs (what was at hand,
/// `ocsps` and `crls_at_hand`, then what was fetched) and says whether it is settled. Returns
/// the last status and every source that did not answer.
pub fn status_from_sources<S>(
    cert: &X509,
    issuer: &X509,
    budget: &Budget,
    ocsps: &[Vec<u8>],
    crls_at_hand: &[Vec<u8>],
    judge: impl Fn(&[Vec<u8>], &[Vec<u8>]) -> (S, bool),
) -> (S, Vec<String>) {
    let from_ocsp = ocsp_responses(cert, issuer, budget);
    let mut all_ocsps = ocsps.to_vec();
    all_ocsps.extend(from_ocsp.ocsps);
    let mut failures = from_ocsp.failures;
    let (status, settled) = judge(&all_ocsps, crls_at_hand);
    if settled {
        return (status, failures);
    }
    let from_crls = crls(cert, budget);
    failures.extend(from_crls.failures);
    let mut all_crls = crls_at_hand.to_vec();
    all_crls.extend(from_crls.crls);
    (judge(&all_ocsps, &all_crls).0, failures)
}

fn distribution_points(cert: &X509) -> Vec<String> {
    let Some(points) = cert.crl_distribution_points() else {
        return Vec::new();
    };
    points
        .iter()
        .filter_map(|point| point.distpoint()?.fullname())
        .flat_map(|names| {
            names
                .iter()
                .filter_map(|name| name.uri().map(str::to_string))
        })
        .filter(|url| url.starts_with("http://"))
        .collect()
}

fn crl(url: &str, budget: &Budget) -> Result<Vec<u8>, String> {
    cached_or(&format!("crl {url}"), || {
        let timeout = budget.take()?;
        get(url, timeout, MAX_CRL_BYTES)
    })
}

/// POSTs `body` over plain HTTP and reads a bounded answer.
pub fn post(
    url: &str,
    content_type: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    if !url.starts_with("http://") {
        return Err("only http:// URLs are supported".into());
    }
    let mut response = agent(timeout)
        .post(url)
        .header("Content-Type", content_type)
        .send(body)
        .map_err(|e| e.to_string())?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|e| e.to_string())
}

fn get(url: &str, timeout: Duration, limit: u64) -> Result<Vec<u8>, String> {
    let mut response = agent(timeout).get(url).call().map_err(|e| e.to_string())?;
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| e.to_string())
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Fetched answers by request, each with the Unix time it stops being current.
type Cache = HashMap<String, (Vec<u8>, i64)>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: std::sync::OnceLock<Mutex<Cache>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn now() -> i64 {
    time::UtcDateTime::now().unix_timestamp()
}

/// The cached answer to `key` while it is current, else `fetch`'s, kept until its nextUpdate
/// (an answer without one is not kept).
fn cached_or(
    key: &str,
    fetch: impl FnOnce() -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, String> {
    if let Ok(cache) = cache().lock()
        && let Some((body, until)) = cache.get(key)
        && *until > now()
    {
        return Ok(body.clone());
    }
    let body = fetch()?;
    if let Some(until) = next_update(&body)
        && let Ok(mut cache) = cache().lock()
    {
        let held: usize = cache.values().map(|(b, _)| b.len()).sum();
        if held + body.len() > MAX_CACHED_BYTES {
            cache.clear();
        }
        cache.insert(key.to_string(), (body.clone(), until));
    }
    Ok(body)
}

/// The nextUpdate (Unix seconds) of a CRL, or the earliest of an OCSP response's answers.
fn next_update(body: &[u8]) -> Option<i64> {
    if let Ok(crl) = x509_cert::crl::CertificateList::from_der(body) {
        return crl
            .tbs_cert_list
            .next_update
            .map(|t| t.to_unix_duration().as_secs() as i64);
    }
    let response = x509_ocsp::OcspResponse::from_der(body).ok()?;
    let bytes = response.response_bytes?;
    let basic = x509_ocsp::BasicOcspResponse::from_der(bytes.response.as_bytes()).ok()?;
    basic
        .tbs_response_data
        .responses
        .iter()
        .map(|r| {
            r.next_update
                .map(|t| t.0.to_unix_duration().as_secs() as i64)
        })
        .collect::<Option<Vec<i64>>>()?
        .into_iter()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_runs_out_of_requests_and_of_time() {
        let budget = Budget::new(FetchLimits {
            total: Duration::from_secs(60),
            requests: 2,
        });
        assert!(budget.take().is_ok() && budget.take().is_ok());
        assert!(budget.take().unwrap_err().contains("number of requests"));
        let spent = Budget::new(FetchLimits {
            total: Duration::ZERO,
            requests: 2,
        });
        assert!(spent.take().unwrap_err().contains("time"));
    }
}
