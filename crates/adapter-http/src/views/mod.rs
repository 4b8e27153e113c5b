//! The JSON representations of domain values, as the API shows them: each a struct that is
//! what is serialised and what the OpenAPI document describes (`ToSchema`), so the two
//! cannot drift apart. Domain types are described through `value_type`s from `schemas`.

use application::Page;
use serde::Serialize;
use utoipa::ToSchema;

use crate::schemas;

mod enrollments;
mod events;
mod instances;
mod keys;

pub use enrollments::*;
pub use events::*;
pub use instances::*;
pub use keys::*;

/// A page of a list: `{ data, hasMore, nextCursor }`. `nextCursor` is given when more follow.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageView<T> {
    data: Vec<T>,
    has_more: bool,
    next_cursor: Option<String>,
}

/// The schema of a `PageView` of one kind of item, named for the document.
macro_rules! page_schema {
    ($(#[doc = $doc:literal])+ $name:ident of $item:ty) => {
        $(#[doc = $doc])+
        #[derive(Debug, ToSchema)]
        #[serde(rename_all = "camelCase")]
        #[allow(dead_code)]
        pub struct $name {
            data: Vec<$item>,
            has_more: bool,
            /// Given when `hasMore` is true: pass it as `cursor` for the next page.
            #[schema(required = true)]
            next_cursor: Option<schemas::Cursor>,
        }
    };
}

page_schema! {
    /// A page of program instances, newest first.
    InstancePage of InstanceView<'static>
}
page_schema! {
    /// The catalog: every program fits one page.
    ProgramPage of ProgramView<'static>
}
page_schema! {
    /// A page of an instance's history, oldest first.
    EventPage of EventView<'static>
}
page_schema! {
    /// The workspace's webhook endpoints: every one fits one page.
    EndpointPage of EndpointView<'static>
}
page_schema! {
    /// A page of an endpoint's deliveries, newest first.
    DeliveryPage of DeliveryView<'static>
}
page_schema! {
    /// A page of the workspace's API keys.
    KeyPage of KeyView<'static>
}
page_schema! {
    /// A page of an instance's enrollments, newest first.
    EnrollmentPage of EnrollmentView<'static>
}

/// A page of `items` rendered by `render`, with the cursor of its last item when more
/// follow.
pub fn page<'a, T, V: Serialize>(
    page: &'a Page<T>,
    render: impl Fn(&'a T) -> V,
    cursor_of: impl Fn(&T) -> String,
) -> PageView<V> {
    PageView {
        data: page.items.iter().map(render).collect(),
        has_more: page.has_more,
        next_cursor: page.items.last().filter(|_| page.has_more).map(cursor_of),
    }
}

/// A list that always fits one page.
pub fn whole<V: Serialize>(data: Vec<V>) -> PageView<V> {
    PageView {
        data,
        has_more: false,
        next_cursor: None,
    }
}
