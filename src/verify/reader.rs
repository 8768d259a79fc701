//! An xref-driven PDF reader: it reads the cross-reference sections (tables, streams and hybrid
//! files, ISO 32000-1, 7.5.4 and 7.5.8) and parses an object only when a check asks for it. A
//! one-page signed certificate has hundreds of objects; finding and checking its signatures,
//! DSS and changes after signing touches about a dozen, so the reader does not parse the rest.
//!
//! A file whose cross-reference data does not lead exactly to its objects (a wrong offset, a
//! broken table, encryption) is loaded whole by lopdf instead, which rebuilds the table by
//! scanning: what a check sees of odd but readable files stays what lopdf makes of them.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId, ObjectStream, Stream, StringFormat};

/// Nesting of arrays and dictionaries within one object.
const MAX_DEPTH: usize = 100;
/// Cross-reference sections followed through /Prev.
const MAX_SECTIONS: usize = 1_000;
/// References followed from one value to what it names.
const MAX_HOPS: usize = 32;

/// Where the cross-reference data puts an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Deleted.
    Free,
    /// At a byte offset, with its generation.
    Normal { offset: usize, generation: u16 },
    /// The `index`th object of object stream `container`.
    Compressed { container: u32, index: u32 },
}

struct Slot {
    location: Location,
    parsed: OnceCell<Option<Object>>,
}

struct Index {
    slots: HashMap<u32, Slot>,
    trailer: Dictionary,
    /// Decoded object streams, by container number.
    object_streams: HashMap<u32, OnceCell<Option<BTreeMap<ObjectId, Object>>>>,
    /// Every in-use offset, sorted: where an object's bytes end at the latest.
    offsets: Vec<usize>,
}

impl Index {
    /// Where object stream `container` sits, and its generation: an object stream is never
    /// itself in an object stream.
    fn container_at(&self, container: u32) -> Option<(usize, u16)> {
        match self.slots.get(&container)?.location {
            Location::Normal { offset, generation } => Some((offset, generation)),
            _ => None,
        }
    }
}

enum Source {
    Indexed(Index),
    Loaded(Box<Document>),
}

/// A PDF opened for reading; objects are parsed on first use and kept.
pub struct PdfFile<'a> {
    bytes: &'a [u8],
    source: Source,
    stream_limit: usize,
}

impl<'a> PdfFile<'a> {
    /// Opens `bytes`: through its cross-reference data when that leads exactly to every
    /// object, otherwise by loading the whole file with lopdf. `stream_limit` bounds every
    /// stream decoded (object and cross-reference streams included).
    pub fn open(bytes: &'a [u8], stream_limit: usize) -> Result<Self, String> {
        let source = match index(bytes, stream_limit) {
            Some(index) => Source::Indexed(index),
            None => {
                let options = lopdf::LoadOptions {
                    max_decompressed_size: Some(stream_limit),
                    ..Default::default()
                };
                let document =
                    Document::load_mem_with_options(bytes, options).map_err(|e| e.to_string())?;
                Source::Loaded(Box::new(document))
            }
        };
        Ok(Self {
            bytes,
            source,
            stream_limit,
        })
    }

    /// Whether the cross-reference data was followed (rather than the whole file loaded).
    pub fn is_indexed(&self) -> bool {
        matches!(self.source, Source::Indexed(_))
    }

    /// Objects the file defines.
    pub fn object_count(&self) -> usize {
        match &self.source {
            Source::Indexed(index) => index
                .slots
                .values()
                .filter(|s| s.location != Location::Free)
                .count(),
            Source::Loaded(document) => document.objects.len(),
        }
    }

    /// The trailer (the newest one; keys it lacks come from earlier ones).
    pub fn trailer(&self) -> &Dictionary {
        match &self.source {
            Source::Indexed(index) => &index.trailer,
            Source::Loaded(document) => &document.trailer,
        }
    }

    /// The document catalog.
    pub fn catalog(&self) -> Option<&Dictionary> {
        self.resolve(self.trailer().get(b"Root").ok()?)?
            .as_dict()
            .ok()
    }

