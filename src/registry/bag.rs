//! BagIt packages (RFC 8493) of archived documents: the payload under `data/`, `bagit.txt`,
//! `bag-info.txt`, SHA-256 and SHA-512 payload manifests and a SHA-256 tag manifest, so an
//! archive can prove each file decades on without eucdoc. Written as a folder (`eucdoc export`,
//! atomically: a bag that is there is whole) or as a zip (`GET /v1/documents/{id}/package`).

use std::io::Write;
use std::path::{Path, PathBuf};

/// A bag: every file with its path inside the bag, tag files included.
#[derive(Debug, Clone)]
pub struct Bag {
    files: Vec<(String, Vec<u8>)>,
}

/// Why a bag could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BagError {
    /// A payload name that would leave `data/` or is not a plain relative path.
    #[error("the payload name {0:?} is not a plain relative path")]
    BadName(String),
    /// The file system refused.
    #[error("cannot write the bag at {path}: {source}")]
    Write {
        /// Where.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The zip writer failed.
    #[error("cannot zip the bag: {0}")]
    Zip(String),
}

impl Bag {
    /// The bag of `payload` (names relative to `data/`) with `info` as bag-info.txt's metadata
    /// (in order; Payload-Oxum is added).
    pub fn new(payload: Vec<(String, Vec<u8>)>, info: &[(&str, String)]) -> Result<Self, BagError> {
        for (name, _) in &payload {
            let plain = !name.is_empty()
                && name
                    .split('/')
                    .all(|part| !part.is_empty() && part != "." && part != "..")
                && !name.contains(['\\', '\r', '\n']);
            if !plain {
                return Err(BagError::BadName(name.clone()));
            }
        }
        let payload: Vec<(String, Vec<u8>)> = payload
            .into_iter()
            .map(|(name, bytes)| (format!("data/{name}"), bytes))
            .collect();
        let octets: usize = payload.iter().map(|(_, bytes)| bytes.len()).sum();
        let mut bag_info = String::new();
        for (label, value) in info {
            // One line per element: bag-info values may not hold line breaks unfolded.
            let value = value.replace(['\r', '\n'], " ");
            bag_info.push_str(&format!("{label}: {value}\n"));
        }
        bag_info.push_str(&format!("Payload-Oxum: {octets}.{}\n", payload.len()));
        let manifest_sha256 = manifest(&payload, |b| openssl::sha::sha256(b).to_vec());
        let manifest_sha512 = manifest(&payload, |b| openssl::sha::sha512(b).to_vec());
        let tags = vec![
            (
                "bagit.txt".to_string(),
                b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_vec(),
            ),
            ("bag-info.txt".to_string(), bag_info.into_bytes()),
            ("manifest-sha256.txt".to_string(), manifest_sha256),
            ("manifest-sha512.txt".to_string(), manifest_sha512),
        ];
        let tag_manifest = manifest(&tags, |b| openssl::sha::sha256(b).to_vec());
        let mut files = payload;
        files.extend(tags);
        files.push(("tagmanifest-sha256.txt".to_string(), tag_manifest));
        Ok(Self { files })
    }

    /// Every file of the bag, with its path inside it.
    pub fn files(&self) -> &[(String, Vec<u8>)] {
        &self.files
    }

    /// Writes the bag as the folder `dir`, replacing one that is there: first whole into a
    /// sibling folder, synced, then renamed, so a folder named `dir` is always a whole bag.
    pub fn write_dir(&self, dir: &Path) -> Result<(), BagError> {
        let staged = self.stage(dir)?;
        publish_all(vec![staged])
    }

    /// Writes the bag whole into `.{name}.partial` beside `dir`, not yet synced; it becomes `dir`
    /// when [`publish_all`] takes it. A partial folder left by an interrupted run is replaced.
    pub fn stage(&self, dir: &Path) -> Result<Staged, BagError> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let partial = dir.with_file_name(format!(".{name}.partial"));
        if partial.exists() {
            std::fs::remove_dir_all(&partial).map_err(|e| write_error(&partial, e))?;
        }
        let mut written = Vec::with_capacity(self.files.len());
        for (path, bytes) in &self.files {
            let target = partial.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
            }
            std::fs::write(&target, bytes).map_err(|e| write_error(&target, e))?;
            written.push(target);
        }
        Ok(Staged {
            partial,
            dir: dir.to_path_buf(),
            written,
        })
    }

    /// The bag as a zip whose entries lie under the folder `root` (as RFC 8493, 4.2 suggests
    /// for serialised bags). Entries are stored, not deflated: the PDFs are compressed already.
    pub fn to_zip(&self, root: &str) -> Result<Vec<u8>, BagError> {
        let zip_error = |e: zip::result::ZipError| BagError::Zip(e.to_string());
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        for (path, bytes) in &self.files {
            writer
                .start_file(format!("{root}/{path}"), options)
                .map_err(zip_error)?;
            writer
                .write_all(bytes)
                .map_err(|e| BagError::Zip(e.to_string()))?;
        }
        Ok(writer.finish().map_err(zip_error)?.into_inner())
    }
}

