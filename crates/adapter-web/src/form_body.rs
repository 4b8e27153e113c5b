//! Reading an `application/x-www-form-urlencoded` body as the page's fields, strictly: a
//! broken percent escape or a value that is not UTF-8 makes the whole body unreadable (the
//! 400 page), never a value with a replacement character in it that would then be stored as
//! if the customer had typed it.

use crate::fields::Submitted;

/// A body that is not a form this page can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undecodable;

/// The fields of a form body, each with its values in the order sent.
pub fn parse(body: &[u8]) -> Result<Submitted, Undecodable> {
    let mut submitted = Submitted::new();
    for pair in body.split(|b| *b == b'&').filter(|pair| !pair.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        submitted
            .entry(decode(name)?)
            .or_default()
            .push(decode(value)?);
    }
    Ok(submitted)
}

/// One name or value: `+` is a space, `%XY` the byte XY, and the bytes must be UTF-8.
fn decode(encoded: &[u8]) -> Result<String, Undecodable> {
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut rest = encoded.iter();
    while let Some(&byte) = rest.next() {
        bytes.push(match byte {
            b'+' => b' ',
            b'%' => {
                let high = rest.next().and_then(|b| hex_digit(*b)).ok_or(Undecodable)?;
                let low = rest.next().and_then(|b| hex_digit(*b)).ok_or(Undecodable)?;
                (high << 4) | low
            }
            other => other,
        });
    }
    String::from_utf8(bytes).map_err(|_| Undecodable)
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str) -> Vec<(String, Vec<String>)> {
        parse(body.as_bytes()).unwrap().into_iter().collect()
    }

    #[test]
    fn fields_keep_every_value_in_order() {
        assert_eq!(
            fields("a=1&b=x+y%26z&a=2&&c&d="),
            [
                ("a".to_owned(), vec!["1".to_owned(), "2".to_owned()]),
                ("b".to_owned(), vec!["x y&z".to_owned()]),
                ("c".to_owned(), vec![String::new()]),
                ("d".to_owned(), vec![String::new()]),
            ]
        );
        assert_eq!(
            fields("n=%C3%A9%0D%0A%00"),
            [("n".to_owned(), vec!["é\r\n\0".to_owned()])]
        );
        assert!(parse(b"").unwrap().is_empty());
    }

    #[test]
    fn broken_escapes_and_bytes_that_are_not_utf8_are_undecodable() {
        for body in [
            &b"a=%"[..],
            b"a=%4",
            b"a=%zz",
            b"a=%FF",
            b"%C3=1",
            b"a=\xff",
            b"a=%C3%28",
        ] {
            assert_eq!(parse(body), Err(Undecodable), "{body:?}");
        }
    }
}
