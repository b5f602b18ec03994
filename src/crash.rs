//! Crash reports: a panic anywhere in the server writes a report in the
//! shape of Redis's bug report (start/end markers, the panic message and
//! where it happened, a backtrace, the server's version) to the log, removes
//! the pid file, and ends the process with a non-zero status — a server in
//! an unknown state must not keep serving.

use std::backtrace::Backtrace;

/// Install the panic hook; `pidfile` is removed when the server crashes.
pub fn install(pidfile: String) {
    std::panic::set_hook(Box::new(move |info| {
        let mut r = String::new();
        r.push_str("\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n");
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "Box<dyn Any>".into());
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        crate::log_warning!("------------------------------------------------");
        crate::log_warning!("!!! Software Failure. Press left mouse button to continue");
        crate::log_warning!("Guru Meditation: {msg} #{place}");
        r.push_str(&format!(
            "{}:M {} # Redis {} crashed by panic in thread '{}': {} at {}\n",
            std::process::id(),
            crate::log::timestamp(),
            crate::REDIS_VERSION,
            thread,
            msg,
            place
        ));
        r.push_str("\n------ STACK TRACE ------\n");
        r.push_str(&Backtrace::force_capture().to_string());
        r.push_str("\n------ INFO OUTPUT ------\n");
        r.push_str(&format!(
            "redis_version:{}\ncinnabar_version:{}\nprocess_id:{}\n",
            crate::REDIS_VERSION,
            env!("CARGO_PKG_VERSION"),
            std::process::id()
        ));
        r.push_str("\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n");
        crate::log::write_raw(&r);
        if !pidfile.is_empty() {
            let _ = std::fs::remove_file(&pidfile);
        }
        std::process::exit(1);
    }));
}
