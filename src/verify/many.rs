//! Many files at once (`eucdoc verify FILE...`, folders too): one report per file, on every
//! core, and one exit code for them all, the worst verdict.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Report, VerifyOptions};

/// File name endings taken from a folder (a file named on its own is verified whatever its name).
const SIGNED_EXTENSIONS: [&str; 7] = ["pdf", "p7s", "p7m", "p7b", "cms", "sig", "pem"];

/// Largest number of files verified in one call.
pub const MAX_FILES: usize = 100_000;

/// One file's result: its report, or why it could not be verified at all.
#[derive(Debug, Serialize)]
pub struct FileOutcome {
    /// The file, as named or found in a named folder.
    pub file: PathBuf,
    /// The report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// Why there is no report (unreadable, not a PDF or CMS, over a limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileOutcome {
    /// The exit code of this file alone: the report's, or 2 for a file that could not be read.
    pub fn exit_code(&self) -> u8 {
        self.report.as_ref().map_or(2, Report::exit_code)
    }
}

/// The files `paths` name: files as they are, folders walked (sorted, recursively) for files
/// ending in a signed-document extension. Errors name the path.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
        if files.len() > MAX_FILES {
            return Err(format!("more than {MAX_FILES} files"));
        }
    }
    Ok(files)
}

fn walk(folder: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", folder.display()))?;
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, files)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SIGNED_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            files.push(path);
        }
        if files.len() > MAX_FILES {
            return Err(format!("more than {MAX_FILES} files"));
        }
    }
    Ok(())
}

/// Verifies every file on one thread per core, keeping the order; `progress` is called once per
/// finished file (from any thread).
pub fn verify_files(
    files: Vec<PathBuf>,
    options: &VerifyOptions,
    progress: &(dyn Fn() + Sync),
) -> Vec<FileOutcome> {
    crate::batch::parallel_map(files, |file| {
        let result = read_bounded(&file)
            .and_then(|bytes| super::verify(&bytes, None, options).map_err(|e| e.to_string()));
        progress();
        match result {
            Ok(report) => FileOutcome {
                file,
                report: Some(report),
                error: None,
            },
            Err(error) => FileOutcome {
                file,
                report: None,
                error: Some(error),
            },
        }
    })
}

/// The file's bytes, refusing one over [`super::MAX_INPUT_BYTES`] before reading it.
fn read_bounded(file: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let handle = std::fs::File::open(file).map_err(|e| format!("cannot read it: {e}"))?;
    let limit = super::MAX_INPUT_BYTES as u64;
    let mut bytes = Vec::new();
    handle
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("it is over the {limit}-byte limit"));
    }
    Ok(bytes)
}

/// One exit code for many files: the worst verdict, from best to worst 0 (passed), 3
/// (indeterminate), 1 (failed), 2 (a file that could not be verified at all).
pub fn worst_exit_code(outcomes: &[FileOutcome]) -> u8 {
    let rank = |code: u8| match code {
        0 => 0,
        3 => 1,
        1 => 2,
        _ => 3,
    };
    outcomes
        .iter()
        .map(FileOutcome::exit_code)
        .max_by_key(|code| rank(*code))
        .unwrap_or(0)
}
