//! Command propagation: what the AOF (and, later, replicas) receive for each
//! change to the dataset, in its *effective* form.
//!
//! As in Redis's call(), a command that changed the dataset (the `dirty`
//! counter moved) is propagated as it was sent, unless its handler said
//! otherwise while it ran:
//!
//! * `rewrite(argv)` replaces what is propagated: relative expiry becomes
//!   absolute (`PEXPIREAT`, `SET … PXAT`), INCRBYFLOAT becomes `SET …
//!   KEEPTTL`, SPOP becomes SREM, a blocking pop its non-blocking form, so
//!   replaying the stream gives the same data whenever it is replayed;
//! * `also(db, argv)` adds an operation of its own (the DEL of a key found
//!   expired, the pops done for blocked clients), `prevent()` drops the
//!   command itself, `force()` propagates it even if nothing changed
//!   (FLUSHALL on an empty dataset).
//!
//! Operations gather during one execution unit (a command, an EXEC, one
//! serving of blocked clients, one expired key) and are then handed on
//! together: more than one is wrapped in MULTI … EXEC so a replay applies
//! them atomically, and a SELECT goes first whenever the database changes,
//! per target. Loading (AOF replay) propagates nothing.

use bytes::Bytes;

/// Propagation targets, as bits (Redis's PROPAGATE_AOF, PROPAGATE_REPL).
pub const TO_AOF: u8 = 1;
pub const TO_REPLICAS: u8 = 2;

/// Propagation state of the server (`Server::prop`).
#[derive(Default)]
pub struct Propagation {
    /// Operations of the current execution unit: (db, argv).
    ops: Vec<(usize, Vec<Bytes>)>,
    /// Operations for replicas only (PUBLISH: subscribers of a replica
    /// hear what is published on its master, but an AOF replays no
    /// messages). They follow the unit's other operations.
    replica_ops: Vec<(usize, Vec<Bytes>)>,
    replicas_only: bool,
    /// What the running command propagates instead of its own argv.
    rewritten: Option<Vec<Bytes>>,
    forced: bool,
    prevented: bool,
    /// Nothing is propagated (loading the AOF).
    pub muted: bool,
    /// Targets (`TO_AOF`, `TO_REPLICAS`) the operations recorded now skip
    /// (a script's `redis.set_repl`).
    pub skip: u8,
    /// Per operation of `ops`, the targets it skips; empty while no
    /// operation of the unit skips any (the usual case).
    skips: Vec<u8>,
    /// `skips` of the unit `take_unit` returned last.
    taken_skips: Vec<u8>,
    /// Someone receives the stream (the AOF is on, or a replica is
    /// attached); without one nothing is recorded, so a write costs no copy
    /// of its arguments. Kept current by `Server::sync_propagation`.
    pub listening: bool,
    unwrapped: bool,
}

impl Propagation {
    /// The running command propagates `argv` instead of itself.
    pub fn rewrite(&mut self, argv: Vec<Bytes>) {
        self.rewritten = Some(argv);
    }

    /// Propagate the running command even if it changed nothing.
    pub fn force(&mut self) {
        self.forced = true;
    }

    /// Propagate the running command to replicas only, even though it
    /// changed nothing (Redis's PROPAGATE_REPL for PUBLISH).
    pub fn force_replicas_only(&mut self) {
        self.replicas_only = true;
    }

    /// Do not propagate the running command (its handler used `also`).
    pub fn prevent(&mut self) {
        self.prevented = true;
    }

    /// An extra operation of this execution unit.
    pub fn also(&mut self, db: usize, argv: Vec<Bytes>) {
        if self.listening && !self.muted {
            self.push(db, argv);
        }
    }

    fn push(&mut self, db: usize, argv: Vec<Bytes>) {
        if self.skip != 0 && self.skips.is_empty() {
            self.skips.resize(self.ops.len(), 0);
        }
        if self.skip != 0 || !self.skips.is_empty() {
            self.skips.push(self.skip);
        }
        self.ops.push((db, argv));
    }

