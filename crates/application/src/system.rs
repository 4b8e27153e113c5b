use domain::Timestamp;
use ports::{Clock, IdGenerator};
use time::OffsetDateTime;

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(OffsetDateTime::now_utc())
    }
}

/// CUID (v1) identifiers such as `cllgn0u4r000008l7eazybfbo`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CuidGenerator;

impl IdGenerator for CuidGenerator {
    fn new_id(&self) -> String {
        cuid::cuid1()
    }
}
