//! Background I/O (Redis's bio.c): one helper thread for the file work
//! whose cost the event loop must not pay — the once-a-second fsync of
//! `appendfsync everysec`, and unlinking files that a rewrite replaced
//! (removing a large file frees its page-cache pages, milliseconds for a
//! big AOF base). Jobs run in the order they were queued. The thread starts
//! with the first job.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

enum Job {
    Fsync(File),
    Unlink(PathBuf),
}

pub struct Bio {
    tx: Sender<Job>,
    /// An fsync is queued or running.
    fsync_busy: Arc<AtomicBool>,
}

impl Bio {
    /// Start the thread; failed fsyncs are counted in `errors`.
    pub fn spawn(errors: Arc<AtomicU64>) -> Bio {
        let (tx, rx) = channel::<Job>();
        let fsync_busy = Arc::new(AtomicBool::new(false));
        let busy = fsync_busy.clone();
        let _ = std::thread::Builder::new()
            .name("bio".into())
            .spawn(move || {
                for job in rx {
                    match job {
                        Job::Fsync(f) => {
                            if f.sync_data().is_err() {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                            busy.store(false, Ordering::Release);
                        }
                        Job::Unlink(p) => {
                            let _ = std::fs::remove_file(p);
                        }
                    }
                }
            });
        Bio { tx, fsync_busy }
    }

    /// Whether the last fsync has not finished yet.
    pub fn fsync_busy(&self) -> bool {
        self.fsync_busy.load(Ordering::Acquire)
    }

    /// fsync `f` (a duplicate of the file being appended to).
    pub fn fsync(&self, f: File) {
        self.fsync_busy.store(true, Ordering::Release);
        if self.tx.send(Job::Fsync(f)).is_err() {
            self.fsync_busy.store(false, Ordering::Release);
        }
    }

    /// Remove a file; done here at once if the thread is gone.
    pub fn unlink(&self, p: PathBuf) {
        if let Err(e) = self.tx.send(Job::Unlink(p)) {
            let Job::Unlink(p) = e.0 else { return };
            let _ = std::fs::remove_file(p);
        }
    }
}
