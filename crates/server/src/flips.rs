//! The thread inside `serve` that logs `enrollmentOpened`/`enrollmentClosed` when time alone
//! flips `acceptingEnrollments` (a season or `startDate` opening, a season or `endDate`
//! closing): within a second of the instant, and at start for flips that passed while no
//! server ran. Any number of processes may run it; each flip is logged once (see
//! `Application::log_due_flips`).

use std::sync::{Arc, Weak};
use std::time::Duration;

use application::Application;

/// Instances one pass looks at most; a full pass is followed by another at once.
const BATCH: usize = 100;
/// The pause between passes that found less than a batch: the bound on how late a flip is
/// logged, well inside the 5 s the contract allows.
const EVERY: Duration = Duration::from_secs(1);

/// Starts the thread. It stops once the application is gone.
pub fn start(app: &Arc<Application>) {
    let app = Arc::downgrade(app);
    let spawned = std::thread::Builder::new()
        .name("enrollment-flips".to_owned())
        .spawn(move || run(app));
    if let Err(error) = spawned {
        tracing::error!(%error, "the enrollment flip thread could not start");
    }
}

fn run(app: Weak<Application>) {
    loop {
        let Some(app) = app.upgrade() else {
            return;
        };
        let full = match app.log_due_flips(BATCH) {
            Ok(looked_at) => looked_at == BATCH,
            Err(error) => {
                tracing::warn!(%error, "logging enrollment flips failed");
                false
            }
        };
        drop(app);
        if !full {
            std::thread::sleep(EVERY);
        }
    }
}
