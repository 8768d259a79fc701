//! Finding signatures in a PDF and checking their /ByteRange exactly (ISO 32000-1, 12.8.1;
//! ETSI EN 319 142-1, 5.1): four integers from 0, the gap exactly this signature's /Contents
//! string, within the file, reaching its end or the end of a revision, only zero padding after
//! the DER.

use lopdf::{Dictionary, Object};

use crate::pki::pdf_reader::PdfFile;

/// One signature dictionary as found.
#[derive(Debug, Clone)]
pub struct FoundSignature {
    /// The field's /T.
    pub field: Option<String>,
    /// /SubFilter.
    pub sub_filter: Option<String>,
    /// /Type (Sig or DocTimeStamp).
    pub kind: Option<String>,
    /// /ByteRange as written (not yet checked).
    pub byte_range: Vec<i64>,
    /// /Contents as parsed.
    pub contents: Vec<u8>,
    /// /M as written.
    pub m: Option<String>,
}

fn name(dict: &Dictionary, key: &[u8]) -> Option<String> {
    dict.get(key)
        .ok()
        .and_then(|o| o.as_name().ok())
        .map(|n| String::from_utf8_lossy(n).into_owned())
}

/// A string value as text (lossy UTF-8).
pub(super) fn text(dict: &Dictionary, key: &[u8]) -> Option<String> {
    match dict.get(key).ok()? {
        Object::String(bytes, _) => Some(String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    }
}

/// Every signature field with a value, walking /AcroForm /Fields and their /Kids (bounded:
/// hostile forms may loop).
pub fn find_signatures(document: &PdfFile) -> Vec<FoundSignature> {
    const MAX_FIELDS: usize = 10_000;
    let mut found = Vec::new();
    let Some(Object::Dictionary(form)) = document
        .catalog()
        .and_then(|c| document.resolve_key(c, b"AcroForm"))
    else {
        return found;
    };
    let mut queue: Vec<&Object> = match document.resolve_key(form, b"Fields") {
        Some(Object::Array(items)) => items.iter().rev().collect(),
        _ => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    let mut visited = 0;
    while let Some(item) = queue.pop() {
        visited += 1;
        if visited > MAX_FIELDS {
            break;
        }
        if let Object::Reference(id) = item
            && !seen.insert(*id)
        {
            continue;
        }
        let Some(Object::Dictionary(field)) = document.resolve(item) else {
            continue;
        };
        if let Some(Object::Array(kids)) = document.resolve_key(field, b"Kids") {
            queue.extend(kids.iter().rev());
        }
        if name(field, b"FT").as_deref() != Some("Sig") {
            continue;
        }
        let Some(Object::Dictionary(value)) = document.resolve_key(field, b"V") else {
            continue;
        };
        let byte_range = match document.resolve_key(value, b"ByteRange") {
            Some(Object::Array(items)) => items.iter().map(|i| i.as_i64().unwrap_or(-1)).collect(),
            _ => Vec::new(),
        };
        let contents = match value.get(b"Contents") {
            Ok(Object::String(bytes, _)) => bytes.clone(),
            _ => Vec::new(),
        };
        found.push(FoundSignature {
            field: text(field, b"T"),
            sub_filter: name(value, b"SubFilter"),
            kind: name(value, b"Type"),
            byte_range,
            contents,
            m: text(value, b"M"),
        });
    }
    // File order: by where the signed range ends.
    found.sort_by_key(|s| {
        s.byte_range.get(2).copied().unwrap_or(0) + s.byte_range.get(3).copied().unwrap_or(0)
    });
    found
}

/// A checked /ByteRange.
#[derive(Debug, Clone, Copy)]
pub struct CheckedRange {
    /// `[0, a, b, c]`.
    pub range: [usize; 4],
    /// Whether `b + c` is the end of the file.
    pub whole_file: bool,
    /// Whether the CMS was BER rather than DER.
    pub ber: bool,
}

/// A /ByteRange that breaks the rules, and what can still be read of it.
#[derive(Debug)]
pub struct RangeProblem {
    /// What is wrong, in words.
    pub reason: String,
    /// When the ranges lie within the file and /Contents holds a CMS: the ranges (offset,
    /// length) and the CMS as DER, so that integrity and the signature value can still be
    /// reported (as pyHanko does) beside the refusal.
    pub readable: Option<ReadableRanges>,
}

/// Signed ranges (offset, length) within the file, and the CMS as DER.
pub type ReadableRanges = (Vec<(usize, usize)>, Vec<u8>);

/// Checks the /ByteRange against the file and the /Contents; returns the CMS as DER (padding
/// removed, BER brought to DER).
pub fn check_byte_range(
    file: &[u8],
    signature: &FoundSignature,
) -> Result<(CheckedRange, Vec<u8>), RangeProblem> {
    check_strictly(file, signature).map_err(|reason| RangeProblem {
        reason,
        readable: readable_anyway(file, signature),
    })
}

/// The signed ranges and the CMS of a signature whose /ByteRange breaks the rules, when they
/// can be read at all.
fn readable_anyway(file: &[u8], signature: &FoundSignature) -> Option<ReadableRanges> {
    let values = &signature.byte_range;
    if values.is_empty() || !values.len().is_multiple_of(2) {
        return None;
    }
    let ranges = values
        .chunks(2)
        .map(|pair| {
            let (offset, length) = (
                usize::try_from(pair[0]).ok()?,
                usize::try_from(pair[1]).ok()?,
            );
            (offset.checked_add(length)? <= file.len()).then_some((offset, length))
        })
        .collect::<Option<Vec<_>>>()?;
    let (der, _) = crate::pki::ber::to_der(&signature.contents).ok()?;
    Some((ranges, der))
}

fn check_strictly(
    file: &[u8],
    signature: &FoundSignature,
) -> Result<(CheckedRange, Vec<u8>), String> {
    let values: Vec<usize> = signature
        .byte_range
        .iter()
        .map(|v| {
            usize::try_from(*v)
                .map_err(|_| "a /ByteRange value is negative or not an integer".to_string())
        })
        .collect::<Result<_, _>>()?;
    let [start, a, b, c]: [usize; 4] = values
        .try_into()
        .map_err(|_| "/ByteRange does not have exactly four integers".to_string())?;
    if start != 0 {
        return Err("/ByteRange does not start at 0".into());
    }
    let end = b.checked_add(c).ok_or("/ByteRange overflows")?;
    if a >= b || end > file.len() {
        return Err("/ByteRange ranges overlap or reach outside the file".into());
    }
    // The gap is exactly one hex string: "<" hex digits ">".
    if file[a] != b'<' || file[b - 1] != b'>' {
        return Err("the /ByteRange gap is not exactly the /Contents string".into());
    }
    let hex_text = &file[a + 1..b - 1];
    // Digits only, so decoding cannot skip anything: equal bytes mean the same string.
    let in_gap = crate::pki::pdf_reader::decode_hex_digits(hex_text)
        .ok_or("the /ByteRange gap is not one hex string")?;
    if in_gap != signature.contents {
        return Err("the /ByteRange gap is not this signature's /Contents".into());
    }
    // RFC 5652 allows BER: read as such, passed on as DER.
    let (der, used) = crate::pki::ber::to_der(&in_gap)
        .map_err(|e| format!("/Contents does not hold a CMS: {e}"))?;
    // An OR over the padding rather than a search: it vectorises, and the padding is most of
    // a /Contents.
    if in_gap[used..].iter().fold(0, |any, byte| any | byte) != 0 {
        return Err("/Contents has bytes other than zero padding after the CMS".into());
    }
    let whole_file = end == file.len();
    if !whole_file && !ends_a_revision(file, end) {
        return Err(
            "the signed range ends neither at the end of the file nor at the end of a revision"
                .into(),
        );
    }
    Ok((
        CheckedRange {
            range: [0, a, b, c],
            whole_file,
            ber: der[..] != in_gap[..used],
        },
        der,
    ))
}

/// Whether the bytes before `end` close a revision: "%%EOF" and an optional end-of-line.
fn ends_a_revision(file: &[u8], end: usize) -> bool {
    let head = &file[..end];
    let trimmed = head
        .strip_suffix(b"\r\n")
        .or_else(|| head.strip_suffix(b"\n"))
        .or_else(|| head.strip_suffix(b"\r"))
        .unwrap_or(head);
    trimmed.ends_with(b"%%EOF")
}

/// The embedded file named `name` (its bytes, at most `limit` decoded), found through the
/// catalog's /AF (PDF/A-3 associated files) or the /EmbeddedFiles name tree (ISO 32000-1,
/// 7.11.4). The walk is bounded: hostile name trees may loop.
pub fn embedded_file(document: &PdfFile, name: &str, limit: usize) -> Option<Vec<u8>> {
    const MAX_NODES: usize = 10_000;
    let catalog = document.catalog()?;
    let spec_named = |spec: &Object| -> Option<Vec<u8>> {
        let spec = document.resolve(spec)?.as_dict().ok()?;
        let spec_name = text(spec, b"UF").or_else(|| text(spec, b"F"))?;
        if spec_name != name {
            return None;
        }
        let file = document.resolve_key(spec, b"EF")?.as_dict().ok()?;
        let stream = document
            .resolve_key(file, b"F")
            .or_else(|| document.resolve_key(file, b"UF"))?;
        stream
            .as_stream()
            .ok()?
            .get_plain_content_with_limit(limit)
            .ok()
    };
    if let Some(Object::Array(specs)) = document.resolve_key(catalog, b"AF")
        && let Some(found) = specs.iter().find_map(spec_named)
    {
        return Some(found);
    }
    let mut nodes: Vec<&Object> = document
        .resolve_key(catalog, b"Names")
        .and_then(|names| names.as_dict().ok()?.get(b"EmbeddedFiles").ok())
        .into_iter()
        .collect();
    let mut visited = 0;
    while let Some(node) = nodes.pop() {
        visited += 1;
        if visited > MAX_NODES {
            return None;
        }
        let Some(Object::Dictionary(node)) = document.resolve(node) else {
            continue;
        };
        if let Ok(Object::Array(pairs)) = node.get(b"Names") {
            // [key1 spec1 key2 spec2 ...]: the specs are every second item.
            if let Some(found) = pairs.iter().skip(1).step_by(2).find_map(spec_named) {
                return Some(found);
            }
        }
        if let Some(Object::Array(kids)) = document.resolve_key(node, b"Kids") {
            nodes.extend(kids);
        }
    }
    None
}
