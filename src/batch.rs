//! Batch rendering: one JSON document per line, rendered in parallel on all cores.
//!
//! A bad line never stops the batch: every line gets an outcome, failures carry their line
//! number. Output files are written atomically (temporary file, synced, then renamed), so a file
//! named after a document is always complete; one thread writes them while the others render.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::model::{self, Input, ValidationErrors};
use crate::render::{RenderError, Renderer};

/// Why one line produced no document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The line is not a valid input document.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// Without a registry every document must carry its number.
    #[error("number: is required when rendering without a registry")]
    NoNumber,
    /// Another line already has this number.
    #[error("number: \"{number}\" is already used by line {first_line}")]
    DuplicateNumber {
        /// The repeated number.
        number: String,
        /// The earlier line that has it.
        first_line: usize,
    },
    /// Rendering failed.
    #[error("{0}")]
    Render(#[from] RenderError),
    /// Signing failed.
    #[error("{0}")]
    Sign(#[from] crate::sign::SignError),
    /// The PDF could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What happened to one line.
#[derive(Debug)]
pub struct LineOutcome {
    /// Line number in the input file, from 1.
    pub line: usize,
    /// The written PDF, or why there is none.
    pub result: Result<PathBuf, LineError>,
}

/// A parsed line that holds its number, or why it cannot be rendered.
type ClaimedLine = Result<(Input, String), LineError>;

/// Signs every document of a batch with one key (parsed once, shared by all threads).
#[derive(Clone, Copy)]
pub struct BatchSigning<'a> {
    /// The key.
    pub signer: &'a dyn crate::sign::Signer,
    /// The PAdES level.
    pub levels: &'a crate::sign::LevelOptions,
}

/// Renders every non-blank line of `jsonl` into `out_dir` as `{number}.pdf`, signed when
/// `signing` is given. `progress` is called once per finished line (from any thread). Outcomes
/// come back in line order.
pub fn render_jsonl(
    renderer: &Renderer,
    jsonl: &str,
    out_dir: &Path,
    now: time::UtcDateTime,
    signing: Option<BatchSigning<'_>>,
    progress: &(dyn Fn() + Sync),
) -> Vec<LineOutcome> {
    let lines: Vec<(usize, &str)> = jsonl
        .lines()
        .enumerate()
        .map(|(i, text)| (i + 1, text))
        .filter(|(_, text)| !text.trim().is_empty())
        .collect();
    let parsed: Vec<(usize, Result<Input, LineError>)> = parallel_map(lines, |(line, text)| {
        (
            line,
            model::parse(text.as_bytes()).map_err(LineError::Invalid),
        )
    });
    // Numbers are claimed in line order, so which line is the duplicate does not depend on
    // thread timing.
    let mut first_use: HashMap<String, usize> = HashMap::new();
    let claimed: Vec<(usize, ClaimedLine)> = parsed
        .into_iter()
        .map(|(line, parsed)| {
            let result = parsed.and_then(|input| {
                let number = input
                    .document()
                    .number()
                    .ok_or(LineError::NoNumber)?
                    .to_string();
                if let Some(&first_line) = first_use.get(&number) {
                    return Err(LineError::DuplicateNumber { number, first_line });
                }
                first_use.insert(number.clone(), line);
                Ok((input, number))
            });
            (line, result)
        })
        .collect();
    // One thread writes the files while the others render: each file is fsynced, and a render
    // thread that waited for the disk would leave its core idle (on one core, about 1 ms of every
    // 10 ms document).
    let (queue, queued) = std::sync::mpsc::sync_channel::<(usize, PathBuf, Vec<u8>)>(WRITE_QUEUE);
    let write_queued = || {
        let mut written = HashMap::new();
        for (line, path, pdf) in queued {
            written.insert(line, write_or_fail(&path, &pdf));
            progress();
        }
        written
    };
    let (rendered, mut written) = std::thread::scope(|scope| {
        let writer = std::thread::Builder::new()
            .name("eucdoc-write".into())
            .spawn_scoped(scope, write_queued);
        // Without a writer thread each render thread writes its own files.
        let queue = writer.is_ok().then_some(queue);
        let rendered = parallel_map(claimed, |(line, claimed)| {
            let mut handed_over = false;
            let result = claimed.and_then(|(input, number)| {
                let pdf = render_and_sign(renderer, &input, &number, now, signing)?;
                let path = out_dir.join(format!("{number}.pdf"));
                let pdf = match &queue {
                    Some(queue) => match queue.send((line, path.clone(), pdf)) {
                        Ok(()) => {
                            handed_over = true;
                            return Ok(path);
                        }
                        // The writer has stopped (a panic): this thread writes.
                        Err(std::sync::mpsc::SendError((_, _, pdf))) => pdf,
                    },
                    None => pdf,
                };
                write_or_fail(&path, &pdf)?;
                Ok(path)
            });
            if !handed_over {
                progress();
            }
            (LineOutcome { line, result }, handed_over)
        });
        // The writer ends when the last sender is gone.
        drop(queue);
        let written = writer
            .ok()
            .and_then(|writer| writer.join().ok())
            .unwrap_or_default();
        (rendered, written)
    });
    rendered
        .into_iter()
        .map(|(mut outcome, handed_over)| {
            if handed_over {
                // A file the writer never reached (it stopped) is not reported as written.
                let write = written.remove(&outcome.line).unwrap_or_else(|| {
                    Err(LineError::Write {
                        path: outcome.result.as_ref().cloned().unwrap_or_default(),
                        source: std::io::Error::other("the writing thread stopped first"),
                    })
                });
                outcome.result = write.and(outcome.result);
            }
            outcome
        })
        .collect()
}

/// Rendered documents waiting for the writer thread: enough to keep the renderers busy while
/// one file is synced, few enough that a slow disk holds back rendering, not memory.
const WRITE_QUEUE: usize = 4;

fn write_or_fail(path: &Path, pdf: &[u8]) -> Result<(), LineError> {
    write_atomically(path, pdf).map_err(|source| LineError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Stack of each worker thread: a Typst compile of a long document recurses deeply.
pub const WORKER_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Maps `items` through `f` on one thread per core, keeping the order.
///
/// Each thread is the one thread of a rayon pool of its own (crate::workers), so Typst's
/// parallel work inside a render runs in place instead of going to rayon's global pool and
/// back; and no thread ever picks up another thread's item while it waits inside Typst, which
/// on a shared pool nests renders inside renders until the stack overflows.
pub fn parallel_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let count = items.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count.max(1));
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let results: Vec<Mutex<Option<R>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let work = || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let item = slots[i].lock().map(|mut slot| slot.take()).ok().flatten();
                    if let Some(item) = item {
                        let result = f(item);
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = Some(result);
                        }
                    }
                }
            };
            // The scoped thread waits while its pool's thread works.
            let spawned =
                crate::workers::one_thread_pool("eucdoc-render".into(), WORKER_STACK_BYTES)
                    .map_err(|e| std::io::Error::other(e.to_string()))
                    .and_then(|pool| {
                        std::thread::Builder::new()
                            .name("eucdoc-render-wait".into())
                            .spawn_scoped(scope, move || pool.install(work))
                    });
            if spawned.is_err() {
                // No thread to be had: the caller's thread does the rest.
                work();
            }
        }
    });
    results
        .into_iter()
        .filter_map(|slot| slot.into_inner().ok().flatten())
        .collect()
}

