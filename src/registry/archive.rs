//! The archive: every issued PDF stored content-addressed by its SHA-256 (`ab/abcdef….pdf`),
//! next to a JSON object with its registry data (`ab/abcdef….json`), through the `object_store`
//! crate: a local folder (the default; eucdoc writes its pairs itself, the pairs of documents
//! issued together made durable together, see `LocalWriter`) or any S3-compatible bucket
//! (`s3://bucket/prefix`).
//! Both objects are stored before the registry commits, so that a registered number always has
//! its PDF. An object the registry does not know (a crash between the archive write and the
//! commit) is an orphan, moved to `orphans/` at start once it is older than any issue still in
//! flight on another process sharing the archive could be.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// What the archive can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The store refused or failed an operation.
    #[error("archive {location}: {source}")]
    Store {
        /// The object (or the archive, for listing).
        location: String,
        /// Why.
        source: Box<object_store::Error>,
    },
    /// The archive URL or its settings are not usable.
    #[error("archive_url {url}: {message}")]
    Settings {
        /// The URL as configured.
        url: String,
        /// Why.
        message: String,
    },
    /// No such PDF.
    #[error("the archive has no PDF {0}")]
    Missing(String),
    /// A stored PDF's hash is not its name (corruption).
    #[error("archived PDF {0} does not match its hash")]
    Corrupt(String),
    /// Writing to the local archive's folder failed.
    #[error("archive {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn store_error(location: &ObjectPath) -> impl Fn(object_store::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Store {
        location: location.to_string(),
        source: Box::new(source),
    }
}

/// Bytes with their SHA-256, hashed once: what [`Archive::put`] stores under that hash, and
/// what a registry record names. Only [`Hashed::new`] makes one, so the name fits the bytes.
#[derive(Debug, Clone)]
pub struct Hashed {
    bytes: Vec<u8>,
    sha256: String,
}

impl Hashed {
    /// `bytes` and their SHA-256.
    pub fn new(bytes: Vec<u8>) -> Self {
        let sha256 = hex::encode(openssl::sha::sha256(&bytes));
        Self { bytes, sha256 }
    }

    /// The SHA-256, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// One document in the archive, as listed: its PDF and its metadata, or one of them alone (a
/// crash between writing the two leaves the metadata alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Its SHA-256 (hex), its objects' name.
    pub sha256: String,
    /// When the store last wrote either of its objects.
    pub written: time::UtcDateTime,
    /// Whether its PDF is there.
    pub has_pdf: bool,
}

/// The archive, shared by every task and clone (one connection pool for S3).
#[derive(Debug, Clone)]
pub struct Archive {
    store: Arc<dyn ObjectStore>,
    /// A local archive's writer: [`Archive::put`] and [`Archive::put_package`] go through it.
    local: Option<Arc<LocalWriter>>,
    /// Where it is, for messages and readiness.
    description: String,
}

