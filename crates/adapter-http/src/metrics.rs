//! Metrics through the `metrics` facade, rendered by its Prometheus exporter at `/metrics`.
//! Every series of the HTTP edge is named here, with its help text; storage adapters record
//! theirs (pool waits) through the same facade, into the same recorder.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

const REQUESTS: &str = "http_requests_total";
const REQUEST_SECONDS: &str = "http_request_duration_seconds";
const AUTH_FAILURES: &str = "auth_failures_total";
const AUTH_LIMITED: &str = "auth_rate_limited_total";
const REPLAYS: &str = "idempotent_replays_total";
const KEY_CACHE: &str = "key_cache_lookups_total";

/// A gauge read when metrics are scraped: name, help text, value.
pub type GaugeReader = Box<dyn Fn() -> Vec<(&'static str, &'static str, f64)> + Send + Sync>;

/// The process-wide recorder, installed once: every server of the process (tests start
/// several) records into it and renders it.
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Every duration (`…_seconds`: requests, and the storage's pool waits) in buckets.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
            .unwrap_or_else(|error| {
                tracing::error!(%error, "latency buckets refused; histograms become summaries");
                PrometheusBuilder::new()
            });
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::error!(%error, "another metrics recorder is installed; /metrics stays empty");
        }
        describe_counter!(
            REQUESTS,
            "HTTP requests served, by method, route and status."
        );
        describe_histogram!(
            REQUEST_SECONDS,
            Unit::Seconds,
            "Time to serve HTTP requests, by method, route and status."
        );
        describe_counter!(
            AUTH_FAILURES,
            "Requests refused with 401: no key, or an unknown, revoked or expired one."
        );
        describe_counter!(
            AUTH_LIMITED,
            "Requests refused with 429: too many verifications from one client address."
        );
        describe_counter!(
            REPLAYS,
            "POSTs answered by replaying the answer kept for their Idempotency-Key."
        );
        describe_counter!(
            KEY_CACHE,
            "Key verifications answered from the in-process cache (hit) or not (miss)."
        );
        handle
    })
}

/// What `/metrics` shows, and the gauges read at each scrape.
pub struct Metrics {
    handle: &'static PrometheusHandle,
    gauges: Option<GaugeReader>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            handle: recorder(),
            gauges: None,
        }
    }
}

impl Metrics {
    pub fn with_gauges(gauges: GaugeReader) -> Self {
        Self {
            handle: recorder(),
            gauges: Some(gauges),
        }
    }

    /// Drains what the recorder buffers; histograms grow until this runs (a scrape does it
    /// too). The server calls it every few seconds.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        if let Some(gauges) = &self.gauges {
            for (name, help, value) in gauges() {
                describe_gauge!(name, help);
                metrics::gauge!(name).set(value);
            }
        }
        self.handle.render()
    }
}

pub fn request_served(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    counter!(REQUESTS, &labels).increment(1);
    histogram!(REQUEST_SECONDS, &labels).record(elapsed.as_secs_f64());
}

pub fn authentication_failed() {
    counter!(AUTH_FAILURES).increment(1);
}

pub fn authentication_limited() {
    counter!(AUTH_LIMITED).increment(1);
}

pub fn idempotent_replay() {
    counter!(REPLAYS).increment(1);
}

pub fn key_cache(hit: bool) {
    counter!(KEY_CACHE, "result" => if hit { "hit" } else { "miss" }).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_cumulative_buckets_and_gauges_are_read_at_scrape() {
        let metrics = Metrics::with_gauges(Box::new(|| {
            vec![("db_pool_connections", "Open connections.", 3.0)]
        }));
        let route = "/metrics-test/{id}";
        request_served("GET", route, 200, Duration::from_millis(3));
        request_served("GET", route, 200, Duration::from_millis(30));
        let text = metrics.render();
        let labels = format!("method=\"GET\",route=\"{route}\",status=\"200\"");
        assert!(
            text.contains(&format!("http_requests_total{{{labels}}} 2")),
            "{text}"
        );
        assert!(text.contains(&format!(
            "http_request_duration_seconds_bucket{{{labels},le=\"0.005\"}} 1"
        )));
        assert!(text.contains(&format!(
            "http_request_duration_seconds_bucket{{{labels},le=\"0.05\"}} 2"
        )));
        assert!(text.contains("db_pool_connections 3"));
        assert!(text.contains("# HELP http_requests_total"));
    }
}
