//! BER to DER (X.690): CMS may be BER everywhere but in the signed attributes (RFC 5652, 5.4 and
//! 5.6), and widespread signers write it (indefinite lengths from streaming encoders, long-form
//! lengths, strings cut into constructed chunks). The RustCrypto `der` types read DER only, so a
//! CMS is brought to DER once, before parsing: definite minimal lengths, constructed universal
//! strings joined into primitive ones, BOOLEAN TRUE as 0xFF. SET OF order is left to `der`, which
//! sorts when it decodes. DER input comes out byte for byte as it went in.
//!
//! The identifier and length octets are read here because `der` refuses what BER allows
//! (constructed strings, indefinite and non-minimal lengths) and no crate in the tree reads them;
//! lengths are written by `der`.

use der::{Encode, Tagged};

/// Deepest nesting read (a CMS with a timestamp token is ~15 deep).
const MAX_DEPTH: usize = 64;

/// What cannot be read as BER.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BerError {
    /// The input ends inside an element.
    #[error("BER: truncated at byte {0}")]
    Truncated(usize),
    /// A tag, length or content X.690 does not allow.
    #[error("BER: {what} at byte {at}")]
    Invalid {
        /// What is wrong.
        what: &'static str,
        /// Where.
        at: usize,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("BER: nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// The first element of `input` in DER, and how many bytes of `input` it took (what follows,
/// e.g. the zero padding of a PDF's /Contents, is the caller's).
pub fn to_der(input: &[u8]) -> Result<(Vec<u8>, usize), BerError> {
    // Most CMS are DER already: checked without rewriting.
    if let Some(used) = unchanged_span(input, 0, 0) {
        return Ok((input[..used].to_vec(), used));
    }
    rewritten(input)
}

/// The first element of `input` rewritten in DER, and how many bytes it took.
fn rewritten(input: &[u8]) -> Result<(Vec<u8>, usize), BerError> {
    let mut out = Vec::with_capacity(input.len());
    let used = element(input, 0, 0, &mut out)?;
    Ok((out, used))
}

/// Whether `input` starts with an element that is already DER (nothing to rewrite).
pub fn is_der(input: &[u8]) -> bool {
    unchanged_span(input, 0, 0).is_some()
}

/// How many bytes the element at `at` takes when [`element`] would write it unchanged (it is
/// DER: definite lengths in the fewest octets, no constructed universal strings, BOOLEAN TRUE
/// as 0xFF); `None` when anything would change or it cannot be read.
fn unchanged_span(input: &[u8], at: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let header = header(input, at).ok()?;
    let length = header.length?;
    let minimal = der::Length::try_from(length).ok()?.encoded_len().ok()?;
    if header.content - at != header.identifier.len() + usize::try_from(minimal).ok()? {
        return None;
    }
    let end = header.content.checked_add(length)?;
    let content = input.get(header.content..end)?;
    if !header.constructed() {
        // BOOLEAN TRUE other than 0xFF is rewritten.
        let rewritten_boolean = header.identifier == [0x01]
            && content.len() == 1
            && content[0] != 0
            && content[0] != 0xff;
        return (!rewritten_boolean).then_some(end - at);
    }
    if header.string_type().is_some() {
        return None;
    }
    let mut position = header.content;
    while position < end {
        position += unchanged_span(input, position, depth + 1)?;
    }
    (position == end).then_some(end - at)
}

/// A read element header: its identifier octets, where its content starts, its length (None:
/// indefinite).
struct Header<'a> {
    identifier: &'a [u8],
    content: usize,
    length: Option<usize>,
}

impl Header<'_> {
    fn constructed(&self) -> bool {
        self.identifier[0] & 0x20 != 0
    }

    /// The universal string types BER may cut into constructed chunks (X.690, 8.6, 8.7, 8.23).
    fn string_type(&self) -> Option<u8> {
        let number = self.identifier[0] & 0x1f;
        let universal = self.identifier[0] & 0xc0 == 0;
        (universal && matches!(number, 3 | 4 | 12 | 18..=22 | 25..=28 | 30)).then_some(number)
    }
}

