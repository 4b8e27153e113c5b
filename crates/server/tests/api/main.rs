//! HTTP tests: each spawns the real server on a free port over its own PostgreSQL database.

// Test code: a failed expectation is meant to stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod auth;
mod auth_matrix;
mod browser;
mod catalog;
mod cli;
mod copies;
mod embedded;
mod enrollment_page;
mod enrollments;
mod errors;
mod events;
mod flips;
mod form_schema;
mod idempotency;
mod instances_create;
mod instances_lifecycle;
mod instances_list;
mod instances_read_delete;
mod instances_update;
mod isolation;
mod keys;
mod migrations;
mod operations;
mod page_fuzz;
mod processes;
mod reliability;
mod reports;
mod schema_parity;
mod webdriver;
mod webhooks;
