//! The route table: one list that both configures actix-web and says what is served, so a
//! test can hold it against the OpenAPI document.

mod catalog;
mod enrollments;
mod events;
mod instances;
mod keys;
pub(crate) mod operations;
mod reports;
mod webhooks;

use actix_web::http::Method;
use actix_web::{HttpResponse, Resource, web};

use crate::problem::ApiError;

/// A resource that answers 405 with `Allow` for methods it does not serve.
fn resource(path: &str, allowed: &'static [Method]) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allowed))
    }))
}

macro_rules! route_table {
    ($($path:literal => { $($method:ident => $handler:path),+ $(,)? }),+ $(,)?) => {
        pub fn configure(config: &mut web::ServiceConfig) {
            $(
                config.service(
                    resource($path, &[$(Method::$method),+])
                        $(.route(web::method(Method::$method).to($handler)))+
                );
            )+
        }

        /// Every method and path served.
        #[cfg(test)]
        pub const SERVED: &[(&str, &str)] = &[$($((stringify!($method), $path),)+)+];

        /// The OpenAPI operations of the handlers in the table.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($($handler),+),+))]
        pub struct Operations;
    };
}

route_table! {
    "/healthz" => { GET => operations::healthz },
    "/readyz" => { GET => operations::readyz },
    "/metrics" => { GET => operations::metrics },
    "/openapi.json" => { GET => operations::openapi },
    "/programs" => { GET => catalog::list },
    "/programs/{programSlug}" => { GET => catalog::get },
    "/programs/{programSlug}/instances" => { POST => instances::create },
    "/programInstances" => { GET => instances::list },
    "/programInstances/{id}" => {
        GET => instances::get,
        PATCH => instances::update,
        DELETE => instances::delete,
    },
    "/programInstances/{id}/copies" => { POST => instances::copy },
    "/programInstances/{id}/events" => { GET => instances::events },
    "/programInstances/{id}/form" => { GET => instances::form },
    "/programInstances/{id}/eligibility" => { POST => enrollments::check_eligibility },
    "/programInstances/{id}/enrollments" => {
        GET => enrollments::list,
        POST => enrollments::enroll,
    },
    "/programInstances/{id}/stats" => { GET => enrollments::stats },
    "/enrollments/{id}" => {
        GET => enrollments::get,
        PATCH => enrollments::update,
    },
    "/apiKeys" => {
        GET => keys::list,
        POST => keys::create,
    },
    "/apiKeys/{id}" => { DELETE => keys::revoke },
    "/reports/participation" => { GET => reports::participation },
    "/events" => { GET => events::list },
    "/events/{id}" => { GET => events::get },
    "/webhookEndpoints" => {
        GET => webhooks::list,
        POST => webhooks::create,
    },
    "/webhookEndpoints/{id}" => {
        GET => webhooks::get,
        PATCH => webhooks::update,
        DELETE => webhooks::delete,
    },
    "/webhookEndpoints/{id}/rotateSecret" => { POST => webhooks::rotate_secret },
    "/webhookEndpoints/{id}/deliveries" => { GET => webhooks::deliveries },
    "/webhookEndpoints/{id}/deliveries/{deliveryId}/retry" => { POST => webhooks::retry },
}