    /// The object `id`, parsed on first use.
    pub fn get(&self, id: ObjectId) -> Option<&Object> {
        match &self.source {
            Source::Loaded(document) => document.objects.get(&id),
            Source::Indexed(index) => {
                let slot = index.slots.get(&id.0)?;
                match slot.location {
                    Location::Free => None,
                    Location::Normal { offset, generation } => {
                        if generation != id.1 {
                            return None;
                        }
                        slot.parsed
                            .get_or_init(|| self.parse_at(index, offset, id, 0))
                            .as_ref()
                    }
                    Location::Compressed { container, .. } => {
                        if id.1 != 0 {
                            return None;
                        }
                        index
                            .object_streams
                            .get(&container)?
                            .get_or_init(|| {
                                let (_, generation) = index.container_at(container)?;
                                let stream = self.get((container, generation))?.as_stream().ok()?;
                                self.decode_object_stream(stream)
                            })
                            .as_ref()?
                            .get(&id)
                    }
                }
            }
        }
    }

    /// What `object` is, following references (a missing object is `None`).
    pub fn resolve<'b>(&'b self, object: &'b Object) -> Option<&'b Object> {
        let mut current = object;
        for _ in 0..MAX_HOPS {
            match current {
                Object::Reference(id) => current = self.get(*id)?,
                other => return Some(other),
            }
        }
        None
    }

    /// The value of `key` in `dict`, references followed.
    pub fn resolve_key<'b>(&'b self, dict: &'b Dictionary, key: &[u8]) -> Option<&'b Object> {
        self.resolve(dict.get(key).ok()?)
    }

    /// Where the cross-reference data puts object number `number` (`None` when the file was
    /// loaded whole, or does not list it).
    pub fn location(&self, number: u32) -> Option<Location> {
        match &self.source {
            Source::Indexed(index) => index.slots.get(&number).map(|s| s.location),
            Source::Loaded(_) => None,
        }
    }

    /// Every object the file defines, by id.
    pub fn ids(&self) -> Vec<ObjectId> {
        match &self.source {
            Source::Indexed(index) => {
                let mut ids: Vec<ObjectId> = index
                    .slots
                    .iter()
                    .filter_map(|(&number, slot)| match slot.location {
                        Location::Free => None,
                        Location::Normal { generation, .. } => Some((number, generation)),
                        Location::Compressed { .. } => Some((number, 0)),
                    })
                    .collect();
                ids.sort_unstable();
                ids
            }
            Source::Loaded(document) => document.objects.keys().copied().collect(),
        }
    }

    /// Whether object `id`, at a byte offset, reads the same whatever bytes are appended to this
    /// file: it parses and ends in `endobj`, and a stream's data is found through a direct
    /// /Length followed by `endstream`. A stream whose /Length is wrong (its data recovered) or
    /// indirect, or an object cut off at the end, could read otherwise in a longer file.
    pub fn self_contained(&self, id: ObjectId) -> bool {
        let Source::Indexed(index) = &self.source else {
            return false;
        };
        let Some(Location::Normal { offset, generation }) =
            index.slots.get(&id.0).map(|slot| slot.location)
        else {
            return false;
        };
        let mut lexer = Lexer::at(self.bytes, offset);
        if generation != id.1 || lexer.object_header() != Some(id) {
            return false;
        }
        let Some(object) = lexer.object(MAX_DEPTH) else {
            return false;
        };
        if matches!(object, Object::Dictionary(_)) && lexer.stream_keyword() {
            let start = lexer.position;
            let data_length = match object.as_dict().ok().and_then(|d| d.get(b"Length").ok()) {
                Some(Object::Integer(length)) => usize::try_from(*length).ok(),
                _ => None,
            };
            let Some(data) = data_length.and_then(|l| stream_data_at(self.bytes, start, l)) else {
                return false;
            };
            lexer.position = start + data.len();
            lexer.skip_space();
            if !lexer.keyword(b"endstream") {
                return false;
            }
        }
        lexer.skip_space();
        lexer.keyword(b"endobj")
    }

    /// Pages in the page tree (bounded: hostile trees may loop).
    pub fn page_count(&self) -> usize {
        const MAX_NODES: usize = 100_000;
        let Some(root) = self.catalog().and_then(|c| c.get(b"Pages").ok()) else {
            return 0;
        };
        let mut queue = vec![root];
        let mut seen = HashSet::new();
        let (mut pages, mut visited) = (0, 0);
        while let Some(node) = queue.pop() {
            visited += 1;
            if visited > MAX_NODES {
                break;
            }
            if let Object::Reference(id) = node
                && !seen.insert(*id)
            {
                continue;
            }
            let Some(Object::Dictionary(dict)) = self.resolve(node) else {
                continue;
            };
            match dict.get(b"Type").ok().and_then(|t| t.as_name().ok()) {
                Some(b"Page") => pages += 1,
                Some(b"Pages") => {
                    if let Some(Object::Array(kids)) = self.resolve_key(dict, b"Kids") {
                        queue.extend(kids.iter().rev());
                    }
                }
                _ => {}
            }
        }
        pages
    }