impl Archive {
    /// Opens (creating) a local archive in the folder `root`. Writes are durable before they
    /// return: a put's pair is synced with the group it is written in (see `LocalWriter`).
    pub fn open(root: &Path) -> Result<Self, ArchiveError> {
        let settings = |message: String| ArchiveError::Settings {
            url: root.display().to_string(),
            message,
        };
        std::fs::create_dir_all(root).map_err(|e| settings(e.to_string()))?;
        // Absolute, as object_store makes its own: both write the same files.
        let absolute = std::fs::canonicalize(root).map_err(|e| settings(e.to_string()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&absolute)
            .map_err(|e| settings(e.to_string()))?
            .with_fsync(true);
        Ok(Self {
            store: Arc::new(store),
            local: Some(Arc::new(LocalWriter::new(absolute))),
            description: root.display().to_string(),
        })
    }

    /// Opens the archive at `url`: `s3://bucket[/prefix]` (endpoint, region and credentials from
    /// the `AWS_*` environment variables that `object_store` reads: `AWS_ENDPOINT`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP`), or
    /// `file:///folder`, or a plain folder path.
    pub fn open_url(url: &str) -> Result<Self, ArchiveError> {
        let settings = |message: &str| ArchiveError::Settings {
            url: url.into(),
            message: message.into(),
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(settings("names no bucket"));
            }
            let s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| settings(&e.to_string()))?;
            let prefix = prefix.trim_matches('/');
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                let prefix = ObjectPath::parse(prefix).map_err(|e| settings(&e.to_string()))?;
                Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
            };
            return Ok(Self {
                store,
                local: None,
                description: url.into(),
            });
        }
        let folder = url.strip_prefix("file://").unwrap_or(url);
        if folder.contains("://") {
            return Err(settings(
                "expected s3://bucket/prefix, file:///folder or a folder",
            ));
        }
        Self::open(&PathBuf::from(folder))
    }

    /// Where the archive is (its folder or URL).
    pub fn description(&self) -> &str {
        &self.description
    }

    fn location(sha256: &str, extension: &str) -> ObjectPath {
        let prefix = sha256.get(..2).unwrap_or("00");
        ObjectPath::from_iter([prefix.to_string(), format!("{sha256}.{extension}")])
    }

    /// Stores `pdf` with its `metadata` (JSON) and returns its SHA-256 (hex). Both are durably
    /// stored when this returns (synced locally; acknowledged by the S3 service).
    pub async fn put(&self, pdf: Hashed, metadata: Vec<u8>) -> Result<String, ArchiveError> {
        self.put_pair(pdf, "pdf", metadata, Self::location).await
    }

    /// Stores `object` as `<sha256>.<extension>` with `metadata` as `<sha256>.json`, where
    /// `locate` puts them (one folder), durably; returns the SHA-256.
    async fn put_pair(
        &self,
        object: Hashed,
        extension: &str,
        metadata: Vec<u8>,
        locate: fn(&str, &str) -> ObjectPath,
    ) -> Result<String, ArchiveError> {
        let Hashed { bytes, sha256 } = object;
        let (json, location) = (locate(&sha256, "json"), locate(&sha256, extension));
        // Metadata first, so that a reader never finds an object without its metadata (after a
        // crash, what was not registered is an orphan either way). Both are overwritten whole
        // when the same object comes again, which content addressing makes harmless.
        if let Some(local) = &self.local {
            local.put([(json, metadata), (location, bytes)]).await?;
            return Ok(sha256);
        }
        self.store
            .put(&json, PutPayload::from(metadata))
            .await
            .map_err(store_error(&json))?;
        self.store
            .put(&location, PutPayload::from(bytes))
            .await
            .map_err(store_error(&location))?;
        Ok(sha256)
    }

    fn package_location(sha256: &str, extension: &str) -> ObjectPath {
        let prefix = sha256.get(..2).unwrap_or("00");
        ObjectPath::from_iter([
            "packages".to_string(),
            prefix.to_string(),
            format!("{sha256}.{extension}"),
        ])
    }

    /// Stores an incoming application package (`zip`) with its `metadata` under
    /// `packages/`, content-addressed like the PDFs; returns its SHA-256. Durable on return.
    pub async fn put_package(
        &self,
        zip: Vec<u8>,
        metadata: Vec<u8>,
    ) -> Result<String, ArchiveError> {
        self.put_pair(Hashed::new(zip), "zip", metadata, Self::package_location)
            .await
    }

    /// The package stored under `sha256`, checked against its name.
    pub async fn get_package(&self, sha256: &str) -> Result<Vec<u8>, ArchiveError> {
        self.get_checked(Self::package_location(sha256, "zip"), sha256)
            .await
    }

    /// The PDF stored under `sha256`, checked against its name.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>, ArchiveError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ArchiveError::Missing(sha256.into()));
        }
        self.get_checked(Self::location(sha256, "pdf"), sha256)
            .await
    }

    async fn get_checked(
        &self,
        location: ObjectPath,
        sha256: &str,
    ) -> Result<Vec<u8>, ArchiveError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ArchiveError::Missing(sha256.into()));
        }
        let bytes = match self.store.get(&location).await {
            Ok(found) => found.bytes().await.map_err(store_error(&location))?,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(ArchiveError::Missing(sha256.into()));
            }
            Err(e) => return Err(store_error(&location)(e)),
        };
        if hex::encode(openssl::sha::sha256(&bytes)) != sha256 {
            return Err(ArchiveError::Corrupt(sha256.into()));
        }
        Ok(bytes.to_vec())
    }

    /// Every document stored (outside `orphans/`): each content-addressed PDF or metadata
    /// object, by hash, with when the newer of the two was written, sorted by hash.
    pub async fn documents(&self) -> Result<Vec<StoredDocument>, ArchiveError> {
        let everything = ObjectPath::from("");
        let listed: Vec<object_store::ObjectMeta> = self
            .store
            .list(None)
            .try_collect()
            .await
            .map_err(store_error(&everything))?;
        let mut documents = std::collections::BTreeMap::<String, StoredDocument>::new();
        for meta in listed {
            let parts: Vec<_> = meta.location.parts().collect();
            let [folder, file] = parts.as_slice() else {
                continue;
            };
            let Some((sha256, extension)) = file.as_ref().split_once('.') else {
                continue;
            };
            let content_addressed = sha256.len() == 64
                && sha256.bytes().all(|b| b.is_ascii_hexdigit())
                && sha256.get(..2) == Some(folder.as_ref());
            if !content_addressed || !matches!(extension, "pdf" | "json") {
                continue;
            }
            let written = time::UtcDateTime::from_unix_timestamp(meta.last_modified.timestamp())
                .unwrap_or(time::UtcDateTime::UNIX_EPOCH);
            let document = documents
                .entry(sha256.to_string())
                .or_insert_with(|| StoredDocument {
                    sha256: sha256.to_string(),
                    written,
                    has_pdf: false,
                });
            document.written = document.written.max(written);
            document.has_pdf |= extension == "pdf";
        }
        Ok(documents.into_values().collect())
    }

    /// Every PDF hash stored (outside `orphans/`), sorted.
    pub async fn hashes(&self) -> Result<Vec<String>, ArchiveError> {
        Ok(self
            .documents()
            .await?
            .into_iter()
            .filter(|document| document.has_pdf)
            .map(|document| document.sha256)
            .collect())
    }

    /// Moves a document's PDF and metadata, whichever are there, out of the archive into
    /// `orphans/`, for inspection.
    pub async fn quarantine(&self, sha256: &str) -> Result<(), ArchiveError> {
        for extension in ["json", "pdf"] {
            let from = Self::location(sha256, extension);
            let to =
                ObjectPath::from_iter(["orphans".to_string(), format!("{sha256}.{extension}")]);
            match self.store.rename(&from, &to).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(store_error(&from)(e)),
            }
        }
        Ok(())
    }

    /// Whether the archive is there and writable.
    pub async fn check(&self) -> Result<(), ArchiveError> {
        let probe = ObjectPath::from(".ready");
        self.store
            .put(&probe, PutPayload::from_static(b"ok"))
            .await
            .map_err(store_error(&probe))?;
        Ok(())
    }
}

