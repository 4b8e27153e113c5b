//! Keyset pages: fetch one row more than asked, to learn whether another page follows.

use ports::Page;

/// How many rows to fetch for a page of `limit`.
pub(crate) fn rows_to_fetch(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// The page of `limit` items from rows fetched with `rows_to_fetch(limit)`.
pub(crate) fn page_of<T>(mut rows: Vec<T>, limit: usize) -> Page<T> {
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    Page {
        items: rows,
        has_more,
    }
}
