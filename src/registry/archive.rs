//! The archive: every issued PDF stored content-addressed by its SHA-256, next to a JSON file
//! with its registry data, written and fsynced (file and folder) before the registry commits,
//! so that a registered number always has its PDF. A file the registry does not know (a crash
//! between the archive write and the commit) is an orphan, reported at start.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the archive can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// A filesystem operation failed.
    #[error("archive {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No such PDF.
    #[error("the archive has no PDF {0}")]
    Missing(String),
    /// A stored PDF's hash is not its name (corruption).
    #[error("archived PDF {0} does not match its hash")]
    Corrupt(String),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A filesystem archive rooted at a folder: `ab/abcdef….pdf` and `ab/abcdef….json`.
#[derive(Debug, Clone)]
pub struct Archive {
    root: PathBuf,
}

impl Archive {
    /// Opens (creating) the archive at `root`.
    pub fn open(root: &Path) -> Result<Self, ArchiveError> {
        fs::create_dir_all(root).map_err(io(root))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn path_of(&self, sha256: &str, extension: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join(prefix).join(format!("{sha256}.{extension}"))
    }

    /// Stores `pdf` with its `metadata` (JSON) and returns its SHA-256 (hex). Both files are on
    /// disk, fsynced with their folder, when this returns.
    pub fn put(&self, pdf: &[u8], metadata: &[u8]) -> Result<String, ArchiveError> {
        let sha256 = hex::encode(openssl::sha::sha256(pdf));
        let pdf_path = self.path_of(&sha256, "pdf");
        let dir = pdf_path.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        // Metadata first: a PDF on disk always has its metadata.
        write_durably(&self.path_of(&sha256, "json"), metadata)?;
        if !pdf_path.exists() {
            write_durably(&pdf_path, pdf)?;
        }
        // The folder entry itself must survive a crash.
        fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&dir))?;
        Ok(sha256)
    }

    /// The PDF stored under `sha256`, checked against its name.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, ArchiveError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ArchiveError::Missing(sha256.into()));
        }
        let path = self.path_of(sha256, "pdf");
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ArchiveError::Missing(sha256.into()));
            }
            Err(e) => return Err(io(&path)(e)),
        };
        if hex::encode(openssl::sha::sha256(&bytes)) != sha256 {
            return Err(ArchiveError::Corrupt(sha256.into()));
        }
        Ok(bytes)
    }

    /// Every PDF hash stored.
    pub fn hashes(&self) -> Result<Vec<String>, ArchiveError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(io(&self.root))? {
            let dir = entry.map_err(io(&self.root))?.path();
            if !dir.is_dir() || dir.file_name().is_some_and(|n| n == "orphans") {
                continue;
            }
            for file in fs::read_dir(&dir).map_err(io(&dir))? {
                let path = file.map_err(io(&dir))?.path();
                if path.extension().is_some_and(|e| e == "pdf")
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                {
                    out.push(stem.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Moves a PDF (and its metadata) out of the archive into `orphans/`, for inspection.
    pub fn quarantine(&self, sha256: &str) -> Result<(), ArchiveError> {
        let target = self.root.join("orphans");
        fs::create_dir_all(&target).map_err(io(&target))?;
        for extension in ["pdf", "json"] {
            let from = self.path_of(sha256, extension);
            if from.exists() {
                let to = target.join(format!("{sha256}.{extension}"));
                fs::rename(&from, &to).map_err(io(&from))?;
            }
        }
        Ok(())
    }

    /// Whether the archive folder is there and writable.
    pub fn check(&self) -> Result<(), ArchiveError> {
        let probe = self.root.join(".ready");
        fs::write(&probe, b"ok").map_err(io(&probe))?;
        Ok(())
    }
}

/// Writes through a temporary file in the same folder, fsyncs it, renames it into place.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    file.write_all(bytes).map_err(io(path))?;
    file.as_file().sync_all().map_err(io(path))?;
    file.persist(path).map_err(|e| io(path)(e.error))?;
    Ok(())
}