/// A pair of objects in one folder (metadata first), as handed to [`LocalWriter::put`].
type Pair = [(ObjectPath, Vec<u8>); 2];

/// The local archive's writer. Each put hands its pair here and waits; one blocking job at a
/// time writes what is waiting, as a group ([`write_group`]), so that the documents issued
/// together are made durable together: one flush of the file system for a group of new
/// objects, where each pair took three fsyncs (two files, their folder). Without any of those
/// syncs the service issued about a fifth more documents a second on a disk.
#[derive(Debug)]
struct LocalWriter {
    root: PathBuf,
    queue: Mutex<WriteQueue>,
}

#[derive(Debug, Default)]
struct WriteQueue {
    waiting: Vec<WaitingPair>,
    /// Whether a job is writing; it takes what waits before it ends.
    writing: bool,
    /// The groups written so far (the tests check that puts made at once are grouped).
    #[cfg(test)]
    groups: usize,
}

#[derive(Debug)]
struct WaitingPair {
    pair: Pair,
    done: tokio::sync::oneshot::Sender<Result<(), ArchiveError>>,
}

impl LocalWriter {
    fn new(root: PathBuf) -> Self {
        Self {
            root,
            queue: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WriteQueue> {
        // Entries are pushed and taken whole, so a panic elsewhere leaves no half-made state.
        crate::lock_unpoisoned(&self.queue)
    }

    /// Stores `pair`, durably: returns once its group is written and synced.
    async fn put(self: &Arc<Self>, pair: Pair) -> Result<(), ArchiveError> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let start = {
            let mut queue = self.lock();
            queue.waiting.push(WaitingPair { pair, done });
            !std::mem::replace(&mut queue.writing, true)
        };
        if start {
            let job = WriterJob {
                writer: Arc::clone(self),
                finished: false,
            };
            tokio::task::spawn_blocking(move || job.run());
        }
        answer.await.unwrap_or_else(|_| {
            Err(ArchiveError::Io {
                path: self.root.clone(),
                source: std::io::Error::other("the archive's writer stopped before this put"),
            })
        })
    }
}

/// The blocking job that writes groups until none waits.
struct WriterJob {
    writer: Arc<LocalWriter>,
    finished: bool,
}

impl WriterJob {
    fn run(mut self) {
        loop {
            let group = {
                let mut queue = self.writer.lock();
                if queue.waiting.is_empty() {
                    queue.writing = false;
                    self.finished = true;
                    return;
                }
                #[cfg(test)]
                {
                    queue.groups += 1;
                }
                std::mem::take(&mut queue.waiting)
            };
            let pairs: Vec<&Pair> = group.iter().map(|waiting| &waiting.pair).collect();
            let results = write_group(&self.writer.root, &pairs);
            for (waiting, result) in group.into_iter().zip(results) {
                // A put whose caller went away: its objects are orphans, as after a crash.
                let _ = waiting.done.send(result);
            }
        }
    }
}

impl Drop for WriterJob {
    /// A job that panicked, or never ran (its runtime shut down): the puts waiting are
    /// answered with an error (their senders dropped), and the next put starts a new job.
    fn drop(&mut self) {
        if !self.finished {
            let mut queue = self.writer.lock();
            queue.writing = false;
            queue.waiting.clear();
        }
    }
}

/// One object written, not yet durable.
enum StagedObject {
    /// Created under its own name, where no object was: nothing reads it before the registry
    /// names it, and a crash before that leaves an orphan, as any unregistered object.
    New(PathBuf),
    /// Written to a temporary file beside the object of the same name, which it replaces whole
    /// when renamed.
    Replacing(tempfile::NamedTempFile, PathBuf),
}

impl StagedObject {
    /// The file written.
    fn written(&self) -> &Path {
        match self {
            Self::New(path) => path,
            Self::Replacing(file, _) => file.path(),
        }
    }
}

/// A pair's two objects, written, not yet durable.
struct StagedPair {
    objects: [StagedObject; 2],
    folder: PathBuf,
    /// Folders made for it, whose entries in their parents must become durable too.
    made: Vec<PathBuf>,
}

/// Writes `pairs` into the local archive at `root`, durable on return, and answers for each
/// pair:
/// 1. each pair's objects written, metadata first, its folders made if new: a new object
///    under its own name, one that replaces an object in a temporary file;
/// 2. one sync for all that ([`crate::batch::sync_paths`]: one `syncfs` on Linux), contents
///    and new names;
/// 3. only when an object is replaced: the renames, metadata first, and one more sync.
///
/// So a reader never finds an object without its metadata, and a replaced object is whole
/// before and after. Nothing is registered before this returns, so a crash in between leaves
/// orphans (moved away at start), whole or not. A pair that fails fails alone; a failed sync
/// fails every pair it covered.
fn write_group(root: &Path, pairs: &[&Pair]) -> Vec<Result<(), ArchiveError>> {
    let mut staged: Vec<Result<StagedPair, ArchiveError>> =
        pairs.iter().map(|pair| stage_pair(root, pair)).collect();
    let mut written: Vec<&Path> = Vec::new();
    for pair in staged.iter().flatten() {
        written.extend(pair.objects.iter().map(StagedObject::written));
        // New names, where a file's sync alone does not make them durable (not Linux).
        if pair
            .objects
            .iter()
            .any(|o| matches!(o, StagedObject::New(_)))
        {
            written.push(&pair.folder);
        }
        written.extend(pair.made.iter().filter_map(|made| made.parent()));
    }
    if let Err((path, source)) = crate::batch::sync_paths(&written) {
        fail_staged(&mut staged, &path, &source);
    }
    let mut renamed_in: Vec<PathBuf> = Vec::new();
    let mut results: Vec<Result<bool, ArchiveError>> = Vec::with_capacity(pairs.len());
    for pair in staged {
        results.push(pair.and_then(|pair| {
            let mut renamed = false;
            for object in pair.objects {
                if let StagedObject::Replacing(file, path) = object {
                    // Synced below whether or not the next rename goes through.
                    renamed = true;
                    renamed_in.push(pair.folder.clone());
                    file.persist(&path).map_err(|e| ArchiveError::Io {
                        path,
                        source: e.error,
                    })?;
                }
            }
            Ok(renamed)
        }));
    }
    renamed_in.sort();
    renamed_in.dedup();
    let synced = crate::batch::sync_paths(&renamed_in);
    results
        .into_iter()
        .map(|result| match (result?, &synced) {
            (true, Err((path, source))) => Err(copy_io_error(path, source)),
            _ => Ok(()),
        })
        .collect()
}

/// Step 1 of [`write_group`] for one pair.
fn stage_pair(root: &Path, pair: &Pair) -> Result<StagedPair, ArchiveError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Io { path, source }
    };
    let paths = pair.each_ref().map(|(location, _)| {
        location
            .parts()
            .fold(root.to_path_buf(), |path, part| path.join(part.as_ref()))
    });
    let Some(folder) = paths[0]
        .parent()
        .filter(|f| Some(*f) == paths[1].parent())
        .map(Path::to_path_buf)
    else {
        return Err(ArchiveError::Settings {
            url: root.display().to_string(),
            message: "a pair of objects must share a folder".into(),
        });
    };
    let mut made = Vec::new();
    if !folder.is_dir() {
        // The folders about to be made: their entries are synced in step 2.
        made = folder
            .ancestors()
            .take_while(|ancestor| *ancestor != root && !ancestor.is_dir())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    }
    let [(_, json), (_, bytes)] = pair;
    let [json_path, path] = paths;
    let stage = |bytes: &[u8], path: PathBuf| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
        match options.open(&path) {
            Ok(mut file) => match std::io::Write::write_all(&mut file, bytes) {
                Ok(()) => Ok(StagedObject::New(path)),
                Err(source) => {
                    // Not left half-written under its name (an orphan either way).
                    let _ = std::fs::remove_file(&path);
                    Err(ArchiveError::Io { path, source })
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mut file = crate::batch::temporary_file_in(&folder).map_err(io(&folder))?;
                std::io::Write::write_all(&mut file, bytes).map_err(io(file.path()))?;
                Ok(StagedObject::Replacing(file, path))
            }
            Err(source) => Err(ArchiveError::Io { path, source }),
        }
    };
    let metadata = stage(json, json_path)?;
    let object = match stage(bytes, path) {
        Ok(object) => object,
        Err(error) => {
            remove_new(&metadata);
            return Err(error);
        }
    };
    let objects = [metadata, object];
    Ok(StagedPair {
        objects,
        folder,
        made,
    })
}

