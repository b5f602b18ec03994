//! Server log in Redis's line format: `PID:ROLE DD Mon YYYY HH:MM:SS.mmm L message`.
//!
//! Tools and the Tcl test harness grep these lines, so the format is Redis's
//! to the byte. The level characters are `.` debug, `-` verbose, `*` notice,
//! `#` warning. With an empty `logfile` we write to stdout (flushed per line);
//! otherwise the file is opened in append mode for each line, as Redis does,
//! so that log rotation by renaming works without a signal.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
#[repr(u8)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "debug" => Some(Level::Debug),
            "verbose" => Some(Level::Verbose),
            "notice" => Some(Level::Notice),
            "warning" => Some(Level::Warning),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Verbose => "verbose",
            Level::Notice => "notice",
            Level::Warning => "warning",
        }
    }
}

static VERBOSITY: AtomicU8 = AtomicU8::new(Level::Notice as u8);
static LOGFILE: Mutex<String> = Mutex::new(String::new());

pub fn set_verbosity(l: Level) {
    VERBOSITY.store(l as u8, Ordering::Relaxed);
}

pub fn verbosity() -> Level {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Level::Debug,
        1 => Level::Verbose,
        2 => Level::Notice,
        _ => Level::Warning,
    }
}

pub fn set_logfile(path: &str) {
    *LOGFILE.lock().unwrap() = path.to_string();
}

pub fn logfile() -> String {
    LOGFILE.lock().unwrap().clone()
}

pub fn enabled(level: Level) -> bool {
    level as u8 >= VERBOSITY.load(Ordering::Relaxed)
}

/// Format the timestamp part of a log line ("22 Nov 2026 03:18:19.123").
pub fn timestamp() -> String {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let mut buf = [0u8; 64];
    // SAFETY: plain libc calls on stack buffers of the right size.
    let n = unsafe {
        libc::gettimeofday(&mut tv, std::ptr::null_mut());
        libc::localtime_r(&tv.tv_sec, &mut tm);
        libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%d %b %Y %H:%M:%S.".as_ptr(),
            &tm,
        )
    };
    let mut s = String::from_utf8_lossy(&buf[..n]).into_owned();
    s.push_str(&format!("{:03}", tv.tv_usec / 1000));
    s
}

/// Write one raw chunk to the log destination.
pub fn write_raw(msg: &str) {
    let path = LOGFILE.lock().unwrap();
    if path.is_empty() {
        let out = std::io::stdout();
        let mut out = out.lock();
        let _ = out.write_all(msg.as_bytes());
        let _ = out.flush();
    } else if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path.as_str())
    {
        let _ = f.write_all(msg.as_bytes());
    }
}

pub fn log(level: Level, msg: &str) {
    if !enabled(level) {
        return;
    }
    let c = b".-*#"[level as usize] as char;
    let role = if crate::replica::replica_mode() {
        'S'
    } else {
        'M'
    };
    let line = format!(
        "{}:{role} {} {} {}\n",
        std::process::id(),
        timestamp(),
        c,
        msg
    );
    write_raw(&line);
}

#[macro_export]
macro_rules! log_notice { ($($t:tt)*) => { $crate::log::log($crate::log::Level::Notice, &format!($($t)*)) } }
#[macro_export]
macro_rules! log_warning { ($($t:tt)*) => { $crate::log::log($crate::log::Level::Warning, &format!($($t)*)) } }
#[macro_export]
macro_rules! log_verbose { ($($t:tt)*) => { if $crate::log::enabled($crate::log::Level::Verbose) { $crate::log::log($crate::log::Level::Verbose, &format!($($t)*)) } } }
#[macro_export]
macro_rules! log_debug { ($($t:tt)*) => { if $crate::log::enabled($crate::log::Level::Debug) { $crate::log::log($crate::log::Level::Debug, &format!($($t)*)) } } }