    /// The running command ended: record it if it is to be propagated.
    pub fn command_done(&mut self, db: usize, argv: &[Bytes], changed: bool) {
        let rewritten = self.rewritten.take();
        let (forced, prevented) = (self.forced, self.prevented);
        let replicas_only = std::mem::take(&mut self.replicas_only);
        self.forced = false;
        self.prevented = false;
        if replicas_only && self.listening && !self.muted && !prevented {
            self.replica_ops
                .push((db, rewritten.unwrap_or_else(|| argv.to_vec())));
            return;
        }
        if !self.listening || self.muted || prevented || !(changed || forced) {
            return;
        }
        self.push(db, rewritten.unwrap_or_else(|| argv.to_vec()));
    }

    /// A command that may touch arbitrary keys (SCAN, RANDOMKEY) ran
    /// directly: its lazy-expiry DELs are not wrapped in a transaction,
    /// like active expiry's.
    pub fn no_transaction(&mut self) {
        self.unwrapped = true;
    }

    /// Take the operations of the execution unit, wrapped in MULTI/EXEC
    /// when there are several (the wrapping goes to every target, as in
    /// Redis). Which targets each one skips: `take_skips`.
    pub fn take_unit(&mut self) -> Vec<(usize, Vec<Bytes>)> {
        let mut ops = std::mem::take(&mut self.ops);
        let mut skips = std::mem::take(&mut self.skips);
        let unwrapped = std::mem::take(&mut self.unwrapped);
        if ops.len() > 1 && !unwrapped {
            let (first, last) = (ops[0].0, ops[ops.len() - 1].0);
            ops.insert(0, (first, vec![Bytes::from_static(b"MULTI")]));
            ops.push((last, vec![Bytes::from_static(b"EXEC")]));
            if !skips.is_empty() {
                skips.insert(0, 0);
                skips.push(0);
            }
        }
        self.taken_skips = skips;
        ops
    }

    /// The operations of the unit `take_unit` returned that go to `target`,
    /// or None when all of them do.
    pub fn only_for(
        &self,
        ops: &[(usize, Vec<Bytes>)],
        target: u8,
    ) -> Option<Vec<(usize, Vec<Bytes>)>> {
        if self.taken_skips.is_empty() {
            return None;
        }
        Some(
            ops.iter()
                .zip(&self.taken_skips)
                .filter(|(_, s)| *s & target == 0)
                .map(|(op, _)| op.clone())
                .collect(),
        )
    }

    /// Take the replica-only operations of the unit (see `replica_ops`).
    pub fn take_replica_only(&mut self) -> Vec<(usize, Vec<Bytes>)> {
        std::mem::take(&mut self.replica_ops)
    }

    pub fn has_pending(&self) -> bool {
        !self.ops.is_empty() || !self.replica_ops.is_empty()
    }
}

/// DEL, or UNLINK when the `lazyfree-lazy-*` directive `lazy` is on: how
/// Redis propagates a deletion.
pub fn del_for(cfg: &crate::config::Config, lazy: &str, key: &[u8]) -> Vec<Bytes> {
    let name = if cfg.get(lazy) == Some("yes") {
        "UNLINK"
    } else {
        "DEL"
    };
    vec![
        Bytes::from_static(name.as_bytes()),
        Bytes::copy_from_slice(key),
    ]
}

