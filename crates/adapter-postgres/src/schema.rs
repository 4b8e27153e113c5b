//! The diesel schema of `migrations/postgres`.

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    programs (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        visibility -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    program_shares (workspace_id, program_id) {
        workspace_id -> Text,
        program_id -> Text,
    }
}

diesel::table! {
    program_instances (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        program_id -> Text,
        name -> Text,
        name_folded -> Text,
        description -> Nullable<Text>,
        slug -> Text,
        logo_url -> Nullable<Text>,
        eligibility_criteria -> Nullable<Jsonb>,
        custom_terms -> Nullable<Text>,
        form_config -> Nullable<Jsonb>,
        start_date -> Nullable<Timestamptz>,
        end_date -> Nullable<Timestamptz>,
        status -> Text,
        metadata -> Nullable<Jsonb>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    instance_events (workspace_id, instance_id, sequence) {
        workspace_id -> Text,
        instance_id -> Text,
        sequence -> Int8,
        kind -> Text,
        data -> Jsonb,
        actor_key_id -> Nullable<Text>,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        name -> Nullable<Text>,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Jsonb,
        instance_ids -> Nullable<Jsonb>,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    idempotency_records (workspace_id, key) {
        workspace_id -> Text,
        key -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Int4>,
        response_body -> Nullable<Text>,
        response_headers -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    enrollments (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        instance_id -> Text,
        status -> Text,
        customer -> Jsonb,
        device -> Jsonb,
        form_data -> Jsonb,
        eligibility -> Jsonb,
        status_reason -> Nullable<Text>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(program_shares -> programs (program_id));
diesel::allow_tables_to_appear_in_same_query!(programs, program_shares);