/// Renders one document and, with `signing`, signs it with the stamp in its reserved place (a
/// development key marks it as a test document).
pub fn render_and_sign(
    renderer: &Renderer,
    input: &Input,
    number: &str,
    now: time::UtcDateTime,
    signing: Option<BatchSigning<'_>>,
) -> Result<Vec<u8>, LineError> {
    let Some(signing) = signing else {
        return Ok(renderer.render(input, number, now)?.pdf);
    };
    let test_document = crate::sign::is_test_signer(signing.signer);
    let rendered = renderer.render_marked(input, number, now, test_document)?;
    Ok(crate::sign::sign_with_stamp(
        &rendered.pdf,
        signing.signer,
        renderer,
        &crate::sign::StampOptions { place: &rendered.signature_place, position: input.document().signer_position(), time: now, levels: signing.levels, watermark_pages: // The template drew the watermark already.
        false },
    )?)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, then renames it, so
/// that `path` is either absent or complete.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let mut file = temporary_file_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A new temporary file in `dir`, removed when dropped unless persisted, readable like any
/// file the user writes (a temporary file is 0600 by default).
pub fn temporary_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(dir)
}

/// Makes what was written at `paths` durable: files' contents, folders' entries (new names,
/// renames). On Linux with one `syncfs` per file system among them, which costs about what one
/// file's fsync does: a batch of files becomes durable for the price of one. Elsewhere with an
/// fsync of each. On error, the path whose sync failed.
pub fn sync_paths<P: AsRef<Path>>(paths: &[P]) -> Result<(), (PathBuf, std::io::Error)> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |error| (path, error)
    };
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let mut synced: Vec<u64> = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let device = fs::metadata(path).map_err(failed(path))?.dev();
            if synced.contains(&device) {
                continue;
            }
            let file = fs::File::open(path).map_err(failed(path))?;
            rustix::fs::syncfs(&file).map_err(|errno| failed(path)(errno.into()))?;
            synced.push(device);
        }
    }
    #[cfg(not(target_os = "linux"))]
    for path in paths {
        let path = path.as_ref();
        fs::File::open(path)
            .and_then(|file| file.sync_all())
            .map_err(failed(path))?;
    }
    Ok(())
}