    fn decode_object_stream(&self, stream: &Stream) -> Option<BTreeMap<ObjectId, Object>> {
        if stream.dict.get(b"Type").ok()?.as_name().ok()? != b"ObjStm" {
            return None;
        }
        ObjectStream::new_with_limit(stream, Some(self.stream_limit))
            .ok()
            .map(|s| s.objects)
    }

    /// The indirect object `id` at `offset`. `depth` counts the indirect /Length values being
    /// resolved, which are parsed without being kept (so that no object's parse waits on
    /// itself).
    fn parse_at(&self, index: &Index, offset: usize, id: ObjectId, depth: usize) -> Option<Object> {
        let mut lexer = Lexer::at(self.bytes, offset);
        if lexer.object_header()? != id {
            return None;
        }
        let object = lexer.object(MAX_DEPTH)?;
        let Object::Dictionary(dict) = object else {
            return Some(object);
        };
        if !lexer.stream_keyword() {
            return Some(Object::Dictionary(dict));
        }
        let start = lexer.position;
        // The stream's data ends before the next object at the latest.
        let bound = index
            .offsets
            .get(index.offsets.partition_point(|o| *o <= offset))
            .copied()
            .unwrap_or(self.bytes.len())
            .clamp(start, self.bytes.len());
        let length = match dict.get(b"Length").ok()? {
            Object::Integer(length) => usize::try_from(*length).ok(),
            Object::Reference(length_id) if depth < 2 => {
                self.integer_unkept(index, *length_id, depth + 1)
            }
            _ => None,
        };
        let data = length
            .and_then(|length| stream_data_at(self.bytes, start, length))
            .or_else(|| recover_stream_data(&self.bytes[start..bound]))?;
        Some(Object::Stream(Stream::new(dict, data.to_vec())))
    }

    /// An integer object (an indirect /Length), parsed without being kept.
    fn integer_unkept(&self, index: &Index, id: ObjectId, depth: usize) -> Option<usize> {
        let object = match index.slots.get(&id.0)?.location {
            Location::Normal { offset, generation } if generation == id.1 => {
                self.parse_at(index, offset, id, depth)?
            }
            Location::Compressed { container, .. } if id.1 == 0 => {
                let (offset, generation) = index.container_at(container)?;
                let stream = self.parse_at(index, offset, (container, generation), depth)?;
                self.decode_object_stream(stream.as_stream().ok()?)?
                    .remove(&id)?
            }
            _ => return None,
        };
        usize::try_from(object.as_i64().ok()?).ok()
    }
}

/// `length` bytes of stream data from `start`, when an end-of-line and `endstream` follow.
fn stream_data_at(bytes: &[u8], start: usize, length: usize) -> Option<&[u8]> {
    let end = start.checked_add(length)?;
    let data = bytes.get(start..end)?;
    let after = &bytes[end..];
    let after = after
        .strip_prefix(b"\r\n")
        .or_else(|| after.strip_prefix(b"\n"))
        .or_else(|| after.strip_prefix(b"\r"))
        .unwrap_or(after);
    after.starts_with(b"endstream").then_some(data)
}

/// A stream whose /Length is wrong: its data up to the only `endstream` (after an end-of-line,
/// followed by `endobj`) before the next object, as lopdf recovers it.
fn recover_stream_data(region: &[u8]) -> Option<&[u8]> {
    let mut found = None;
    for position in memchr::memmem::find_iter(region, b"endstream") {
        let head = &region[..position];
        let data_end = if head.ends_with(b"\r\n") {
            position - 2
        } else if head.ends_with(b"\n") || head.ends_with(b"\r") {
            position - 1
        } else {
            continue;
        };
        let mut after = Lexer::at(region, position + b"endstream".len());
        after.skip_space();
        if !after.keyword(b"endobj") {
            continue;
        }
        if found.is_some() {
            return None;
        }
        found = Some(&region[..data_end]);
    }
    found
}