fn header(input: &[u8], at: usize) -> Result<Header<'_>, BerError> {
    let first = *input.get(at).ok_or(BerError::Truncated(at))?;
    // Identifier octets: one, or the high-tag-number form (X.690, 8.1.2.4): more while bit 8 is set.
    let mut tag_len = 1;
    if first & 0x1f == 0x1f {
        loop {
            let octet = *input.get(at + tag_len).ok_or(BerError::Truncated(at))?;
            tag_len += 1;
            if octet & 0x80 == 0 {
                break;
            }
            if tag_len > 5 {
                return Err(BerError::Invalid {
                    what: "tag number too large",
                    at,
                });
            }
        }
    }
    let identifier = &input[at..at + tag_len];
    let length_at = at + tag_len;
    let first = *input.get(length_at).ok_or(BerError::Truncated(length_at))?;
    if first < 0x80 {
        return Ok(Header {
            identifier,
            content: length_at + 1,
            length: Some(usize::from(first)),
        });
    }
    if first == 0x80 {
        if identifier[0] & 0x20 == 0 {
            return Err(BerError::Invalid {
                what: "indefinite length on a primitive value",
                at,
            });
        }
        return Ok(Header {
            identifier,
            content: length_at + 1,
            length: None,
        });
    }
    let count = usize::from(first & 0x7f);
    // Long form, leading zero octets allowed in BER; more than 4 octets is beyond any CMS here.
    let octets = input
        .get(length_at + 1..length_at + 1 + count)
        .ok_or(BerError::Truncated(length_at))?;
    let significant = octets.iter().skip_while(|b| **b == 0);
    if count == 0x7f || significant.clone().count() > 4 {
        return Err(BerError::Invalid {
            what: "length too large",
            at: length_at,
        });
    }
    let length = significant.fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Ok(Header {
        identifier,
        content: length_at + 1 + count,
        length: Some(length),
    })
}

fn write_header(identifier: &[u8], length: usize, out: &mut Vec<u8>) -> Result<(), BerError> {
    out.extend_from_slice(identifier);
    der::Length::try_from(length)
        .and_then(|length| length.encode_to_vec(out))
        .map_err(|_| BerError::Invalid {
            what: "length too large",
            at: 0,
        })?;
    Ok(())
}

/// Writes the DER of the element at `at` to `out`; returns the input bytes it took.
fn element(input: &[u8], at: usize, depth: usize, out: &mut Vec<u8>) -> Result<usize, BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    let header = header(input, at)?;
    if !header.constructed() {
        let length = header.length.ok_or(BerError::Invalid {
            what: "indefinite primitive",
            at,
        })?;
        let end = header
            .content
            .checked_add(length)
            .ok_or(BerError::Truncated(at))?;
        let content = input
            .get(header.content..end)
            .ok_or(BerError::Truncated(at))?;
        if header.identifier == [0x01] && content.len() == 1 && content[0] != 0 {
            // BOOLEAN TRUE.
            write_header(header.identifier, 1, out)?;
            out.push(0xff);
        } else {
            write_header(header.identifier, length, out)?;
            out.extend_from_slice(content);
        }
        return Ok(end - at);
    }
    // Constructed: the children, up to the end of a definite length or to end-of-contents.
    let limit = match header.length {
        Some(length) => Some(
            header
                .content
                .checked_add(length)
                .filter(|end| *end <= input.len())
                .ok_or(BerError::Truncated(at))?,
        ),
        None => None,
    };
    let mut children = Vec::new();
    let mut position = header.content;
    loop {
        match limit {
            Some(end) if position == end => break,
            Some(end) if position > end => {
                return Err(BerError::Invalid {
                    what: "a child runs past its parent's length",
                    at: position,
                });
            }
            None if input.get(position..position + 2) == Some(&[0, 0]) => {
                position += 2;
                break;
            }
            _ => {}
        }
        let used = element(input, position, depth + 1, &mut children)?;
        position += used;
    }
    if let Some(number) = header.string_type() {
        // A constructed string is its chunks' contents, joined (their DER is primitive).
        let joined = string_contents(&children, number)?;
        write_header(&[number], joined.len(), out)?;
        out.extend_from_slice(&joined);
    } else {
        write_header(header.identifier, children.len(), out)?;
        out.extend_from_slice(&children);
    }
    Ok(position - at)
}