/// Bytes helpers for handlers building the argv they propagate.
pub fn arg(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

pub fn int_arg(n: i64) -> Bytes {
    Bytes::from(n.to_string())
}

/// Append `argv` as a RESP multibulk to `out`.
pub fn encode_command(out: &mut Vec<u8>, argv: &[Bytes]) {
    use std::io::Write;
    let _ = write!(out, "*{}\r\n", argv.len());
    for a in argv {
        let _ = write!(out, "${}\r\n", a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// One destination of the stream (the AOF, a replica): remembers which
/// database it last selected.
#[derive(Default)]
pub struct Target {
    pub selected: Option<usize>,
}

impl Target {
    /// Append `ops` to `out`, each preceded by SELECT when its database
    /// differs from the one last selected.
    pub fn feed(&mut self, out: &mut Vec<u8>, ops: &[(usize, Vec<Bytes>)]) {
        for (db, argv) in ops {
            if self.selected != Some(*db) {
                encode_command(out, &[arg("SELECT"), int_arg(*db as i64)]);
                self.selected = Some(*db);
            }
            encode_command(out, argv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|a| arg(a)).collect()
    }

    #[test]
    fn unit_of_several_ops_is_a_transaction() {
        let mut p = Propagation {
            listening: true,
            ..Default::default()
        };
        p.also(0, v(&["DEL", "old"]));
        p.command_done(0, &v(&["SET", "k", "v"]), true);
        let ops = p.take_unit();
        let names: Vec<&[u8]> = ops.iter().map(|(_, a)| &a[0][..]).collect();
        assert_eq!(names, [&b"MULTI"[..], b"DEL", b"SET", b"EXEC"]);
        assert!(!p.has_pending());
    }

    #[test]
    fn skipped_targets_are_left_out_per_operation() {
        let mut p = Propagation {
            listening: true,
            ..Default::default()
        };
        p.command_done(0, &v(&["SET", "a", "1"]), true);
        p.skip = TO_REPLICAS;
        p.command_done(0, &v(&["SET", "c", "3"]), true);
        p.skip = 0;
        p.command_done(0, &v(&["SET", "d", "4"]), true);
        let ops = p.take_unit();
        assert_eq!(ops.len(), 5);
        let keys = |o: Vec<(usize, Vec<Bytes>)>| -> Vec<Bytes> {
            o.into_iter()
                .map(|(_, a)| a.get(1).cloned().unwrap_or_else(|| a[0].clone()))
                .collect()
        };
        assert_eq!(
            keys(p.only_for(&ops, TO_AOF).unwrap()),
            v(&["MULTI", "a", "c", "d", "EXEC"])
        );
        assert_eq!(
            keys(p.only_for(&ops, TO_REPLICAS).unwrap()),
            v(&["MULTI", "a", "d", "EXEC"])
        );
        // The next unit goes everywhere again.
        p.command_done(0, &v(&["SET", "e", "5"]), true);
        let ops = p.take_unit();
        assert!(p.only_for(&ops, TO_AOF).is_none());
    }

    #[test]
    fn replica_only_operations_stay_out_of_the_unit() {
        let mut p = Propagation {
            listening: true,
            ..Default::default()
        };
        p.force_replicas_only();
        p.command_done(0, &v(&["PUBLISH", "ch", "m"]), false);
        assert!(p.has_pending());
        assert!(p.take_unit().is_empty());
        assert_eq!(p.take_replica_only(), vec![(0, v(&["PUBLISH", "ch", "m"]))]);
        assert!(!p.has_pending());
        // The mark lasts for one command only.
        p.command_done(0, &v(&["GET", "k"]), false);
        assert!(!p.has_pending());
    }

    #[test]
    fn unchanged_commands_are_dropped_unless_forced() {
        let mut p = Propagation {
            listening: true,
            ..Default::default()
        };
        p.command_done(0, &v(&["DEL", "nokey"]), false);
        assert!(p.take_unit().is_empty());
        p.force();
        p.command_done(0, &v(&["FLUSHALL"]), false);
        assert_eq!(p.take_unit().len(), 1);
        p.rewrite(v(&["PEXPIREAT", "k", "100"]));
        p.command_done(0, &v(&["EXPIRE", "k", "1"]), true);
        assert_eq!(p.take_unit()[0].1, v(&["PEXPIREAT", "k", "100"]));
        p.prevent();
        p.command_done(0, &v(&["SPOP", "s"]), true);
        assert!(p.take_unit().is_empty());
        // Nobody listening: nothing is recorded (no copy per write).
        p.listening = false;
        p.command_done(0, &v(&["SET", "k", "v"]), true);
        assert!(!p.has_pending());
    }

    #[test]
    fn target_selects_when_the_db_changes() {
        let mut t = Target::default();
        let mut out = Vec::new();
        t.feed(
            &mut out,
            &[(0, v(&["SET", "a", "1"])), (0, v(&["DEL", "a"]))],
        );
        t.feed(&mut out, &[(3, v(&["SET", "b", "2"]))]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *2\r\n$3\r\nDEL\r\n$1\r\na\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n\
             *3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
    }
}
