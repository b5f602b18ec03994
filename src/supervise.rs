//! `supervised systemd` / `auto`: tell systemd how start-up and shutdown go
//! through the sd_notify protocol — one datagram per state ("STATUS=…",
//! "READY=1", "STOPPING=1") to the unix socket named by `$NOTIFY_SOCKET`
//! (a leading `@` means the abstract namespace) — without linking
//! libsystemd. Upstart supervision (SIGSTOP when ready) is done as well.

use std::os::unix::net::UnixDatagram;

use crate::{log_notice, log_verbose, log_warning};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    None,
    Systemd,
    Upstart,
}

/// Send one sd_notify message; false when there is no socket or it fails.
pub fn notify(msg: &str) -> bool {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        log_warning!("systemd supervision error: NOTIFY_SOCKET not found!");
        return false;
    };
    let path = path.to_string_lossy().into_owned();
    let Ok(sock) = UnixDatagram::unbound() else {
        return false;
    };
    let res = if let Some(name) = path.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .and_then(|a| sock.send_to_addr(msg.as_bytes(), &a))
    } else {
        sock.send_to(msg.as_bytes(), &path)
    };
    match res {
        Ok(_) => true,
        Err(e) => {
            log_warning!("systemd supervision error: sd_notify: {e}");
            false
        }
    }
}

/// Redis's redisIsSupervised: resolve `auto` from the environment and
/// announce the loading state.
pub fn start(setting: &str) -> Mode {
    let mode = match setting {
        "systemd" => Mode::Systemd,
        "upstart" => Mode::Upstart,
        "auto" if std::env::var_os("UPSTART_JOB").is_some() => {
            log_verbose!("Upstart supervision detected.");
            Mode::Upstart
        }
        "auto" if std::env::var_os("NOTIFY_SOCKET").is_some() => {
            log_verbose!("Systemd supervision detected.");
            Mode::Systemd
        }
        _ => Mode::None,
    };
    match mode {
        Mode::Systemd => {
            if !notify("STATUS=Redis is loading...\n") {
                return Mode::None;
            }
            log_notice!(
                "Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit."
            );
            Mode::Systemd
        }
        Mode::Upstart => {
            if std::env::var_os("UPSTART_JOB").is_none() {
                log_verbose!("upstart supervision requested, but UPSTART_JOB not found!");
                return Mode::None;
            }
            log_notice!("supervised by upstart, will stop to signal readiness.");
            Mode::Upstart
        }
        Mode::None => Mode::None,
    }
}

/// The server accepts connections.
pub fn ready(mode: Mode) {
    match mode {
        Mode::Systemd => {
            notify("STATUS=Ready to accept connections\n");
            notify("READY=1\n");
        }
        Mode::Upstart => {
            // SAFETY: raising SIGSTOP on ourselves is how upstart expects
            // readiness; UPSTART_JOB is removed as Redis does.
            unsafe {
                libc::raise(libc::SIGSTOP);
                std::env::remove_var("UPSTART_JOB");
            }
        }
        Mode::None => {}
    }
}

/// The server is about to exit.
pub fn stopping(mode: Mode) {
    if mode == Mode::Systemd {
        notify("STOPPING=1\n");
    }
}
