//! A script that runs too long: past `busy-reply-threshold` the server
//! goes on serving the event loop from inside the script's hook, answering
//! other clients `-BUSY` except for SCRIPT KILL, FUNCTION KILL and SHUTDOWN
//! NOSAVE (Redis's processEventsWhileBlocked).

use super::RunCtx;

pub const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// The -BUSY text for the script running now.
pub fn busy_error() -> &'static str {
    match super::ctx() {
        Some(x) if !x.eval_mode => BUSY_FUNCTION,
        _ => BUSY_EVAL,
    }
}

/// Called from the Lua hook every few thousand instructions.
pub fn on_hook(ctx: &mut RunCtx) {
    // SAFETY: valid while the script runs (see `RunCtx`).
    let srv = unsafe { &mut *ctx.srv };
    let limit = srv
        .cfg
        .get("busy-reply-threshold")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(5000);
    let elapsed = crate::util::time::now_ms() - ctx.start_ms;
    if elapsed < limit {
        return;
    }
    if !ctx.busy {
        ctx.busy = true;
        crate::log_warning!(
            "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the SCRIPT KILL command. Script name is: {}.",
            ctx.sha
        );
    }
    srv.process_events_while_busy();
}

/// SCRIPT KILL (`eval` true) / FUNCTION KILL.
pub fn kill(_srv: &mut crate::server::Server, c: &mut crate::net::Client, eval: bool) {
    let Some(ctx) = super::ctx() else {
        c.reply
            .err_code("NOTBUSY No scripts in execution right now.");
        return;
    };
    if ctx.wrote {
        // Checked first, as Redis does.
        c.reply.err_code("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
        return;
    }
    if eval != ctx.eval_mode {
        c.reply
            .err_code(if eval { BUSY_FUNCTION } else { BUSY_EVAL });
        return;
    }
    ctx.killed = true;
    c.reply.ok();
}
