//! What a bare stack does for the benchmark's endpoints: one query per request on the
//! service's own `program_instances` table, over an r2d2 pool of diesel connections on the
//! blocking pool, rendered with serde. No authentication, no validation, no events, no
//! idempotency: the floor the service is compared with (`just bench`).
//!
//! `DATABASE_URL`, `BIND_ADDR` (default `127.0.0.1:18182`), `BARE_WORKSPACE` (whose rows it
//! serves), `DB_POOL_SIZE` (default twice the cores, as the service).

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

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
        eligibility_criteria -> Nullable<Json>,
        custom_terms -> Nullable<Text>,
        form_config -> Nullable<Json>,
        start_date -> Nullable<Timestamptz>,
        end_date -> Nullable<Timestamptz>,
        status -> Text,
        metadata -> Nullable<Json>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = program_instances)]
#[serde(rename_all = "camelCase")]
struct Instance {
    workspace_id: String,
    id: String,
    program_id: String,
    name: String,
    #[serde(skip)]
    name_folded: String,
    description: Option<String>,
    slug: String,
    logo_url: Option<String>,
    eligibility_criteria: Option<Value>,
    custom_terms: Option<String>,
    form_config: Option<Value>,
    #[serde(with = "time::serde::rfc3339::option")]
    start_date: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    end_date: Option<OffsetDateTime>,
    status: String,
    metadata: Option<Value>,
    version: i64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewInstance {
    name: String,
    description: Option<String>,
    logo_url: Option<String>,
    eligibility_criteria: Option<Value>,
    custom_terms: Option<String>,
    form_config: Option<Value>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    start_date: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    end_date: Option<OffsetDateTime>,
    metadata: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<i64>,
    status: Option<String>,
}

type PgPool = Pool<ConnectionManager<PgConnection>>;

struct State {
    pool: PgPool,
    workspace: String,
    next: std::sync::atomic::AtomicU64,
}

fn failure(error: impl std::fmt::Display) -> String {
    error.to_string()
}

fn internal(error: String) -> actix_web::Error {
    actix_web::error::ErrorInternalServerError(error)
}

async fn get(
    state: web::Data<Arc<State>>,
    id: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    let state = state.get_ref().clone();
    let found = web::block(move || {
        let mut conn = state.pool.get().map_err(failure)?;
        program_instances::table
            .filter(program_instances::workspace_id.eq(&state.workspace))
            .filter(program_instances::id.eq(id.as_str()))
            .select(Instance::as_select())
            .first(&mut conn)
            .optional()
            .map_err(failure)
    })
    .await?
    .map_err(internal)?;
    Ok(match found {
        Some(instance) => HttpResponse::Ok().json(instance),
        None => HttpResponse::NotFound().finish(),
    })
}

async fn list(
    state: web::Data<Arc<State>>,
    query: web::Query<ListQuery>,
) -> actix_web::Result<HttpResponse> {
    let state = state.get_ref().clone();
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(20);
    let rows = web::block(move || {
        let mut conn = state.pool.get().map_err(failure)?;
        let mut select = program_instances::table
            .filter(program_instances::workspace_id.eq(&state.workspace))
            .into_boxed();
        if let Some(status) = query.status {
            select = select.filter(program_instances::status.eq(status));
        }
        select
            .order((
                program_instances::created_at.desc(),
                program_instances::id.desc(),
            ))
            .limit(limit + 1)
            .select(Instance::as_select())
            .load(&mut conn)
            .map_err(failure)
    })
    .await?
    .map_err(internal)?;
    let has_more = rows.len() as i64 > limit;
    let data: Vec<_> = rows.into_iter().take(limit as usize).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": data, "hasMore": has_more })))
}

async fn create(
    state: web::Data<Arc<State>>,
    body: web::Json<NewInstance>,
) -> actix_web::Result<HttpResponse> {
    let state = state.get_ref().clone();
    let body = body.into_inner();
    let created = web::block(move || {
        let now = OffsetDateTime::now_utc();
        let n = state
            .next
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A CUID's shape, so that the service reads these rows too.
        let id = format!("c{:012x}{n:012x}", now.unix_timestamp_nanos() % (1 << 48));
        let instance = Instance {
            workspace_id: state.workspace.clone(),
            id: id.clone(),
            program_id: "prog_battery_rebate".into(),
            name_folded: body.name.to_lowercase(),
            slug: format!("bare-{id}"),
            name: body.name,
            description: body.description,
            logo_url: body.logo_url,
            eligibility_criteria: body.eligibility_criteria,
            custom_terms: body.custom_terms,
            form_config: body.form_config,
            start_date: body.start_date,
            end_date: body.end_date,
            status: "active".into(),
            metadata: body.metadata,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut conn = state.pool.get().map_err(failure)?;
        diesel::insert_into(program_instances::table)
            .values(&instance)
            .execute(&mut conn)
            .map_err(failure)?;
        Ok::<_, String>(instance)
    })
    .await?
    .map_err(internal)?;
    Ok(HttpResponse::Created().json(created))
}

fn main() -> std::io::Result<()> {
    let url = std::env::var("DATABASE_URL").map_err(std::io::Error::other)?;
    let bind = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:18182".into());
    let workspace = std::env::var("BARE_WORKSPACE").map_err(std::io::Error::other)?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let size = std::env::var("DB_POOL_SIZE")
        .ok()
        .and_then(|size| size.parse().ok())
        .unwrap_or((cores * 2).max(4) as u32);
    let pool = Pool::builder()
        .max_size(size)
        .build(ConnectionManager::<PgConnection>::new(url))
        .map_err(std::io::Error::other)?;
    let state = Arc::new(State {
        pool,
        workspace,
        next: std::sync::atomic::AtomicU64::new(0),
    });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .route("/programInstances/{id}", web::get().to(get))
                .route("/programInstances", web::get().to(list))
                .route("/programs/battery-rebate/instances", web::post().to(create))
                // A webhook receiver for the delivery measurement: takes anything, answers 204.
                .route(
                    "/hook",
                    web::post().to(|| async { HttpResponse::NoContent().finish() }),
                )
        })
        .bind(bind)?
        .run()
        .await
    })
}
