//! Prometheus metrics: requests and latencies by route and status, documents issued by form,
//! render and sign durations, verifications by indication.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use crate::service::IssueTimings;
use crate::verify::Indication;

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    issued: IntCounterVec,
    work: HistogramVec,
    verified: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "eucdoc_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new("eucdoc_http_request_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
                ],
            ),
            &["route"],
        )
        .expect("static metric definition");
        let issued = IntCounterVec::new(
            Opts::new("eucdoc_documents_issued_total", "Documents issued by form"),
            &["form"],
        )
        .expect("static metric definition");
        let work = HistogramVec::new(
            HistogramOpts::new("eucdoc_work_seconds", "Render and sign durations").buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            &["step"],
        )
        .expect("static metric definition");
        let verified = IntCounterVec::new(
            Opts::new(
                "eucdoc_verifications_total",
                "Verifications by overall indication",
            ),
            &["indication"],
        )
        .expect("static metric definition");
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(issued.clone()),
            Box::new(work.clone()),
            Box::new(verified.clone()),
        ] {
            registry.register(metric).expect("unique metric names");
        }
        Self {
            registry,
            requests,
            latency,
            issued,
            work,
            verified,
        }
    }

    /// One request.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    /// One document issued.
    pub fn issued(&self, form: &str, timings: IssueTimings) {
        self.issued.with_label_values(&[form]).inc();
        self.work
            .with_label_values(&["render"])
            .observe(timings.render);
        self.work.with_label_values(&["sign"]).observe(timings.sign);
    }

    /// One verification.
    pub fn verified(&self, indication: Indication) {
        self.verified.with_label_values(&[indication.name()]).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
