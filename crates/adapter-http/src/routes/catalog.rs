//! `/programs`: the catalog visible to the caller's workspace.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};

use domain::Slug;

use crate::HttpState;
use crate::auth::Caller;
use crate::path::found;
use crate::problem::ApiError;
use crate::reply::Reply;
use crate::{schemas, views};

/// The catalog visible to the workspace
///
/// Public programs and the private ones shared with the caller's workspace, in one page.
#[utoipa::path(
    get, path = "/programs", operation_id = "listPrograms", tag = "programs",
    responses((status = 200, description = "Every program the workspace sees.", body = views::ProgramPage))
)]
pub async fn list(state: Data<HttpState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let programs = state.call(move |app| app.list_programs(&caller.0)).await?;
    let view = views::whole(programs.iter().map(views::program).collect());
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

/// One catalog program
#[utoipa::path(
    get, path = "/programs/{programSlug}", operation_id = "getProgram", tag = "programs",
    params(("programSlug" = schemas::Slug, Path, description = "The program's slug.")),
    responses((status = 200, description = "The program.", body = views::ProgramView))
)]
pub async fn get(
    state: Data<HttpState>,
    caller: Caller,
    slug: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = found(Slug::parse(&slug), "program")?;
    let program = state
        .call(move |app| app.get_program(&caller.0, &slug))
        .await?;
    Ok(Reply::json(StatusCode::OK, &views::program(&program))?.into_response())
}
