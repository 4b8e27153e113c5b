//! Opaque pagination cursors: a position (a few fields) with a checksum, hex-encoded, so a
//! mangled or hand-edited cursor is refused instead of silently paging from elsewhere.

use blake2::{Blake2s256, Digest};

const CHECKSUM_LEN: usize = 8;
const CONTEXT: &[u8] = b"program-instances cursor v1\n";

fn checksum(payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = Blake2s256::new()
        .chain_update(CONTEXT)
        .chain_update(payload)
        .finalize();
    let mut sum = [0u8; CHECKSUM_LEN];
    sum.copy_from_slice(&digest[..CHECKSUM_LEN]);
    sum
}

/// The shape of every cursor `encode` makes: lowercase hex, at least the checksum.
pub const PATTERN: &str = "^(?:[0-9a-f]{2}){8,512}$";

pub fn encode(fields: &[&str]) -> String {
    let payload = fields.join("\n");
    let mut bytes = payload.into_bytes();
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The fields of a cursor made by `encode`; `None` for anything else.
pub fn decode(text: &str) -> Option<Vec<String>> {
    let well_formed = text.len().is_multiple_of(2)
        && (2 * CHECKSUM_LEN..=1_024).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return None;
    }
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let split = bytes.len().checked_sub(CHECKSUM_LEN)?;
    let (payload, sum) = bytes.split_at(split);
    if checksum(payload) != sum {
        return None;
    }
    let payload = String::from_utf8(payload.to_vec()).ok()?;
    Some(payload.split('\n').map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = encode(&["1700000000000000", "cllgn0u4r000008l7eazybfbo"]);
        assert_eq!(
            decode(&cursor),
            Some(vec![
                "1700000000000000".to_owned(),
                "cllgn0u4r000008l7eazybfbo".to_owned()
            ])
        );
    }

    #[test]
    fn tampered_cursors_are_refused() {
        let cursor = encode(&["1700000000000000", "cllgn0u4r000008l7eazybfbo"]);
        let mut tampered = cursor.clone().into_bytes();
        tampered[3] = if tampered[3] == b'0' { b'1' } else { b'0' };
        assert_eq!(decode(&String::from_utf8(tampered).unwrap()), None);
        assert_eq!(decode(&cursor[2..]), None);
        assert_eq!(decode("zz"), None);
        assert_eq!(decode(""), None);
        assert_eq!(decode("é"), None);
    }
}