/// Reads the cross-reference chain; `None` when it does not lead exactly to the objects.
fn index(bytes: &[u8], stream_limit: usize) -> Option<Index> {
    let start = startxref(bytes)?;
    let mut sections: Vec<(Vec<(u32, Location)>, Dictionary)> = Vec::new();
    let mut visited = HashSet::new();
    let mut next = Some(start);
    while let Some(offset) = next {
        if !visited.insert(offset) || sections.len() >= MAX_SECTIONS {
            break;
        }
        let (mut entries, trailer) = section_at(bytes, offset, stream_limit)?;
        // A hybrid file (ISO 32000-1, 7.5.8.4): the table's objects, then its cross-reference
        // stream's, which the table lists as free for older readers.
        if let Ok(Object::Integer(stream_offset)) = trailer.get(b"XRefStm") {
            let (extra, _) =
                section_at(bytes, usize::try_from(*stream_offset).ok()?, stream_limit)?;
            let (free, used): (Vec<_>, Vec<_>) = entries
                .into_iter()
                .partition(|(_, location)| *location == Location::Free);
            entries = used.into_iter().chain(extra).chain(free).collect();
        }
        next = match trailer.get(b"Prev") {
            Ok(Object::Integer(prev)) => Some(usize::try_from(*prev).ok()?),
            Ok(_) => return None,
            Err(_) => None,
        };
        sections.push((entries, trailer));
    }
    let mut slots: HashMap<u32, Slot> = HashMap::new();
    for (entries, _) in &sections {
        for (number, location) in entries {
            slots.entry(*number).or_insert(Slot {
                location: *location,
                parsed: OnceCell::new(),
            });
        }
    }
    let mut trailer = Dictionary::new();
    for (_, section_trailer) in &sections {
        for (key, value) in section_trailer.iter() {
            if !trailer.has(key) {
                trailer.set(key.clone(), value.clone());
            }
        }
    }
    // Encrypted files are lopdf's to decrypt.
    if trailer.has(b"Encrypt") {
        return None;
    }
    // Every object must sit where the table says: its header names it.
    let mut offsets = Vec::new();
    let mut object_streams = HashMap::new();
    for (&number, slot) in &slots {
        match slot.location {
            Location::Normal { offset, generation } => {
                if Lexer::at(bytes, offset).object_header()? != (number, generation) {
                    return None;
                }
                offsets.push(offset);
            }
            Location::Compressed { container, .. } => {
                object_streams
                    .entry(container)
                    .or_insert_with(OnceCell::new);
            }
            Location::Free => {}
        }
    }
    offsets.sort_unstable();
    Some(Index {
        slots,
        trailer,
        object_streams,
        offsets,
    })
}

/// The offset after the last `startxref`.
fn startxref(bytes: &[u8]) -> Option<usize> {
    let at = memchr::memmem::rfind(bytes, b"startxref")?;
    let mut lexer = Lexer::at(bytes, at + b"startxref".len());
    lexer.skip_space();
    let offset = lexer.unsigned()?;
    (offset < bytes.len() as u64).then_some(offset as usize)
}

/// One cross-reference section at `offset`: a table and its trailer, or a stream.
fn section_at(
    bytes: &[u8],
    offset: usize,
    stream_limit: usize,
) -> Option<(Vec<(u32, Location)>, Dictionary)> {
    let mut lexer = Lexer::at(bytes, offset);
    lexer.skip_space();
    if lexer.keyword(b"xref") {
        table(&mut lexer)
    } else {
        xref_stream(&mut lexer, stream_limit)
    }
}

fn table(lexer: &mut Lexer) -> Option<(Vec<(u32, Location)>, Dictionary)> {
    let mut entries = Vec::new();
    loop {
        lexer.skip_space();
        if lexer.keyword(b"trailer") {
            lexer.skip_space();
            let Object::Dictionary(trailer) = lexer.object(MAX_DEPTH)? else {
                return None;
            };
            return Some((entries, trailer));
        }
        let first = u32::try_from(lexer.unsigned()?).ok()?;
        lexer.skip_space();
        let count = u32::try_from(lexer.unsigned()?).ok()?;
        // Each entry takes 20 bytes: a count beyond what is left is not a table.
        if count as usize > lexer.remaining() / 18 {
            return None;
        }
        for number in first..first.checked_add(count)? {
            lexer.skip_space();
            let offset = lexer.unsigned()?;
            lexer.skip_space();
            let generation = u16::try_from(lexer.unsigned()?).ok()?;
            lexer.skip_space();
            let location = match lexer.next()? {
                b'n' => Location::Normal {
                    offset: usize::try_from(offset).ok()?,
                    generation,
                },
                b'f' => Location::Free,
                _ => return None,
            };
            entries.push((number, location));
        }
    }
}

