//! The route table.

mod catalog;
mod enrollments;
mod instances;
mod keys;
mod operations;

use actix_web::http::Method;
use actix_web::{HttpResponse, Resource, web};

use crate::problem::ApiError;

/// A resource that answers 405 with `Allow` for methods it does not serve.
fn resource(path: &str, allowed: &'static [Method]) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allowed))
    }))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(resource("/healthz", &[Method::GET]).route(web::get().to(operations::healthz)))
        .service(resource("/readyz", &[Method::GET]).route(web::get().to(operations::readyz)))
        .service(resource("/metrics", &[Method::GET]).route(web::get().to(operations::metrics)))
        .service(
            resource("/openapi.json", &[Method::GET]).route(web::get().to(operations::openapi)),
        )
        .service(resource("/programs", &[Method::GET]).route(web::get().to(catalog::list)))
        .service(
            resource("/programs/{programSlug}", &[Method::GET]).route(web::get().to(catalog::get)),
        )
        .service(
            resource("/programs/{programSlug}/instances", &[Method::POST])
                .route(web::post().to(instances::create)),
        )
        .service(
            resource("/programInstances", &[Method::GET]).route(web::get().to(instances::list)),
        )
        .service(
            resource(
                "/programInstances/{id}",
                &[Method::GET, Method::PATCH, Method::DELETE],
            )
            .route(web::get().to(instances::get))
            .route(web::patch().to(instances::update))
            .route(web::delete().to(instances::delete)),
        )
        .service(
            resource("/programInstances/{id}/events", &[Method::GET])
                .route(web::get().to(instances::events)),
        )
        .service(
            resource("/programInstances/{id}/eligibility", &[Method::POST])
                .route(web::post().to(enrollments::check_eligibility)),
        )
        .service(
            resource(
                "/programInstances/{id}/enrollments",
                &[Method::GET, Method::POST],
            )
            .route(web::get().to(enrollments::list))
            .route(web::post().to(enrollments::enroll)),
        )
        .service(
            resource("/programInstances/{id}/stats", &[Method::GET])
                .route(web::get().to(enrollments::stats)),
        )
        .service(
            resource("/enrollments/{id}", &[Method::GET, Method::PATCH])
                .route(web::get().to(enrollments::get))
                .route(web::patch().to(enrollments::update)),
        )
        .service(
            resource("/apiKeys", &[Method::GET, Method::POST])
                .route(web::get().to(keys::list))
                .route(web::post().to(keys::create)),
        )
        .service(
            resource("/apiKeys/{id}", &[Method::DELETE]).route(web::delete().to(keys::revoke)),
        );
}
