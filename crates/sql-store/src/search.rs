//! Name search that every engine answers alike: names are case-folded by the application
//! into `name_folded`, and searched with `LIKE` whose wildcards are escaped.

/// The search form of a name.
pub fn fold_case(text: &str) -> String {
    text.to_lowercase()
}

/// A `LIKE … ESCAPE '\'` pattern matching `text` anywhere, with its wildcards literal.
pub(crate) fn contains_pattern(text: &str) -> String {
    let escaped = fold_case(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_patterns_escape_wildcards_and_fold_case() {
        assert_eq!(contains_pattern("50% OFF_x\\"), "%50\\% off\\_x\\\\%");
    }
}