fn xref_stream(
    lexer: &mut Lexer,
    stream_limit: usize,
) -> Option<(Vec<(u32, Location)>, Dictionary)> {
    lexer.object_header()?;
    let Object::Dictionary(dict) = lexer.object(MAX_DEPTH)? else {
        return None;
    };
    if dict.get(b"Type").ok()?.as_name().ok()? != b"XRef" || !lexer.stream_keyword() {
        return None;
    }
    let length = usize::try_from(dict.get(b"Length").ok()?.as_i64().ok()?).ok()?;
    let data = stream_data_at(lexer.bytes, lexer.position, length)?;
    let stream = Stream::new(dict, data.to_vec());
    let content = stream.get_plain_content_with_limit(stream_limit).ok()?;
    let dict = stream.dict;
    let widths: Vec<usize> = dict
        .get(b"W")
        .ok()?
        .as_array()
        .ok()?
        .iter()
        .map(|w| w.as_i64().ok().and_then(|w| usize::try_from(w).ok()))
        .collect::<Option<_>>()?;
    let [w1, w2, w3] = widths[..] else {
        return None;
    };
    if w1 > 8 || w2 > 8 || w3 > 8 || w1 + w2 + w3 == 0 {
        return None;
    }
    let size = dict.get(b"Size").ok()?.as_i64().ok()?;
    let ranges: Vec<i64> = match dict.get(b"Index") {
        Ok(Object::Array(items)) => items
            .iter()
            .map(|i| i.as_i64().ok())
            .collect::<Option<_>>()?,
        Ok(_) => return None,
        Err(_) => vec![0, size],
    };
    if !ranges.len().is_multiple_of(2) {
        return None;
    }
    let field = |row: &[u8]| row.iter().fold(0u64, |value, b| value << 8 | u64::from(*b));
    let mut rows = content.chunks_exact(w1 + w2 + w3);
    let mut entries = Vec::new();
    for pair in ranges.chunks(2) {
        let first = u32::try_from(pair[0]).ok()?;
        let count = u32::try_from(pair[1]).ok()?;
        for number in first..first.checked_add(count)? {
            let row = rows.next()?;
            let kind = if w1 == 0 { 1 } else { field(&row[..w1]) };
            let second = field(&row[w1..w1 + w2]);
            let third = field(&row[w1 + w2..]);
            let location = match kind {
                0 => Location::Free,
                1 => Location::Normal {
                    offset: usize::try_from(second).ok()?,
                    generation: u16::try_from(third).ok()?,
                },
                2 => Location::Compressed {
                    container: u32::try_from(second).ok()?,
                    index: u32::try_from(third).ok()?,
                },
                // ISO 32000-1, 7.5.8.3: other types are references to the null object.
                _ => Location::Free,
            };
            entries.push((number, location));
        }
    }
    Some((entries, dict))
}

/// The PDF object syntax (ISO 32000-1, 7.2 and 7.3), read into lopdf's values.
struct Lexer<'b> {
    bytes: &'b [u8],
    position: usize,
}

fn is_space(byte: u8) -> bool {
    matches!(byte, 0 | 9 | 10 | 12 | 13 | 32)
}

fn is_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(byte: u8) -> bool {
    !is_space(byte) && !is_delimiter(byte)
}

