//! The storage code, written once for every SQL backend.
//!
//! One diesel schema, one set of row structs and one set of queries run on
//! [`AnyConnection`], diesel's `MultiConnection` over PostgreSQL and SQLite. A backend crate
//! (`adapter-postgres`, `adapter-sqlite`) supplies only what truly differs, as a [`Backend`]:
//! how a write transaction begins, how a database error becomes a port error, and its
//! migrations; plus its pool and connection set-up. Column types that differ between the
//! engines (instants, JSON documents) are mapped once, in [`column_types`].
//!
//! Adding a column or a filter is one edit here and one migration per backend; the schema
//! parity test proves the migrated schemas agree.

mod catalog;
pub mod column_types;
mod connection;
mod enrollments;
mod events;
mod idempotency;
mod instances;
mod keys;
mod locks;
mod migrations;
mod paging;
mod reports;
mod rows;
mod schema;
mod search;
mod store;
mod tallies;
mod webhook_rows;
mod webhooks;

pub use connection::{
    AnyConnection, Connector, Pool, PoolUsage, Session, TxError, pool_builder,
    transaction_beginning_with,
};
pub use migrations::MigrationStatus;
pub use store::{Backend, POOL_WAIT_SECONDS, SetupError, SqlStore, unavailable};
