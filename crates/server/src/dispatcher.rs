//! The webhook dispatcher inside `serve`: one thread that turns logged events into
//! deliveries, claims the due ones and attempts them, many at once, on an actix runtime of
//! its own. Several processes on one PostgreSQL database share the work; each attempt is
//! claimed by one of them.
//!
//! Isolation: an endpoint has at most `per_endpoint` attempts in flight in this process;
//! one that has them all out is left out of the next claims, so a receiver that hangs holds
//! back its own deliveries only, never the others' (a hanging attempt costs a timer here,
//! not a thread).

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use adapter_webhooks::{Deliverer, SenderSettings};
use application::{Application, AttemptOutcome, ClaimLimits};
use domain::WebhookEndpointId;
use tokio::sync::mpsc;

/// The pause when there was nothing to claim, or no room to claim it.
const IDLE: Duration = Duration::from_millis(50);
/// The pause after storage failed (the database restarting, say).
const AFTER_FAILURE: Duration = Duration::from_secs(1);
/// How often the age of the oldest undelivered delivery is measured.
const MEASURE_EVERY: Duration = Duration::from_secs(5);
/// Deliveries one claim takes at most.
const CLAIM_AT_MOST: usize = 200;

pub const DELIVERIES_TOTAL: &str = "webhook_deliveries_total";
pub const OLDEST_UNDELIVERED: &str = "webhook_oldest_undelivered_seconds";

/// How much the dispatcher of one process has in flight at most.
#[derive(Debug, Clone, Copy)]
pub struct DispatchSettings {
    pub sender: SenderSettings,
    /// Attempts in flight at once, across endpoints.
    pub in_flight: usize,
    /// Attempts in flight at once to one endpoint.
    pub per_endpoint: usize,
}

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

/// Starts the dispatcher's thread. It stops once the application is gone (every server
/// holding it has stopped); attempts still in flight then are claimed again when their
/// lease ends.
pub fn start(app: &Arc<Application>, settings: DispatchSettings) {
    describe();
    let app = Arc::downgrade(app);
    let spawned = std::thread::Builder::new()
        .name("webhooks".to_owned())
        .spawn(move || {
            // Its threads (claims and records run on its blocking ones) carry its name.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_name("webhooks")
                .build();
            let runtime = match runtime {
                Ok(runtime) => runtime,
                Err(error) => {
                    tracing::error!(%error, "the webhook dispatcher has no runtime");
                    return;
                }
            };
            actix_web::rt::System::with_tokio_rt(move || runtime).block_on(async move {
                match Deliverer::new(settings.sender, settings.in_flight) {
                    Ok(deliverer) => run(app, Rc::new(deliverer), settings).await,
                    Err(error) => tracing::error!(%error, "webhooks cannot be delivered"),
                }
            });
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "the webhook dispatcher could not start");
    }
}

/// What this process has in flight, by endpoint.
#[derive(Debug, Default)]
struct InFlight {
    by_endpoint: HashMap<WebhookEndpointId, usize>,
    total: usize,
}

impl InFlight {
    fn started(&mut self, endpoint: &WebhookEndpointId) {
        *self.by_endpoint.entry(endpoint.clone()).or_default() += 1;
        self.total += 1;
    }

    fn finished(&mut self, endpoint: &WebhookEndpointId) {
        if let Some(count) = self.by_endpoint.get_mut(endpoint) {
            *count -= 1;
            if *count == 0 {
                self.by_endpoint.remove(endpoint);
            }
        }
        self.total = self.total.saturating_sub(1);
    }

    /// The next claim's limits: the room left, half an endpoint's share from any one
    /// endpoint (so that attempts to it keep going while the others finish), none from an
    /// endpoint without that much room.
    fn limits(&self, settings: &DispatchSettings) -> ClaimLimits {
        let per_claim = (settings.per_endpoint / 2).max(1);
        ClaimLimits {
            limit: settings
                .in_flight
                .saturating_sub(self.total)
                .min(CLAIM_AT_MOST),
            per_endpoint: per_claim,
            busy: self
                .by_endpoint
                .iter()
                .filter(|(_, count)| **count + per_claim > settings.per_endpoint)
                .map(|(endpoint, _)| endpoint.clone())
                .collect(),
        }
    }
}