impl<'b> Lexer<'b> {
    fn at(bytes: &'b [u8], position: usize) -> Self {
        Self { bytes, position }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position += 1;
        Some(byte)
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    /// White space and comments.
    fn skip_space(&mut self) {
        while let Some(byte) = self.peek() {
            if is_space(byte) {
                self.position += 1;
            } else if byte == b'%' {
                while let Some(byte) = self.peek() {
                    if byte == b'\r' || byte == b'\n' {
                        break;
                    }
                    self.position += 1;
                }
            } else {
                break;
            }
        }
    }

    /// `word`, not followed by a regular character.
    fn keyword(&mut self, word: &[u8]) -> bool {
        let end = self.position + word.len();
        if self.bytes.get(self.position..end) == Some(word)
            && self.bytes.get(end).is_none_or(|b| !is_regular(*b))
        {
            self.position = end;
            true
        } else {
            false
        }
    }

    fn unsigned(&mut self) -> Option<u64> {
        let start = self.position;
        let mut value: u64 = 0;
        while let Some(digit) = self.peek().filter(u8::is_ascii_digit) {
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
            self.position += 1;
        }
        (self.position > start).then_some(value)
    }

    /// `n g obj`.
    fn object_header(&mut self) -> Option<ObjectId> {
        self.skip_space();
        let number = u32::try_from(self.unsigned()?).ok()?;
        self.skip_space();
        let generation = u16::try_from(self.unsigned()?).ok()?;
        self.skip_space();
        self.keyword(b"obj").then_some((number, generation))
    }

    /// `stream` and its end of line, after a dictionary.
    fn stream_keyword(&mut self) -> bool {
        let saved = self.position;
        self.skip_space();
        if !self.keyword(b"stream") {
            self.position = saved;
            return false;
        }
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.position += 1;
        }
        match self.peek() {
            Some(b'\r') => {
                self.position += 1;
                if self.peek() == Some(b'\n') {
                    self.position += 1;
                }
                true
            }
            Some(b'\n') => {
                self.position += 1;
                true
            }
            _ => {
                self.position = saved;
                false
            }
        }
    }

    /// One direct object; `depth` bounds the nesting left.
    fn object(&mut self, depth: usize) -> Option<Object> {
        let depth = depth.checked_sub(1)?;
        self.skip_space();
        let object = match self.peek()? {
            b'/' => Object::Name(self.name()?),
            b'(' => Object::String(self.literal_string()?, StringFormat::Literal),
            b'<' if self.bytes.get(self.position + 1) == Some(&b'<') => {
                Object::Dictionary(self.dictionary(depth)?)
            }
            b'<' => Object::String(self.hex_string()?, StringFormat::Hexadecimal),
            b'[' => {
                self.position += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if self.peek()? == b']' {
                        self.position += 1;
                        break;
                    }
                    items.push(self.object(depth)?);
                }
                Object::Array(items)
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number_or_reference()?,
            _ if self.keyword(b"true") => Object::Boolean(true),
            _ if self.keyword(b"false") => Object::Boolean(false),
            _ if self.keyword(b"null") => Object::Null,
            _ => return None,
        };
        Some(object)
    }

    fn dictionary(&mut self, depth: usize) -> Option<Dictionary> {
        self.position += 2;
        let mut dict = Dictionary::new();
        loop {
            self.skip_space();
            if self.bytes.get(self.position..self.position + 2)? == b">>" {
                self.position += 2;
                return Some(dict);
            }
            if self.peek()? != b'/' {
                return None;
            }
            let key = self.name()?;
            let value = self.object(depth)?;
            dict.set(key, value);
        }
    }

    fn name(&mut self) -> Option<Vec<u8>> {
        self.position += 1;
        let mut name = Vec::new();
        while let Some(byte) = self.peek().filter(|b| is_regular(*b)) {
            if byte == b'#' {
                let escape = self
                    .bytes
                    .get(self.position + 1..self.position + 3)
                    .and_then(|h| Some(hex_digit(h[0])? << 4 | hex_digit(h[1])?));
                match escape {
                    Some(value) => {
                        name.push(value);
                        self.position += 3;
                        continue;
                    }
                    None => break,
                }
            }
            name.push(byte);
            self.position += 1;
        }
        Some(name)
    }

