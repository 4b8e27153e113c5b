//! The webhook dispatcher inside `serve`: threads that turn logged events into deliveries
//! and attempt the due ones (see `Application::deliver_webhooks`). Several processes on one
//! PostgreSQL database share the work; each attempt is claimed by one of them.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use application::Application;

/// Deliveries one round claims at most.
const BATCH: usize = 8;
/// The pause when a round found nothing to do.
const IDLE: Duration = Duration::from_millis(100);
/// The pause after storage failed (the database restarting, say).
const AFTER_FAILURE: Duration = Duration::from_secs(1);
/// How often the age of the oldest undelivered delivery is measured.
const MEASURE_EVERY: Duration = Duration::from_secs(5);

pub const DELIVERIES_TOTAL: &str = "webhook_deliveries_total";
pub const OLDEST_UNDELIVERED: &str = "webhook_oldest_undelivered_seconds";

fn describe() {
    static DESCRIBED: std::sync::Once = std::sync::Once::new();
    DESCRIBED.call_once(|| {
        metrics::describe_counter!(
            DELIVERIES_TOTAL,
            "Webhook delivery attempts, by outcome (succeeded, failed)."
        );
        metrics::describe_gauge!(
            OLDEST_UNDELIVERED,
            metrics::Unit::Seconds,
            "How long the oldest pending webhook delivery has waited."
        );
    });
}

/// Starts `workers` delivery threads. They stop once the application is gone (every
/// server holding it has stopped).
pub fn start(app: &Arc<Application>, workers: usize) {
    describe();
    for worker in 0..workers {
        let app = Arc::downgrade(app);
        let spawned = std::thread::Builder::new()
            .name(format!("webhooks-{worker}"))
            .spawn(move || run(app, worker == 0));
        if let Err(error) = spawned {
            tracing::error!(%error, "a webhook delivery thread could not start");
        }
    }
}

fn run(app: Weak<Application>, measures: bool) {
    let mut measured = Instant::now();
    loop {
        let Some(app) = app.upgrade() else {
            return;
        };
        let pause = match app.deliver_webhooks(BATCH) {
            Ok(round) => {
                if round.succeeded > 0 {
                    metrics::counter!(DELIVERIES_TOTAL, "outcome" => "succeeded")
                        .increment(round.succeeded as u64);
                }
                if round.failed > 0 {
                    metrics::counter!(DELIVERIES_TOTAL, "outcome" => "failed")
                        .increment(round.failed as u64);
                }
                let busy = round.succeeded + round.failed + round.dispatched_events > 0;
                (!busy).then_some(IDLE)
            }
            Err(error) => {
                tracing::warn!(error = %error, "webhook delivery round failed");
                Some(AFTER_FAILURE)
            }
        };
        if measures && measured.elapsed() >= MEASURE_EVERY {
            measured = Instant::now();
            if let Ok(age) = app.oldest_undelivered_age() {
                let seconds = age.map_or(0.0, |age| age.as_seconds_f64().max(0.0));
                metrics::gauge!(OLDEST_UNDELIVERED).set(seconds);
            }
        }
        drop(app);
        if let Some(pause) = pause {
            std::thread::sleep(pause);
        }
    }
}
