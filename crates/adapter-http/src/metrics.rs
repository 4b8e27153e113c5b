//! Prometheus metrics: request counts and latency histograms by method, route and status,
//! plus whatever gauges the server registers (connection-pool usage).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum_seconds: f64,
    /// Count of observations at or below each bucket's bound.
    buckets: [u64; BUCKETS.len()],
}

type SeriesKey = (String, String, u16);

/// A gauge read when metrics are scraped: name, help text, value.
pub type GaugeReader = Box<dyn Fn() -> Vec<(&'static str, &'static str, f64)> + Send + Sync>;

#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<SeriesKey, Series>>,
    gauges: Option<GaugeReader>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn with_gauges(gauges: GaugeReader) -> Self {
        Self {
            series: Mutex::default(),
            gauges: Some(gauges),
        }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut series = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = series
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        for (bound, bucket) in BUCKETS.iter().zip(entry.buckets.iter_mut()) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
    }

    /// The Prometheus text exposition format (0.0.4).
    pub fn render(&self) -> String {
        let snapshot = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let mut out = String::new();
        let _ = writeln!(out, "# HELP http_requests_total HTTP requests served.");
        let _ = writeln!(out, "# TYPE http_requests_total counter");
        for ((method, route, status), series) in &snapshot {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                series.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP http_request_duration_seconds Time to serve HTTP requests."
        );
        let _ = writeln!(out, "# TYPE http_request_duration_seconds histogram");
        for ((method, route, status), series) in &snapshot {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            for (bound, count) in BUCKETS.iter().zip(series.buckets) {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                series.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{labels}}} {}",
                series.sum_seconds
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {}",
                series.count
            );
        }
        if let Some(gauges) = &self.gauges {
            for (name, help, value) in gauges() {
                let _ = writeln!(out, "# HELP {name} {help}");
                let _ = writeln!(out, "# TYPE {name} gauge");
                let _ = writeln!(out, "{name} {value}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.observe(
            "GET",
            "/programInstances/{id}",
            200,
            Duration::from_millis(3),
        );
        metrics.observe(
            "GET",
            "/programInstances/{id}",
            200,
            Duration::from_millis(30),
        );
        let text = metrics.render();
        assert!(text.contains(
            "http_requests_total{method=\"GET\",route=\"/programInstances/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
    }

    #[test]
    fn gauges_are_rendered() {
        let metrics = Metrics::with_gauges(Box::new(|| {
            vec![("db_pool_connections", "Open connections.", 3.0)]
        }));
        assert!(metrics.render().contains("db_pool_connections 3"));
    }
}
