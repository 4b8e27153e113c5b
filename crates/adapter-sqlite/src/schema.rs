//! The diesel schema of `migrations/sqlite`.

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    programs (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        visibility -> Text,
        created_at -> BigInt,
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
        eligibility_criteria -> Nullable<Text>,
        custom_terms -> Nullable<Text>,
        form_config -> Nullable<Text>,
        start_date -> Nullable<BigInt>,
        end_date -> Nullable<BigInt>,
        status -> Text,
        metadata -> Nullable<Text>,
        version -> Int8,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    instance_events (sequence) {
        workspace_id -> Text,
        instance_id -> Text,
        sequence -> Int8,
        kind -> Text,
        data -> Text,
        actor_key_id -> Nullable<Text>,
        occurred_at -> BigInt,
    }
}

diesel::table! {
    api_keys (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        name -> Nullable<Text>,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Text,
        instance_ids -> Nullable<Text>,
        expires_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    idempotency_records (workspace_id, key) {
        workspace_id -> Text,
        key -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Int4>,
        response_body -> Nullable<Text>,
        response_headers -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    enrollments (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        instance_id -> Text,
        status -> Text,
        customer -> Text,
        device -> Text,
        form_data -> Text,
        eligibility -> Text,
        status_reason -> Nullable<Text>,
        version -> Int8,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::joinable!(program_shares -> programs (program_id));
diesel::allow_tables_to_appear_in_same_query!(programs, program_shares);
