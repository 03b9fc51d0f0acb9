//! Byte offsets (inside Rust) to code-point offsets (what Python sees) and back.

/// Converts byte offsets of `text` to code-point offsets.  Offsets must be on char boundaries.
///
/// The offsets may come in any order; the conversion sorts a permutation and walks the text
/// once, so the cost is `O(len(text) + k log k)`; ASCII text costs `O(k)`.
///
/// ```
/// let text = "né ok";
/// assert_eq!(qualcore::offsets::bytes_to_chars(text, &[0, 3, 4, 6]), vec![0, 2, 3, 5]);
/// ```
pub fn bytes_to_chars(text: &str, offsets: &[usize]) -> Vec<usize> {
    if text.is_ascii() {
        return offsets.to_vec();
    }
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_unstable_by_key(|&i| offsets[i]);
    let bytes = text.as_bytes();
    let mut out = vec![0usize; offsets.len()];
    let (mut pos, mut chars) = (0usize, 0usize);
    for i in order {
        let target = offsets[i];
        chars += count_chars(&bytes[pos..target]);
        pos = target;
        out[i] = chars;
    }
    out
}

/// Converts code-point offsets of `text` to byte offsets; `None` for an offset past the end.
///
/// ```
/// let text = "né ok";
/// assert_eq!(qualcore::offsets::chars_to_bytes(text, &[0, 2, 5]), vec![Some(0), Some(3), Some(6)]);
/// assert_eq!(qualcore::offsets::chars_to_bytes(text, &[6]), vec![None]);
/// ```
pub fn chars_to_bytes(text: &str, offsets: &[usize]) -> Vec<Option<usize>> {
    if text.is_ascii() {
        return offsets
            .iter()
            .map(|&o| (o <= text.len()).then_some(o))
            .collect();
    }
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_unstable_by_key(|&i| offsets[i]);
    let mut out = vec![None; offsets.len()];
    let mut iter = text
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()));
    let (mut chars, mut byte) = (0usize, iter.next().unwrap_or(0));
    for i in order {
        let target = offsets[i];
        while chars < target {
            match iter.next() {
                Some(b) => {
                    byte = b;
                    chars += 1;
                }
                None => break,
            }
        }
        if chars == target {
            out[i] = Some(byte);
        }
    }
    out
}

/// Number of code points in a UTF-8 byte slice (that starts on a char boundary).
#[inline]
pub fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(s in "\\PC{0,40}") {
            let bytes: Vec<usize> = s.char_indices().map(|(b, _)| b).chain([s.len()]).collect();
            let chars = bytes_to_chars(&s, &bytes);
            prop_assert_eq!(&chars, &(0..bytes.len()).collect::<Vec<_>>());
            let back: Vec<usize> = chars_to_bytes(&s, &chars).into_iter().map(Option::unwrap).collect();
            prop_assert_eq!(back, bytes);
        }
    }

    #[test]
    fn unordered_and_out_of_range() {
        let text = "a😀b";
        assert_eq!(bytes_to_chars(text, &[6, 0, 5, 1]), vec![3, 0, 2, 1]);
        assert_eq!(
            chars_to_bytes(text, &[3, 4, 1]),
            vec![Some(6), None, Some(1)]
        );
    }
}
