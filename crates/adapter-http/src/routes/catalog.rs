//! `/programs`: the catalog visible to the caller's workspace.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};

use crate::HttpState;
use crate::auth::Caller;
use crate::blocking::run_blocking;
use crate::idempotency::Reply;
use crate::problem::ApiError;
use crate::views;

pub async fn list(state: Data<HttpState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let app = state.app.clone();
    let programs = run_blocking(&state, move || app.list_programs(&caller.0)).await?;
    let view = views::whole(programs.iter().map(views::program).collect());
    Ok(Reply::json(StatusCode::OK, &view).into_response())
}

pub async fn get(
    state: Data<HttpState>,
    caller: Caller,
    slug: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let app = state.app.clone();
    let program = run_blocking(&state, move || app.get_program(&caller.0, &slug)).await?;
    Ok(Reply::json(StatusCode::OK, &views::program(&program)).into_response())
}