/// A bag written by [`Bag::stage`], not yet durable nor in its place.
#[derive(Debug)]
pub struct Staged {
    partial: PathBuf,
    dir: PathBuf,
    written: Vec<PathBuf>,
}

/// Makes the `staged` bags durable and puts each in its place (replacing an earlier bag there),
/// so that a bag under its own name is always whole, even after a crash. One `syncfs` makes a
/// whole batch durable on Linux ([`crate::batch::sync_paths`]), instead of an fsync per file
/// (ten per bag): that is what lets an export write hundreds of bags a second.
pub fn publish_all(staged: Vec<Staged>) -> Result<(), BagError> {
    if staged.is_empty() {
        return Ok(());
    }
    let written: Vec<&PathBuf> = staged.iter().flat_map(|bag| &bag.written).collect();
    crate::batch::sync_paths(&written).map_err(|(path, e)| write_error(&path, e))?;
    let mut parents = Vec::new();
    for bag in &staged {
        if bag.dir.exists() {
            std::fs::remove_dir_all(&bag.dir).map_err(|e| write_error(&bag.dir, e))?;
        }
        std::fs::rename(&bag.partial, &bag.dir).map_err(|e| write_error(&bag.dir, e))?;
        if let Some(parent) = bag.dir.parent()
            && !parents.contains(&parent)
        {
            parents.push(parent);
        }
    }
    // The renames themselves are durable once their folders are synced.
    let parents: Vec<&Path> = parents
        .into_iter()
        .map(|parent| {
            if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            }
        })
        .collect();
    crate::batch::sync_paths(&parents).map_err(|(path, e)| write_error(&path, e))
}

fn write_error(path: &Path, source: std::io::Error) -> BagError {
    BagError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// A manifest: one "checksum  path" line per file (RFC 8493, 2.1.3).
/// OpenSSL's digests: on SHA-NI and AVX2 they outrun the portable ones, and a bag hashes its
/// PDF twice.
fn manifest(files: &[(String, Vec<u8>)], digest: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = String::new();
    for (path, bytes) in files {
        out.push_str(&format!("{}  {path}\n", hex::encode(digest(bytes))));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_name_every_file_with_its_digests() {
        let bag = Bag::new(
            vec![("a.txt".into(), b"abc".to_vec())],
            &[("External-Identifier", "KZ-1\nx".into())],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let file = |name: &str| {
            bag.files()
                .iter()
                .find(|(path, _)| path == name)
                .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            file("manifest-sha256.txt"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  data/a.txt\n"
        );
        assert!(file("manifest-sha512.txt").starts_with("ddaf35a193617aba"));
        assert_eq!(
            file("bag-info.txt"),
            "External-Identifier: KZ-1 x\nPayload-Oxum: 3.1\n"
        );
        let tags = file("tagmanifest-sha256.txt");
        for tag in [
            "bagit.txt",
            "bag-info.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
        ] {
            assert!(tags.contains(&format!("  {tag}\n")), "{tags}");
        }
    }

    #[test]
    fn payload_names_stay_inside_data() {
        for name in ["../x", "a/../../x", "", "a//b", "/abs"] {
            assert!(
                Bag::new(vec![(name.into(), Vec::new())], &[]).is_err(),
                "{name}"
            );
        }
    }

    #[test]
    fn a_bag_written_again_replaces_the_old_one_whole() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let target = dir.path().join("KZ-1");
        let first = Bag::new(vec![("old.txt".into(), b"1".to_vec())], &[]);
        let second = Bag::new(vec![("new.txt".into(), b"2".to_vec())], &[]);
        for bag in [first, second] {
            bag.and_then(|b| b.write_dir(&target))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(target.join("data/new.txt").exists());
        assert!(!target.join("data/old.txt").exists());
        assert!(!dir.path().join(".KZ-1.partial").exists());
    }

    #[test]
    fn a_batch_is_published_whole_over_leftovers_of_an_interrupted_run() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // What a run killed while writing leaves: a partial folder, never a bag under its name.
        let leftover = dir.path().join(".KZ-2.partial/data");
        std::fs::create_dir_all(&leftover).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(leftover.join("stale.txt"), b"x").unwrap_or_else(|e| panic!("{e}"));
        let staged: Vec<Staged> = ["KZ-1", "KZ-2"]
            .iter()
            .map(|name| {
                Bag::new(vec![("a.txt".into(), name.as_bytes().to_vec())], &[])
                    .and_then(|bag| bag.stage(&dir.path().join(name)))
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        assert!(
            !dir.path().join("KZ-1").exists(),
            "staged is not yet in place"
        );
        publish_all(staged).unwrap_or_else(|e| panic!("{e}"));
        for name in ["KZ-1", "KZ-2"] {
            let bag = dir.path().join(name);
            let text = std::fs::read(bag.join("data/a.txt")).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(text, name.as_bytes());
            assert!(bag.join("tagmanifest-sha256.txt").exists());
            assert!(!dir.path().join(format!(".{name}.partial")).exists());
        }
        assert!(!dir.path().join("KZ-2/data/stale.txt").exists());
    }
}
