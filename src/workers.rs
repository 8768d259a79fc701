//! The threads that run the service's CPU-bound jobs (rendering, signing, verifying).
//!
//! Each worker is the only thread of a rayon pool of its own. Typst and krilla hand parts of a
//! compile to rayon (`Engine::parallelize` for page runs, a page's content stream deflated in
//! the background); from a thread outside rayon each such part is a hand-off to rayon's global
//! pool and back, several per document, each waking a thread that then spins before it sleeps.
//! On a worker of a one-thread pool the same calls run in place. A pool runs one job at a time,
//! so a job waiting inside Typst never takes up another job: the nesting that one shared pool
//! would allow (a worker waiting inside a render steals a whole other render onto its stack).
//! [`crate::batch::parallel_map`] runs its threads the same way.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

/// Why a job did not give its result.
#[derive(Debug, thiserror::Error)]
pub enum WorkersError {
    #[error("no worker thread could be started: {0}")]
    Start(String),
    #[error("the workers are shut down")]
    Closed,
    #[error("the job panicked: {0}")]
    Panicked(String),
}

/// `count` worker threads, each a one-thread rayon pool.
pub struct Workers {
    idle: Arc<Mutex<Vec<Arc<rayon::ThreadPool>>>>,
    permits: Arc<Semaphore>,
}

impl Workers {
    /// Starts `count` workers (at least one) with `stack_bytes` of stack each.
    pub fn new(count: usize, stack_bytes: usize) -> Result<Self, WorkersError> {
        let count = count.max(1);
        let pools = (0..count)
            .map(|i| one_thread_pool(format!("eucdoc-worker-{i}"), stack_bytes).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            idle: Arc::new(Mutex::new(pools)),
            permits: Arc::new(Semaphore::new(count)),
        })
    }

    /// Runs `job` on an idle worker, waiting for one when all are busy. The worker is idle
    /// again once `job` returns, even if the caller stopped waiting for it.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WorkersError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| WorkersError::Closed)?;
        // A permit is held for each busy worker, so one is idle now.
        let pool = crate::lock_unpoisoned(&self.idle)
            .pop()
            .ok_or(WorkersError::Closed)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let idle = self.idle.clone();
        let this_pool = pool.clone();
        pool.spawn(move || {
            // rayon aborts the process on a panic in a spawned job: catch it and report it.
            let result = std::panic::catch_unwind(AssertUnwindSafe(job))
                .map_err(|panic| WorkersError::Panicked(panic_message(panic.as_ref())));
            crate::lock_unpoisoned(&idle).push(this_pool);
            drop(permit);
            // The caller may have stopped waiting; the result is then dropped.
            let _ = sender.send(result);
        });
        receiver.await.map_err(|_| WorkersError::Closed)?
    }
}

/// A rayon pool of one thread, `name`, with `stack_bytes` of stack: rayon work started on it
/// (Typst's, krilla's) runs on that thread.
pub fn one_thread_pool(
    name: String,
    stack_bytes: usize,
) -> Result<rayon::ThreadPool, WorkersError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .stack_size(stack_bytes)
        .thread_name(move |_| name.clone())
        .build()
        .map_err(|e| WorkersError::Start(e.to_string()))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_on_workers_and_rayon_work_stays_on_them() {
        let workers = Workers::new(2, 4 * 1024 * 1024).unwrap();
        let (name, inner_names) = workers
            .run(|| {
                let name = std::thread::current().name().map(str::to_string);
                // What Typst does inside a compile: a parallel map.
                use rayon::prelude::*;
                let inner: Vec<Option<String>> = (0..64)
                    .into_par_iter()
                    .map(|_| std::thread::current().name().map(str::to_string))
                    .collect();
                (name, inner)
            })
            .await
            .unwrap();
        let name = name.unwrap();
        assert!(name.starts_with("eucdoc-worker-"), "{name}");
        assert!(
            inner_names
                .iter()
                .all(|n| n.as_deref() == Some(name.as_str()))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_is_an_error_and_its_worker_stays() {
        let workers = Workers::new(1, 4 * 1024 * 1024).unwrap();
        let error = workers.run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert!(
            matches!(error, WorkersError::Panicked(ref m) if m == "boom"),
            "{error}"
        );
        assert_eq!(workers.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_jobs_run_at_once_than_workers() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let workers = Arc::new(Workers::new(2, 4 * 1024 * 1024).unwrap());
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..12).map(|_| {
            let (workers, running, most) = (workers.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                workers
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            })
        });
        for job in jobs.collect::<Vec<_>>() {
            job.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