/// The contents of the primitive chunks (DER, already joined if nested) of a constructed string.
fn string_contents(chunks: &[u8], number: u8) -> Result<Vec<u8>, BerError> {
    let mut joined = Vec::with_capacity(chunks.len());
    let mut position = 0;
    while position < chunks.len() {
        let chunk = header(chunks, position)?;
        let length = chunk.length.ok_or(BerError::Truncated(position))?;
        if chunk.identifier != [number] {
            return Err(BerError::Invalid {
                what: "a string chunk of another type",
                at: position,
            });
        }
        let end = chunk.content + length;
        let content = chunks
            .get(chunk.content..end)
            .ok_or(BerError::Truncated(position))?;
        // BIT STRING chunks each lead with their unused-bits octet; only the last may be nonzero.
        if number == 3 {
            let (unused, bits) = content.split_first().ok_or(BerError::Invalid {
                what: "empty BIT STRING chunk",
                at: position,
            })?;
            if joined.is_empty() {
                joined.push(0);
            }
            joined[0] = *unused;
            joined.extend_from_slice(bits);
        } else {
            joined.extend_from_slice(content);
        }
        position = end;
    }
    if number == 3 && joined.is_empty() {
        joined.push(0);
    }
    Ok(joined)
}

/// A SignedData (DER) with exact repeats dropped where they touch nothing signed: in its
/// digestAlgorithms, certificates and CRLs, and in each SignerInfo's unsigned attributes.
/// DER's SET OF may hold equal elements, the `der` crate refuses them, and signers write them
/// (the same certificate twice). Returns the SignedData and one line per kind of repeat
/// dropped; `None` when it cannot be read as a SEQUENCE of values.
pub fn without_repeats(signed_data: &[u8]) -> Option<(Vec<u8>, Vec<String>)> {
    use der::{Any, Decode, Tag, TagNumber};
    let mut fields: Vec<Any> = Vec::from_der(signed_data).ok()?;
    let mut notes = Vec::new();
    let last = fields.len().checked_sub(1)?;
    for (index, field) in fields.iter_mut().enumerate() {
        let context = |n: u8| Tag::ContextSpecific {
            constructed: true,
            number: TagNumber::new(n),
        };
        let what = match field.tag() {
            Tag::Set if index == 1 => "digest algorithm",
            tag if tag == context(0) => "certificate",
            tag if tag == context(1) => "CRL",
            Tag::Set if index == last => {
                // SignerInfos: each SignerInfo's unsignedAttrs [1].
                let mut infos = children(field)?;
                for info in &mut infos {
                    let mut parts: Vec<Any> = Vec::from_der(&info.to_der().ok()?).ok()?;
                    for part in parts.iter_mut().filter(|p| p.tag() == context(1)) {
                        if let Some((fixed, dropped)) = dedupe(part)
                            && dropped > 0
                        {
                            *part = fixed;
                            notes.push(
                                "the CMS repeats an unsigned attribute; the copy is ignored"
                                    .to_string(),
                            );
                        }
                    }
                    *info = Any::from_der(&parts.to_der().ok()?).ok()?;
                }
                *field = joined(field.tag(), &infos)?;
                continue;
            }
            _ => continue,
        };
        if let Some((fixed, dropped)) = dedupe(field)
            && dropped > 0
        {
            *field = fixed;
            notes.push(format!("the CMS repeats a {what}; the copy is ignored"));
        }
    }
    Some((fields.to_der().ok()?, notes))
}

/// The elements inside a constructed value.
fn children(value: &der::Any) -> Option<Vec<der::Any>> {
    use der::{Decode, Reader};
    let mut reader = der::SliceReader::new(value.value()).ok()?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(der::Any::decode(&mut reader).ok()?);
    }
    Some(out)
}

/// A constructed value of `tag` holding `elements`.
fn joined(tag: der::Tag, elements: &[der::Any]) -> Option<der::Any> {
    let mut content = Vec::new();
    for element in elements {
        element.encode_to_vec(&mut content).ok()?;
    }
    der::Any::new(tag, content).ok()
}