async fn run(app: Weak<Application>, deliverer: Rc<Deliverer>, settings: DispatchSettings) {
    let (done, mut outcomes) = mpsc::unbounded_channel::<AttemptOutcome>();
    let mut in_flight = InFlight::default();
    let mut measured = Instant::now();
    loop {
        let Some(application) = app.upgrade() else {
            return;
        };
        let limits = in_flight.limits(&settings);
        let mut pause = IDLE;
        if limits.limit > 0 {
            let claimer = application.clone();
            let claimed = actix_web::rt::task::spawn_blocking(move || {
                claimer.claim_webhook_deliveries(&limits)
            })
            .await;
            match claimed {
                Ok(Ok(round)) => {
                    if !round.deliveries.is_empty() || round.dispatched_events > 0 {
                        // More may be due at once: claim again after what is ready.
                        pause = Duration::ZERO;
                    }
                    for outgoing in round.deliveries {
                        in_flight.started(&outgoing.claim.endpoint.id);
                        let deliverer = deliverer.clone();
                        let done = done.clone();
                        actix_web::rt::spawn(async move {
                            let result = deliverer.send(&outgoing.request).await;
                            // The receiving end lives as long as this loop.
                            let _ = done.send(AttemptOutcome {
                                claim: outgoing.claim,
                                result,
                            });
                        });
                    }
                }
                Ok(Err(error)) => {
                    let error = application::error_chain(&error);
                    tracing::warn!(%error, "claiming webhook deliveries failed");
                    pause = AFTER_FAILURE;
                }
                Err(error) => {
                    tracing::warn!(%error, "claiming webhook deliveries stopped");
                    pause = AFTER_FAILURE;
                }
            }
        }
        if measured.elapsed() >= MEASURE_EVERY {
            measured = Instant::now();
            // A database read: on a blocking thread, as the claims, not on the one that
            // drives every attempt.
            let measurer = application.clone();
            let age =
                actix_web::rt::task::spawn_blocking(move || measurer.oldest_undelivered_age())
                    .await;
            if let Ok(Ok(age)) = age {
                let seconds = age.map_or(0.0, |age| age.as_seconds_f64().max(0.0));
                metrics::gauge!(OLDEST_UNDELIVERED).set(seconds);
            }
        }
        drop(application);

        // Whatever finished meanwhile, waiting up to `pause` for the first one.
        let mut finished = Vec::new();
        if let Ok(Some(outcome)) = actix_web::rt::time::timeout(pause, outcomes.recv()).await {
            finished.push(outcome);
        }
        while let Ok(outcome) = outcomes.try_recv() {
            finished.push(outcome);
        }
        if finished.is_empty() {
            continue;
        }
        let (mut succeeded, mut failed) = (0u64, 0u64);
        for outcome in &finished {
            in_flight.finished(&outcome.claim.endpoint.id);
            if outcome.result.succeeded() {
                succeeded += 1;
            } else {
                failed += 1;
            }
        }
        metrics::counter!(DELIVERIES_TOTAL, "outcome" => "succeeded").increment(succeeded);
        metrics::counter!(DELIVERIES_TOTAL, "outcome" => "failed").increment(failed);
        let Some(application) = app.upgrade() else {
            return;
        };
        let recorded = actix_web::rt::task::spawn_blocking(move || {
            application.record_webhook_attempts(&finished)
        })
        .await;
        // Not recorded, an attempt is made again once its lease ends: at least once.
        match recorded {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                let error = application::error_chain(&error);
                tracing::warn!(%error, "recording webhook attempts failed");
            }
            Err(error) => tracing::warn!(%error, "recording webhook attempts stopped"),
        }
    }
}
