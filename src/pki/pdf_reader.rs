//! An xref-driven PDF reader: it reads the cross-reference sections (tables, streams and hybrid
//! files, ISO 32000-1, 7.5.4 and 7.5.8) and parses an object only when it is asked for. A
//! one-page signed certificate has hundreds of objects; finding and checking its signatures,
//! DSS and changes after signing touches about a dozen, and the signer's incremental update
//! about five, so the reader does not parse the rest.
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
/// Most cross-reference entries read, all sections together (the verifier refuses files of more
/// than 2,000,000 objects): memory stays bounded whatever the tables' counts say.
const MAX_ENTRIES: usize = 4_000_000;
/// References followed from one value to what it names.
pub(crate) const MAX_HOPS: usize = 32;

/// The newest cross-reference section of a file, a table ([`PdfFile::newest_table`]).
#[derive(Debug, Clone, Copy)]
pub struct NewestTable<'f> {
    /// Its byte offset (what `startxref` names, and an update's /Prev).
    pub offset: usize,
    /// Its own trailer, as written (with /Prev and /XRefStm when it has them).
    pub trailer: &'f Dictionary,
    /// The highest object number any section lists, free entries included.
    pub highest_number: u32,
}

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
    /// The cross-reference chain as read, newest first, when it was read to its end; a
    /// revision of the file reuses it ([`PdfFile::revision`]).
    sections: Option<Vec<Section>>,
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
    Indexed(Box<Index>),
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
            Some(index) => Source::Indexed(Box::new(index)),
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

    /// The revision of this file that ends at byte `end` (a signed revision), opened as
    /// [`PdfFile::open`] opens `bytes[..end]`, with the same result: when that revision's
    /// cross-reference chain is the end of this file's, and every section of it was read from
    /// bytes before `end`, those sections are not read again.
    pub fn revision(&self, end: usize) -> Result<PdfFile<'a>, String> {
        let bytes = self
            .bytes
            .get(..end)
            .ok_or("the revision ends past the file")?;
        match self.revision_from_sections(end) {
            Some(revision) => Ok(revision),
            None => PdfFile::open(bytes, self.stream_limit),
        }
    }

    /// [`PdfFile::revision`] from the sections this file's reading kept, when it can be.
    fn revision_from_sections(&self, end: usize) -> Option<PdfFile<'a>> {
        let bytes = self.bytes.get(..end)?;
        let Source::Indexed(index) = &self.source else {
            return None;
        };
        let sections = index.sections.as_ref()?;
        let start = startxref(bytes)?;
        let first = sections.iter().position(|s| s.offset == start)?;
        if sections[first..].iter().any(|s| s.end > end) {
            return None;
        }
        let index = index_of_sections(bytes, sections[first..].to_vec(), true)?;
        Some(PdfFile {
            bytes,
            source: Source::Indexed(Box::new(index)),
            stream_limit: self.stream_limit,
        })
    }

    /// Whether the cross-reference data was followed (rather than the whole file loaded).
    pub fn is_indexed(&self) -> bool {
        matches!(self.source, Source::Indexed(_))
    }

    /// The newest cross-reference section when it is a table, as an incremental update goes on
    /// from it: `None` when the file was loaded whole, its chain was not read to its end, or the
    /// newest section is a cross-reference stream.
    pub fn newest_table(&self) -> Option<NewestTable<'_>> {
        let Source::Indexed(index) = &self.source else {
            return None;
        };
        let newest = index.sections.as_ref()?.first()?;
        newest.table.then_some(NewestTable {
            offset: newest.offset,
            trailer: &newest.trailer,
            highest_number: index.slots.keys().copied().max()?,
        })
    }

    /// The whole document, when the file was loaded whole (not [`PdfFile::is_indexed`]).
    pub fn into_loaded(self) -> Option<Document> {
        match self.source {
            Source::Loaded(document) => Some(*document),
            Source::Indexed(_) => None,
        }
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
        // Skipped, not built: every in-place object of the signed revision passes here.
        let Some(skipped) = lexer.skip_object(MAX_DEPTH, &mut Vec::new()) else {
            return false;
        };
        if let Skipped::Dictionary { length } = skipped
            && lexer.stream_keyword()
        {
            let start = lexer.position;
            let data_length = length.and_then(|l| usize::try_from(l).ok());
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

/// One cross-reference section as read: where it starts, the end of the bytes its reading
/// looked at (its hybrid stream's included), its entries and its trailer.
#[derive(Clone)]
struct Section {
    offset: usize,
    end: usize,
    /// A cross-reference table (with its trailer), not a stream.
    table: bool,
    entries: Vec<(u32, Location)>,
    trailer: Dictionary,
}

/// Reads the cross-reference chain; `None` when it does not lead exactly to the objects.
fn index(bytes: &[u8], stream_limit: usize) -> Option<Index> {
    let start = startxref(bytes)?;
    let mut sections: Vec<Section> = Vec::new();
    let mut visited = HashSet::new();
    let mut next = Some(start);
    let mut read_to_the_end = true;
    let mut entry_count = 0;
    while let Some(offset) = next {
        if !visited.insert(offset) || sections.len() >= MAX_SECTIONS {
            read_to_the_end = false;
            break;
        }
        let mut section = section_at(bytes, offset, stream_limit)?;
        // A hybrid file (ISO 32000-1, 7.5.8.4): the table's objects, then its cross-reference
        // stream's, which the table lists as free for older readers.
        if let Ok(Object::Integer(stream_offset)) = section.trailer.get(b"XRefStm") {
            let extra = section_at(bytes, usize::try_from(*stream_offset).ok()?, stream_limit)?;
            section.end = section.end.max(extra.end);
            let (free, used): (Vec<_>, Vec<_>) = std::mem::take(&mut section.entries)
                .into_iter()
                .partition(|(_, location)| *location == Location::Free);
            section.entries = used.into_iter().chain(extra.entries).chain(free).collect();
        }
        next = match section.trailer.get(b"Prev") {
            Ok(Object::Integer(prev)) => Some(usize::try_from(*prev).ok()?),
            Ok(_) => return None,
            Err(_) => None,
        };
        entry_count += section.entries.len();
        if entry_count > MAX_ENTRIES {
            return None;
        }
        sections.push(section);
    }
    index_of_sections(bytes, sections, read_to_the_end)
}

/// The index of a file whose cross-reference chain is `sections` (newest first); `None` when
/// they do not lead exactly to its objects.
fn index_of_sections(bytes: &[u8], sections: Vec<Section>, read_to_the_end: bool) -> Option<Index> {
    let entry_count = sections.iter().map(|s| s.entries.len()).sum();
    let mut slots: HashMap<u32, Slot> = HashMap::with_capacity(entry_count);
    for Section { entries, .. } in &sections {
        for (number, location) in entries {
            slots.entry(*number).or_insert(Slot {
                location: *location,
                parsed: OnceCell::new(),
            });
        }
    }
    let mut trailer = Dictionary::new();
    for Section {
        trailer: section_trailer,
        ..
    } in &sections
    {
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
    let mut offsets = Vec::with_capacity(slots.len());
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
        sections: read_to_the_end.then_some(sections),
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
/// The section at `offset`; its reading depends on no byte after its `end`.
fn section_at(bytes: &[u8], offset: usize, stream_limit: usize) -> Option<Section> {
    let mut lexer = Lexer::at(bytes, offset);
    lexer.skip_space();
    let is_table = lexer.keyword(b"xref");
    let (entries, trailer) = if is_table {
        table(&mut lexer)?
    } else {
        xref_stream(&mut lexer, stream_limit)?
    };
    Some(Section {
        offset,
        end: lexer.position,
        table: is_table,
        entries,
        trailer,
    })
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
        // Each entry read takes bytes, so a count beyond what the file holds fails when the
        // bytes run out (the reading depends on no byte after the table).
        let count = u32::try_from(lexer.unsigned()?).ok()?;
        if entries.len() + count as usize > MAX_ENTRIES {
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
    // Past the data, its end of line and `endstream`: all stream_data_at looked at.
    lexer.position += data.len();
    lexer.skip_eol();
    lexer.position += b"endstream".len();
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
            if entries.len() >= MAX_ENTRIES {
                return None;
            }
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

/// What [`Lexer::skip_object`] passed over.
enum Skipped {
    /// A dictionary, with its /Length when that is a direct integer.
    Dictionary {
        length: Option<i64>,
    },
    Integer(i64),
    Other,
}

const fn is_space(byte: u8) -> bool {
    matches!(byte, 0 | 9 | 10 | 12 | 13 | 32)
}

const fn is_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(byte: u8) -> bool {
    REGULAR[byte as usize]
}

/// Whether each byte is a regular character (neither white space nor a delimiter).
const REGULAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = !is_space(byte as u8) && !is_delimiter(byte as u8);
        byte += 1;
    }
    table
};

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

    /// An end of line as a stream's data ends with one (CR LF, LF or CR), if there.
    fn skip_eol(&mut self) {
        let after = self.bytes.get(self.position..).unwrap_or_default();
        if after.starts_with(b"\r\n") {
            self.position += 2;
        } else if after.starts_with(b"\n") || after.starts_with(b"\r") {
            self.position += 1;
        }
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
        let mut name = Vec::new();
        self.name_into(&mut name)?;
        Some(name)
    }

    /// A name's bytes, escapes decoded, into `name` (cleared first).
    fn name_into(&mut self, name: &mut Vec<u8>) -> Option<()> {
        let text = self.name_text();
        decode_name(text, name)
    }

    /// The text of a name after its `/`, the lexer moved past it: regular characters, where
    /// `#` must start a two-digit escape (a name ends before one that does not).
    fn name_text(&mut self) -> &'b [u8] {
        self.position += 1;
        let start = self.position;
        while let Some(&byte) = self.bytes.get(self.position) {
            if !REGULAR[byte as usize] {
                break;
            }
            if byte == b'#' {
                let escape = self.bytes.get(self.position + 1..self.position + 3);
                if !escape.is_some_and(|h| hex_digit(h[0]).is_some() && hex_digit(h[1]).is_some()) {
                    break;
                }
                self.position += 3;
                continue;
            }
            self.position += 1;
        }
        &self.bytes[start..self.position]
    }

    /// A number's text (sign, digits and at most one dot), the lexer moved past it, and whether
    /// it has a dot (a real: every such text reads as one, see below).
    fn number_text(&mut self) -> (&'b [u8], bool) {
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
        (&self.bytes[start..self.position], dot)
    }

    fn number_or_reference(&mut self) -> Option<Object> {
        let (digits, dot) = self.number_text();
        self.number_or_reference_from(digits, dot)
    }

    /// The number whose text [`Lexer::number_text`] just took, or the reference it starts.
    fn number_or_reference_from(&mut self, digits: &[u8], dot: bool) -> Option<Object> {
        // Most numbers are short runs of digits (object numbers, generations, widths): read
        // without going through text.
        let value = if !dot && (1..=18).contains(&digits.len()) && digits[0].is_ascii_digit() {
            digits
                .iter()
                .fold(0i64, |value, digit| value * 10 + i64::from(digit - b'0'))
        } else {
            let text = std::str::from_utf8(digits).ok()?;
            if dot {
                // "4." and ".5" are reals.
                return text
                    .parse::<f32>()
                    .ok()
                    .or_else(|| format!("{text}0").parse().ok())
                    .map(Object::Real);
            }
            match text.parse() {
                Ok(value) => value,
                // Too long for 64 bits: a real.
                Err(_) => return text.parse::<f32>().ok().map(Object::Real),
            }
        };
        // "n g R": a reference (a number without sign).
        if digits[0].is_ascii_digit() {
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
        let mut out = Vec::new();
        self.literal_string_into(&mut out)?;
        Some(out)
    }

    /// A literal string's bytes, escapes decoded, into `out` (cleared first).
    fn literal_string_into(&mut self, out: &mut Vec<u8>) -> Option<()> {
        out.clear();
        self.position += 1;
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
                        return Some(());
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
        decode_hex(self.hex_string_text()?)
    }

    /// The text of a hex string (between `<` and `>`), the lexer moved past it.
    fn hex_string_text(&mut self) -> Option<&'b [u8]> {
        self.position += 1;
        let rest = &self.bytes[self.position..];
        let end = memchr::memchr(b'>', rest)?;
        self.position += end + 1;
        Some(&rest[..end])
    }

    /// One direct object passed over as [`Lexer::object`] reads it (the same token scanners,
    /// so the same end and the same failures) without building it: for objects that are only
    /// checked, not used. A dictionary gives its direct integer /Length (the last one, as
    /// `Dictionary::set` keeps it); `scratch` holds names and strings on the way.
    fn skip_object(&mut self, depth: usize, scratch: &mut Vec<u8>) -> Option<Skipped> {
        let depth = depth.checked_sub(1)?;
        self.skip_space();
        let skipped = match self.peek()? {
            b'/' => {
                self.name_text();
                Skipped::Other
            }
            b'(' => self.literal_string_into(scratch).map(|()| Skipped::Other)?,
            b'<' if self.bytes.get(self.position + 1) == Some(&b'<') => {
                self.position += 2;
                let mut length = None;
                loop {
                    self.skip_space();
                    if self.bytes.get(self.position..self.position + 2)? == b">>" {
                        self.position += 2;
                        break Skipped::Dictionary { length };
                    }
                    if self.peek()? != b'/' {
                        return None;
                    }
                    let key = self.name_text();
                    // "Length", however escaped.
                    let is_length = key == b"Length"
                        || (key.contains(&b'#')
                            && decode_name(key, scratch).is_some()
                            && scratch.as_slice() == b"Length");
                    let value = self.skip_object(depth, scratch)?;
                    if is_length {
                        length = match value {
                            Skipped::Integer(value) => Some(value),
                            _ => None,
                        };
                    }
                }
            }
            b'<' => {
                let text = self.hex_string_text()?;
                // What makes decode_hex refuse a text; a signature's /Contents, tens of
                // kilobytes of digits, is checked with SIMD.
                let valid = faster_hex::hex_check(text)
                    || text.iter().all(|b| HEX_TABLE[*b as usize] != HEX_INVALID);
                valid.then_some(Skipped::Other)?
            }
            b'[' => {
                self.position += 1;
                loop {
                    self.skip_space();
                    if self.peek()? == b']' {
                        self.position += 1;
                        break Skipped::Other;
                    }
                    self.skip_object(depth, scratch)?;
                }
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => match self.number_text() {
                // A real: its value is not needed, and every such text reads.
                (_, true) => Skipped::Other,
                (digits, false) => match self.number_or_reference_from(digits, false)? {
                    Object::Integer(value) => Skipped::Integer(value),
                    _ => Skipped::Other,
                },
            },
            _ if self.keyword(b"true") || self.keyword(b"false") || self.keyword(b"null") => {
                Skipped::Other
            }
            _ => return None,
        };
        Some(skipped)
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

/// A name's text as [`Lexer::name_text`] took it, escapes decoded, into `name` (cleared first).
fn decode_name(text: &[u8], name: &mut Vec<u8>) -> Option<()> {
    name.clear();
    let mut rest = text;
    while let Some(at) = memchr::memchr(b'#', rest) {
        name.extend_from_slice(&rest[..at]);
        // name_text took only valid escapes.
        name.push(hex_digit(*rest.get(at + 1)?)? << 4 | hex_digit(*rest.get(at + 2)?)?);
        rest = &rest[at + 3..];
    }
    name.extend_from_slice(rest);
    Some(())
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

    /// `skip_object` ends where `object` ends, fails where it fails, and finds the /Length it
    /// reads.
    pub(super) fn skip_agrees_with_object(text: &[u8]) {
        let mut built = Lexer::at(text, 0);
        let object = built.object(MAX_DEPTH);
        let mut skipping = Lexer::at(text, 0);
        let skipped = skipping.skip_object(MAX_DEPTH, &mut Vec::new());
        match (&object, &skipped) {
            (None, None) => {}
            (Some(object), Some(skipped)) => {
                assert_eq!(built.position, skipping.position, "{text:?}");
                let length = |dict: &Dictionary| match dict.get(b"Length") {
                    Ok(Object::Integer(value)) => Some(*value),
                    _ => None,
                };
                match (object, skipped) {
                    (Object::Dictionary(dict), Skipped::Dictionary { length: found }) => {
                        assert_eq!(length(dict), *found, "{text:?}")
                    }
                    (Object::Integer(a), Skipped::Integer(b)) => assert_eq!(a, b),
                    (Object::Dictionary(_) | Object::Integer(_), _)
                    | (_, Skipped::Dictionary { .. } | Skipped::Integer(_)) => {
                        panic!("{text:?}: {object:?}")
                    }
                    _ => {}
                }
            }
            _ => panic!("{text:?}: built {object:?}, skipped {}", skipped.is_some()),
        }
    }

    #[test]
    fn skipping_an_object_reads_its_syntax_as_parsing_it_does() {
        for text in [
            &b"<< /Length 12 /Filter /FlateDecode >>"[..],
            b"<< /Length 12 /Length 7 0 R >>",
            b"<< /Length 3 0 R /Length 12 >>",
            b"<< /Len#67th 5 >>",
            b"<< /Length 5.0 >>",
            b"<< /Length -5 >>",
            b"<< /A (x\\) /Length (9) >>",
            b"<< /A (a(b)c) /B <41 4> /C [1 2 R] /D << /Length 4 >> >>",
            b"<< /A <4G> >>",
            b"<< /A (unclosed >>",
            b"<< /A 1 2 >>",
            b"[ /a#zz ]",
            b"-.",
            b"+.",
            b".",
            b"4.",
            b"[1.5 -.25 +.]",
            b"+",
            b"truex",
            b"12 0 R",
            b"99999999999999999999",
        ] {
            skip_agrees_with_object(text);
        }
    }

    proptest::proptest! {
        /// On any run of PDF syntax, inside a dictionary or not, the two agree.
        #[test]
        fn skipping_agrees_with_parsing_on_any_syntax(
            tokens in proptest::collection::vec(proptest::sample::select(vec![
                "<<", ">>", "[", "]", "(", ")", "\\", "<", ">", "/Length", "/L#65ngth", "/A",
                "#", "0", "12", "-3", ".5", "R", " ", "\r\n", "%c\n", "true", "null", "4G",
                "+", "-", ".", "4.", "-.", "+.", "99999999999999999999",
                "/Length 5 ", "/Length 2 0 R ", "/Length /N ", "/Length (x) ", "/A 1 ", "/B [1] ",
                "/C << /Length 9 >> ",
            ]), 0..40),
            in_dictionary in proptest::bool::ANY,
        ) {
            let text = tokens.concat();
            let text = if in_dictionary { format!("<< {text} >>") } else { text };
            skip_agrees_with_object(text.as_bytes());
        }

        /// In dictionaries of any keys and values, well formed or not, the two agree and find
        /// the same /Length.
        #[test]
        fn skipping_finds_the_length_parsing_finds(
            entries in proptest::collection::vec((
                proptest::sample::select(vec!["/Length", "/L#65ngth", "/A", "/Lengt"]),
                proptest::sample::select(vec![
                    "5", "2 0 R", "/N", "(x)", "[1 (a) <41>]", "<< /Length 9 >>", "-3", ".5",
                    "true", "<4G>", "(open", "12 0", "",
                ]),
            ), 0..6)
        ) {
            let body: Vec<String> = entries.iter().map(|(k, v)| format!("{k} {v}")).collect();
            skip_agrees_with_object(format!("<< {} >>", body.join(" ")).as_bytes());
        }
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

    /// Every PDF of pyHanko's corpus, in a fixed order.
    fn corpus_files() -> Vec<std::path::PathBuf> {
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
        files
    }

    /// A revision that ends inside a section of the whole file's chain is not taken from it:
    /// read alone, that section is cut short.
    #[test]
    fn a_revision_ending_inside_a_section_is_read_alone() {
        let head = "%PDF-1.7\n1 0 obj\n<< >>\nendobj\n";
        let table_at = head.len() + "%startxref\nNNN\n".len();
        let comment = format!("%startxref\n{table_at:03}\n");
        let body = format!(
            "{head}{comment}xref\n0 2\n0000000000 65535 f \n{:010} 00000 n \n\
             trailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n{table_at}\n%%EOF\n",
            "%PDF-1.7\n".len()
        );
        let bytes = body.as_bytes();
        let whole = PdfFile::open(bytes, 1 << 20).expect("readable");
        assert!(whole.is_indexed());
        // Cut inside the table: the only `startxref` before the cut is the comment's, naming
        // the table.
        let cut = table_at + 20;
        assert_eq!(startxref(&bytes[..cut]), Some(table_at));
        assert!(whole.revision_from_sections(cut).is_none());
        let alone = PdfFile::open(&bytes[..cut], 1 << 20);
        assert!(alone.as_ref().map_or(true, |file| !file.is_indexed()));
        assert_eq!(
            whole.revision(cut).map(|file| file.is_indexed()).ok(),
            alone.map(|file| file.is_indexed()).ok()
        );
    }

    /// A revision taken from the whole file's reading (its sections not read again) reads as
    /// those bytes opened alone: at and around every `%%EOF` of every corpus PDF.
    #[test]
    fn a_revision_reads_as_its_bytes_read_alone() {
        let (mut reused, mut compared) = (0, 0);
        for path in corpus_files() {
            let bytes = std::fs::read(&path).expect("read");
            let Ok(whole) = PdfFile::open(&bytes, 64 << 20) else {
                continue;
            };
            for at in memchr::memmem::find_iter(&bytes, b"%%EOF") {
                for end in [at, at + 5, at + 6, at + 7, at.saturating_sub(40)] {
                    let Some(revision) = whole.revision_from_sections(end.min(bytes.len())) else {
                        continue;
                    };
                    reused += 1;
                    let alone = PdfFile::open(&bytes[..end.min(bytes.len())], 64 << 20)
                        .expect("a revision read from sections reads alone");
                    assert!(alone.is_indexed(), "{}: {end}", path.display());
                    assert_eq!(revision.ids(), alone.ids(), "{}: {end}", path.display());
                    assert_eq!(revision.trailer(), alone.trailer());
                    for id in alone.ids() {
                        compared += 1;
                        assert_eq!(
                            revision.get(id),
                            alone.get(id),
                            "{}: {end}: {id:?}",
                            path.display()
                        );
                        assert_eq!(revision.location(id.0), alone.location(id.0));
                    }
                }
            }
        }
        assert!(
            reused > 50 && compared > 1000,
            "{reused} revisions, {compared} objects"
        );
    }

    /// Every object of every corpus PDF the reader indexes is what lopdf loads from the whole
    /// file (streams by dictionary and data), and the reader finds no object lopdf does not.
    #[test]
    fn every_indexed_object_is_what_lopdf_loads() {
        let files = corpus_files();
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
            // Skipping each object reads the same syntax as building it.
            if let Source::Indexed(index) = &file.source {
                for slot in index.slots.values() {
                    if let Location::Normal { offset, .. } = slot.location {
                        let mut lexer = Lexer::at(&bytes, offset);
                        if lexer.object_header().is_some() {
                            let end = bytes.len().min(lexer.position + 4096);
                            tests::skip_agrees_with_object(&bytes[lexer.position..end]);
                        }
                    }
                }
            }
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