/// Fails every pair still staged with the error of a sync that covered them.
fn fail_staged(
    staged: &mut [Result<StagedPair, ArchiveError>],
    path: &Path,
    source: &std::io::Error,
) {
    for pair in staged.iter_mut() {
        if let Ok(staged) = pair {
            // Dropping the staged pair removes its temporary files; its new files go too.
            staged.objects.iter().for_each(remove_new);
            *pair = Err(copy_io_error(path, source));
        }
    }
}

/// Removes an object created under its own name that will not be registered (it would be an
/// orphan otherwise); best effort, as the start-up check moves away what is left.
fn remove_new(object: &StagedObject) {
    if let StagedObject::New(path) = object {
        let _ = std::fs::remove_file(path);
    }
}

/// The same error for each pair a failed sync covered (`std::io::Error` is not `Clone`).
fn copy_io_error(path: &Path, source: &std::io::Error) -> ArchiveError {
    ArchiveError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(source.kind(), source.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `folder`, sorted.
    fn files(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_local_put_stores_both_objects_whole_and_leaves_no_staging_file() {
        let folder = tempfile::tempdir().unwrap();
        let archive = Archive::open(folder.path()).unwrap();
        let sha256 = archive
            .put(Hashed::new(b"%PDF-1.7 one".to_vec()), b"{\"n\":1}".to_vec())
            .await
            .unwrap();
        assert_eq!(sha256, hex::encode(openssl::sha::sha256(b"%PDF-1.7 one")));
        assert_eq!(archive.get(&sha256).await.unwrap(), b"%PDF-1.7 one");
        let prefix = folder.path().join(&sha256[..2]);
        assert_eq!(
            std::fs::read(prefix.join(format!("{sha256}.json"))).unwrap(),
            b"{\"n\":1}"
        );
        // No temporary file is left beside the two objects.
        assert_eq!(
            files(&prefix),
            vec![format!("{sha256}.json"), format!("{sha256}.pdf")]
        );
        assert_eq!(archive.hashes().await.unwrap(), vec![sha256.clone()]);
        // The same PDF again, with other metadata: replaced whole, by new files renamed over
        // the old ones (new inodes), never rewritten in place.
        #[cfg(unix)]
        let inodes = |prefix: &Path| {
            use std::os::unix::fs::MetadataExt;
            ["json", "pdf"].map(|extension| {
                std::fs::metadata(prefix.join(format!("{sha256}.{extension}")))
                    .unwrap()
                    .ino()
            })
        };
        #[cfg(unix)]
        let first_inodes = inodes(&prefix);
        archive
            .put(Hashed::new(b"%PDF-1.7 one".to_vec()), b"{\"n\":2}".to_vec())
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(prefix.join(format!("{sha256}.json"))).unwrap(),
            b"{\"n\":2}"
        );
        assert_eq!(archive.get(&sha256).await.unwrap(), b"%PDF-1.7 one");
        #[cfg(unix)]
        {
            let second_inodes = inodes(&prefix);
            assert!(
                first_inodes[0] != second_inodes[0] && first_inodes[1] != second_inodes[1],
                "{first_inodes:?} then {second_inodes:?}"
            );
        }
        assert_eq!(
            files(&prefix),
            vec![format!("{sha256}.json"), format!("{sha256}.pdf")]
        );
        // A package goes two folders down, made on the way.
        let package = archive
            .put_package(b"PK zip".to_vec(), b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(archive.get_package(&package).await.unwrap(), b"PK zip");
    }

    #[tokio::test]
    async fn metadata_left_without_its_pdf_is_a_document_without_one_and_can_be_moved_aside() {
        let folder = tempfile::tempdir().unwrap();
        let archive = Archive::open(folder.path()).unwrap();
        let whole = archive
            .put(Hashed::new(b"%PDF-1.7 whole".to_vec()), b"{}".to_vec())
            .await
            .unwrap();
        // A crash between creating the metadata and the PDF leaves the metadata alone.
        let alone = hex::encode(openssl::sha::sha256(b"%PDF-1.7 never written"));
        let prefix = folder.path().join(&alone[..2]);
        std::fs::create_dir_all(&prefix).unwrap();
        std::fs::write(prefix.join(format!("{alone}.json")), b"{}").unwrap();
        let mut expected = vec![(whole.clone(), true), (alone.clone(), false)];
        expected.sort();
        let listed: Vec<(String, bool)> = archive
            .documents()
            .await
            .unwrap()
            .into_iter()
            .map(|document| (document.sha256, document.has_pdf))
            .collect();
        assert_eq!(listed, expected);
        assert_eq!(archive.hashes().await.unwrap(), vec![whole.clone()]);
        archive.quarantine(&alone).await.unwrap();
        assert!(
            folder
                .path()
                .join("orphans")
                .join(format!("{alone}.json"))
                .exists()
        );
        assert!(!prefix.join(format!("{alone}.json")).exists());
        let listed: Vec<String> = archive
            .documents()
            .await
            .unwrap()
            .into_iter()
            .map(|document| document.sha256)
            .collect();
        assert_eq!(listed, vec![whole]);
    }

    #[tokio::test]
    async fn a_staging_file_left_by_a_crash_neither_blocks_a_put_nor_is_listed() {
        let folder = tempfile::tempdir().unwrap();
        let archive = Archive::open(folder.path()).unwrap();
        let pdf = b"%PDF-1.7 two".to_vec();
        let sha256 = hex::encode(openssl::sha::sha256(&pdf));
        let prefix = folder.path().join(&sha256[..2]);
        std::fs::create_dir_all(&prefix).unwrap();
        let left = prefix.join(format!("{sha256}.pdf#1"));
        std::fs::write(&left, b"half a PD").unwrap();
        assert_eq!(archive.hashes().await.unwrap(), Vec::<String>::new());
        archive
            .put(Hashed::new(pdf.clone()), b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(archive.get(&sha256).await.unwrap(), pdf);
        assert_eq!(archive.hashes().await.unwrap(), vec![sha256.clone()]);
        // The crash's file stays for inspection; this put left no file of its own beside the
        // two objects.
        assert_eq!(
            files(&prefix),
            vec![
                format!("{sha256}.json"),
                format!("{sha256}.pdf"),
                format!("{sha256}.pdf#1")
            ]
        );
    }

    #[tokio::test]
    async fn a_local_put_that_cannot_write_names_the_path() {
        let folder = tempfile::tempdir().unwrap();
        let archive = Archive::open(folder.path()).unwrap();
        let pdf = b"%PDF-1.7 three".to_vec();
        let sha256 = hex::encode(openssl::sha::sha256(&pdf));
        // A file where the object's folder should be.
        std::fs::write(folder.path().join(&sha256[..2]), b"not a folder").unwrap();
        let error = archive
            .put(Hashed::new(pdf), b"{}".to_vec())
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ArchiveError::Io { path, .. } if path.ends_with(&sha256[..2])),
            "{error:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn puts_made_at_once_are_written_in_fewer_groups_and_all_stored() {
        let folder = tempfile::tempdir().unwrap();
        let archive = Archive::open(folder.path()).unwrap();
        let pdfs: Vec<Vec<u8>> = (0..24)
            .map(|i| format!("%PDF-1.7 document {i}").into_bytes())
            .collect();
        let puts = pdfs.iter().map(|pdf| {
            archive.put(
                Hashed::new(pdf.clone()),
                format!("{{\"len\":{}}}", pdf.len()).into_bytes(),
            )
        });
        let stored = futures_util::future::join_all(puts).await;
        let mut hashes = Vec::new();
        for (pdf, sha256) in pdfs.iter().zip(stored) {
            let sha256 = sha256.unwrap();
            assert_eq!(&archive.get(&sha256).await.unwrap(), pdf);
            let json = folder
                .path()
                .join(&sha256[..2])
                .join(format!("{sha256}.json"));
            assert_eq!(
                std::fs::read(json).unwrap(),
                format!("{{\"len\":{}}}", pdf.len()).into_bytes()
            );
            hashes.push(sha256);
        }
        hashes.sort();
        assert_eq!(archive.hashes().await.unwrap(), hashes);
        let writer = archive.local.as_ref().unwrap().lock();
        // The first put's job starts while the others are being handed over.
        assert!(writer.groups < 24, "{} groups for 24 puts", writer.groups);
        assert!(!writer.writing && writer.waiting.is_empty());
    }

    #[test]
    fn a_pair_that_cannot_be_written_fails_alone_in_its_group() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path();
        let pair = |name: &str, bytes: &[u8]| -> Pair {
            [
                (ObjectPath::from_iter([name, "x.json"]), b"{}".to_vec()),
                (ObjectPath::from_iter([name, "x.pdf"]), bytes.to_vec()),
            ]
        };
        // A file where the first pair's folder should be.
        std::fs::write(root.join("aa"), b"not a folder").unwrap();
        let blocked = pair("aa", b"one");
        let fine = pair("bb", b"two");
        let results = write_group(root, &[&blocked, &fine]);
        assert!(
            matches!(&results[0], Err(ArchiveError::Io { path, .. }) if path.ends_with("aa")),
            "{:?}",
            results[0]
        );
        assert!(results[1].is_ok(), "{:?}", results[1]);
        assert_eq!(std::fs::read(root.join("bb/x.pdf")).unwrap(), b"two");
        assert_eq!(files(&root.join("bb")), vec!["x.json", "x.pdf"]);
    }
}