    fn number_or_reference(&mut self) -> Option<Object> {
        let start = self.position;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.position += 1;
        }
        let mut dot = false;
        while let Some(byte) = self.peek() {
            match byte {
                b'0'..=b'9' => {}
                b'.' if !dot => dot = true,
                _ => break,
            }
            self.position += 1;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.position]).ok()?;
        if dot {
            // "4." and ".5" are reals; "-." is not a number.
            return text
                .parse::<f32>()
                .ok()
                .or_else(|| format!("{text}0").parse().ok())
                .map(Object::Real);
        }
        let value: i64 = match text.parse() {
            Ok(value) => value,
            Err(_) => return text.parse::<f32>().ok().map(Object::Real),
        };
        // "n g R": a reference.
        if text.bytes().all(|b| b.is_ascii_digit()) {
            let saved = self.position;
            self.skip_space();
            if let Some(generation) = self.unsigned() {
                self.skip_space();
                if self.keyword(b"R")
                    && let (Ok(number), Ok(generation)) =
                        (u32::try_from(value), u16::try_from(generation))
                {
                    return Some(Object::Reference((number, generation)));
                }
            }
            self.position = saved;
        }
        Some(Object::Integer(value))
    }

    fn literal_string(&mut self) -> Option<Vec<u8>> {
        self.position += 1;
        let mut out = Vec::new();
        let mut open = 1usize;
        loop {
            let byte = self.next()?;
            match byte {
                b'(' => {
                    open += 1;
                    out.push(byte);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        return Some(out);
                    }
                    out.push(byte);
                }
                b'\r' => {
                    // An end of line in a string is a line feed, whatever it was written as.
                    if self.peek() == Some(b'\n') {
                        self.position += 1;
                    }
                    out.push(b'\n');
                }
                b'\\' => match self.next()? {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0C),
                    b'\r' => {
                        if self.peek() == Some(b'\n') {
                            self.position += 1;
                        }
                    }
                    b'\n' => {}
                    digit @ b'0'..=b'7' => {
                        let mut value = u16::from(digit - b'0');
                        for _ in 0..2 {
                            match self.peek() {
                                Some(d @ b'0'..=b'7') => {
                                    value = value * 8 + u16::from(d - b'0');
                                    self.position += 1;
                                }
                                _ => break,
                            }
                        }
                        // Overflow is ignored (ISO 32000-1, 7.3.4.2).
                        out.push(value as u8);
                    }
                    other => out.push(other),
                },
                _ => out.push(byte),
            }
        }
    }

    fn hex_string(&mut self) -> Option<Vec<u8>> {
        self.position += 1;
        let rest = &self.bytes[self.position..];
        let end = memchr::memchr(b'>', rest)?;
        let decoded = decode_hex(&rest[..end])?;
        self.position += end + 1;
        Some(decoded)
    }
}

/// What each byte is in a hex string: a digit's value, white space, or neither.
const HEX_SPACE: u8 = 0xFE;
const HEX_INVALID: u8 = 0xFF;
const HEX_TABLE: [u8; 256] = {
    let mut table = [HEX_INVALID; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = match byte as u8 {
            digit @ b'0'..=b'9' => digit - b'0',
            letter @ b'a'..=b'f' => letter - b'a' + 10,
            letter @ b'A'..=b'F' => letter - b'A' + 10,
            0 | 9 | 10 | 12 | 13 | 32 => HEX_SPACE,
            _ => HEX_INVALID,
        };
        byte += 1;
    }
    table
};

/// The bytes of a hex string's text (between `<` and `>`): white space skipped, an odd last
/// digit read as followed by 0 (ISO 32000-1, 7.3.4.3). A signature's /Contents is tens of
/// kilobytes of digits without white space: that is decoded with SIMD (`faster-hex`), anything
/// else with a table lookup per byte.
pub fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    if let Some(bytes) = decode_hex_digits(text) {
        return Some(bytes);
    }
    let mut out = Vec::with_capacity(text.len() / 2 + 1);
    let mut high: Option<u8> = None;
    let mut pairs = text.chunks_exact(2);
    for pair in pairs.by_ref() {
        let (a, b) = (HEX_TABLE[pair[0] as usize], HEX_TABLE[pair[1] as usize]);
        if high.is_none() && a < 16 && b < 16 {
            out.push(a << 4 | b);
            continue;
        }
        for value in [a, b] {
            match value {
                HEX_SPACE => {}
                HEX_INVALID => return None,
                digit => match high.take() {
                    Some(h) => out.push(h << 4 | digit),
                    None => high = Some(digit),
                },
            }
        }
    }
    for &byte in pairs.remainder() {
        match HEX_TABLE[byte as usize] {
            HEX_SPACE => {}
            HEX_INVALID => return None,
            digit => match high.take() {
                Some(h) => out.push(h << 4 | digit),
                None => high = Some(digit),
            },
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    Some(out)
}

/// The bytes of an even number of hex digits with nothing else between them; `None` for any
/// other text.
pub fn decode_hex_digits(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0; text.len() / 2];
    faster_hex::hex_decode(text, &mut out).ok()?;
    Some(out)
}

