//! The diesel schema, the same on every engine: `migrations/postgres` and
//! `migrations/sqlite` create these tables (the schema parity test compares them).

use crate::column_types::{Document, Instant};

diesel::table! {
    use diesel::sql_types::*;
    use super::{Document, Instant};

    workspaces (id) {
        id -> Text,
        name -> Text,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::Instant;

    programs (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        visibility -> Text,
        created_at -> Instant,
    }
}

diesel::table! {
    program_shares (workspace_id, program_id) {
        workspace_id -> Text,
        program_id -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::{Document, Instant};

    program_instances (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        program_id -> Text,
        name -> Text,
        name_folded -> Text,
        description -> Nullable<Text>,
        slug -> Text,
        logo_url -> Nullable<Text>,
        eligibility_criteria -> Nullable<Document>,
        custom_terms -> Nullable<Text>,
        form_config -> Nullable<Document>,
        start_date -> Nullable<Instant>,
        end_date -> Nullable<Instant>,
        status -> Text,
        metadata -> Nullable<Document>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        time_zone -> Text,
        seasons -> Nullable<Document>,
        season_days -> Nullable<Text>,
        next_flip_at -> Nullable<Instant>,
        revision -> BigInt,
        copied_from -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::{Document, Instant};

    events (seq) {
        seq -> BigInt,
        log_position -> Nullable<BigInt>,
        id -> Text,
        workspace_id -> Text,
        kind -> Text,
        instance_id -> Nullable<Text>,
        actor_key_id -> Nullable<Text>,
        created_at -> Instant,
        data -> Document,
    }
}

diesel::table! {
    event_log_head (id) {
        id -> Integer,
        log_position -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::{Document, Instant};

    api_keys (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        name -> Nullable<Text>,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Document,
        instance_ids -> Nullable<Document>,
        expires_at -> Nullable<Instant>,
        revoked_at -> Nullable<Instant>,
        created_at -> Instant,
        last_used_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::{Document, Instant};

    idempotency_records (workspace_id, key) {
        workspace_id -> Text,
        key -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        response_headers -> Nullable<Document>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::{Document, Instant};

    enrollments (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        instance_id -> Text,
        status -> Text,
        customer -> Document,
        device -> Document,
        form_data -> Document,
        eligibility -> Document,
        status_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        decided_at -> Nullable<Instant>,
        decision_micros -> Nullable<BigInt>,
        decision_bucket -> Nullable<BigInt>,
        instance_revision -> BigInt,
    }
}

diesel::table! {
    enrollment_tallies (workspace_id, instance_id, revision, day) {
        workspace_id -> Text,
        instance_id -> Text,
        revision -> BigInt,
        day -> BigInt,
        submitted -> BigInt,
        approved -> BigInt,
        rejected -> BigInt,
        unenrolled -> BigInt,
        ineligible -> BigInt,
        timed_decisions -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::Instant;

    instance_revisions (workspace_id, instance_id, revision) {
        workspace_id -> Text,
        instance_id -> Text,
        revision -> BigInt,
        began_at -> Instant,
    }
}

diesel::table! {
    decision_histogram (workspace_id, instance_id, revision, bucket) {
        workspace_id -> Text,
        instance_id -> Text,
        revision -> BigInt,
        bucket -> BigInt,
        decisions -> BigInt,
    }
}

diesel::table! {
    decision_histogram_coarse (workspace_id, instance_id, revision, bucket) {
        workspace_id -> Text,
        instance_id -> Text,
        revision -> BigInt,
        bucket -> BigInt,
        decisions -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::{Document, Instant};

    webhook_endpoints (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        url -> Text,
        event_types -> Nullable<Document>,
        description -> Nullable<Text>,
        disabled -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Instant>,
        failing_since -> Nullable<Instant>,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::Instant;

    webhook_deliveries (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        event_type -> Text,
        state -> Text,
        attempts -> Integer,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        last_duration_ms -> Nullable<BigInt>,
        next_attempt_at -> Nullable<Instant>,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    webhook_dispatch_head (id) {
        id -> Integer,
        log_position -> BigInt,
    }
}

diesel::joinable!(program_shares -> programs (program_id));
diesel::allow_tables_to_appear_in_same_query!(programs, program_shares);
diesel::allow_tables_to_appear_in_same_query!(webhook_deliveries, webhook_endpoints, events);