/// `value` without later copies of equal elements, and how many were dropped.
fn dedupe(value: &der::Any) -> Option<(der::Any, usize)> {
    let elements = children(value)?;
    let mut kept: Vec<der::Any> = Vec::with_capacity(elements.len());
    for element in elements {
        if !kept.contains(&element) {
            kept.push(element);
        }
    }
    let dropped = children(value)?.len() - kept.len();
    Some((joined(value.tag(), &kept)?, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_passes_unchanged_and_ber_becomes_der() {
        // SEQUENCE { INTEGER 5, OCTET STRING "ab" } in DER.
        let der = [0x30, 0x07, 0x02, 0x01, 0x05, 0x04, 0x02, b'a', b'b'];
        assert_eq!(to_der(&der).unwrap(), (der.to_vec(), der.len()));
        assert!(is_der(&der));
        // The same with an indefinite SEQUENCE, a long-form length and the string in two chunks,
        // followed by padding.
        let ber = [
            0x30, 0x80, 0x02, 0x81, 0x01, 0x05, 0x24, 0x80, 0x04, 0x01, b'a', 0x04, 0x01, b'b',
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(to_der(&ber).unwrap(), (der.to_vec(), 18));
        assert!(!is_der(&ber));
        // BOOLEAN TRUE as 0x01.
        assert_eq!(to_der(&[0x01, 0x01, 0x01]).unwrap().0, [0x01, 0x01, 0xff]);
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x02, 0x01],
            &[0x30, 0x80, 0x02, 0x01, 0x05],
            &[0x04, 0x80, 0x00, 0x00],
            &[0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            &[0x30, 0x03, 0x02, 0x05, 0x00],
        ] {
            assert!(to_der(bad).is_err(), "{bad:02x?}");
        }
        let deep: Vec<u8> = std::iter::repeat_n([0x30, 0x80], 100).flatten().collect();
        assert_eq!(to_der(&deep), Err(BerError::TooDeep));
    }

    /// The shortcut of [`to_der`] (DER checked, not rewritten) is taken exactly when the
    /// rewrite would give the input back.
    fn shortcut_agrees_with_rewrite(input: &[u8]) {
        let unchanged = rewritten(input)
            .ok()
            .filter(|(der, used)| der[..] == input[..*used])
            .map(|(_, used)| used);
        assert_eq!(unchanged_span(input, 0, 0), unchanged, "{input:02x?}");
    }

    #[test]
    fn der_is_recognised_without_rewriting_exactly_when_rewriting_changes_nothing() {
        let folder = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpora/kz-nca/ncanode-test"
        );
        let mut files = 0;
        for sub in ["tsp", "ocsp"] {
            for entry in std::fs::read_dir(format!("{folder}/{sub}")).expect("corpus") {
                let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
                shortcut_agrees_with_rewrite(&bytes);
                // Each byte changed in turn, in the first 300.
                for at in 0..bytes.len().min(300) {
                    let mut changed = bytes.clone();
                    changed[at] ^= 0x80;
                    shortcut_agrees_with_rewrite(&changed);
                }
                files += 1;
            }
        }
        assert!(files > 3, "{files} corpus files");
        for input in [
            &[0x01, 0x01, 0xff][..],
            &[0x01, 0x01, 0x01],
            &[0x01, 0x01, 0x00],
            &[0x04, 0x81, 0x01, 0x61],
            &[0x30, 0x80, 0x00, 0x00],
            &[0x24, 0x03, 0x04, 0x01, 0x61],
            &[0x30, 0x03, 0x02, 0x01, 0x05, 0x00],
            &[0x30, 0x02, 0x02, 0x01, 0x05],
        ] {
            shortcut_agrees_with_rewrite(input);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_shortcut_agrees_with_the_rewrite_on_any_bytes(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)
        ) {
            shortcut_agrees_with_rewrite(&bytes);
        }

        #[test]
        fn any_bytes_give_der_or_an_error(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            if let Ok((der, used)) = to_der(&bytes) {
                proptest::prop_assert!(used <= bytes.len());
                // What comes out is DER: a second pass leaves it alone.
                let again = to_der(&der);
                proptest::prop_assert_eq!(again, Ok((der.clone(), der.len())));
            }
        }
    }
}