/// A hex digit's value.
fn hex_digit(byte: u8) -> Option<u8> {
    let value = HEX_TABLE[byte as usize];
    (value < 16).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Option<Object> {
        Lexer::at(text, 0).object(MAX_DEPTH)
    }

    #[test]
    fn the_object_syntax_reads_as_lopdf_reads_it() {
        let text = b"<< /Type /Sig /Name#20x (a\\(b\\)\\101\r\nc) /Hex <41 42 4> /R 12 0 R \
                     /A [1 -2 +3 4. -.5 true false null /N] /D << /K 7 >> >>";
        let Some(Object::Dictionary(dict)) = parse(text) else {
            panic!("not a dictionary");
        };
        assert_eq!(dict.get(b"Type").unwrap().as_name().unwrap(), b"Sig");
        assert_eq!(dict.get(b"Name x").unwrap().as_str().unwrap(), b"a(b)A\nc");
        assert_eq!(
            dict.get(b"Hex").unwrap().as_str().unwrap(),
            &[0x41, 0x42, 0x40]
        );
        assert_eq!(dict.get(b"R").unwrap().as_reference().unwrap(), (12, 0));
        let items = dict.get(b"A").unwrap().as_array().unwrap();
        assert_eq!(items[0], Object::Integer(1));
        assert_eq!(items[1], Object::Integer(-2));
        assert_eq!(items[2], Object::Integer(3));
        assert_eq!(items[3], Object::Real(4.0));
        assert_eq!(items[4], Object::Real(-0.5));
        assert_eq!(
            items[5..8],
            [Object::Boolean(true), Object::Boolean(false), Object::Null]
        );
        assert_eq!(
            dict.get(b"D")
                .unwrap()
                .as_dict()
                .unwrap()
                .get(b"K")
                .unwrap(),
            &Object::Integer(7)
        );
    }

    #[test]
    fn hostile_syntax_is_refused_not_a_crash() {
        let deep = [b"[".repeat(10_000), b"]".repeat(10_000)].concat();
        assert_eq!(parse(&deep), None);
        for text in [
            &b"<< /A"[..],
            b"(unclosed",
            b"<4G>",
            b"[1 2",
            b"<< 1 2 >>",
            b"-",
            b"/",
        ] {
            let parsed = parse(text);
            assert!(
                !matches!(parsed, Some(Object::Dictionary(_) | Object::Array(_))),
                "{text:?} gave {parsed:?}"
            );
        }
    }
}

#[cfg(test)]
mod differential {
    use super::*;

    /// Every object of every corpus PDF the reader indexes is what lopdf loads from the whole
    /// file (streams by dictionary and data), and the reader finds no object lopdf does not.
    #[test]
    fn every_indexed_object_is_what_lopdf_loads() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpora/pyhanko/pdf");
        let mut folders = vec![std::path::PathBuf::from(root)];
        let mut files = Vec::new();
        while let Some(folder) = folders.pop() {
            for path in std::fs::read_dir(folder)
                .expect("corpus folder")
                .filter_map(|e| e.ok().map(|e| e.path()))
            {
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "pdf") {
                    files.push(path);
                }
            }
        }
        files.sort();
        let (mut indexed, mut objects) = (0, 0);
        for path in &files {
            let bytes = std::fs::read(path).expect("read");
            let Ok(file) = PdfFile::open(&bytes, 64 << 20) else {
                continue;
            };
            if !file.is_indexed() {
                eprintln!("loaded whole: {}", path.display());
                continue;
            }
            let Ok(document) = Document::load_mem(&bytes) else {
                continue;
            };
            indexed += 1;
            let ours: HashSet<ObjectId> = file.ids().into_iter().collect();
            for (id, expected) in &document.objects {
                objects += 1;
                let found = file.get(*id);
                let same = match (expected, found) {
                    (Object::Stream(a), Some(Object::Stream(b))) => {
                        a.dict == b.dict && a.content == b.content
                    }
                    (a, Some(b)) => a == b,
                    (_, None) => false,
                };
                assert!(same, "{}: object {id:?}: {found:?}", path.display());
            }
            for id in ours {
                assert!(
                    file.get(id).is_none() || document.objects.contains_key(&id),
                    "{}: object {id:?} only here",
                    path.display()
                );
            }
        }
        assert!(
            indexed * 2 > files.len() && objects > 500,
            "{indexed} of {} files indexed, {objects} objects",
            files.len()
        );
    }
}
