//! Key-space notifications: `notify-keyspace-events` and publishing events.
//!
//! Commands report what they did to a key with `Server::notify` (an event
//! class, an event name such as `set` or `expire`, the key and its db).
//! When the class is enabled the event is published as Pub/Sub messages to
//! `__keyspace@<db>__:<key>` (message: the event) and/or
//! `__keyevent@<db>__:<event>` (message: the key), as Redis does.
//!
//! Keys deleted by expiry (lazily during a lookup, or by the active cycle)
//! are logged by `Db`; the server drains those logs before publishing any
//! other event and after every command, so `expired` arrives in the order it
//! happened, and WATCHes on those keys are touched.

use crate::net::Client;
use crate::server::Server;

pub const KEYSPACE: u32 = 1 << 0; // K
pub const KEYEVENT: u32 = 1 << 1; // E
pub const GENERIC: u32 = 1 << 2; // g
pub const STRING: u32 = 1 << 3; // $
pub const LIST: u32 = 1 << 4; // l
pub const SET: u32 = 1 << 5; // s
pub const HASH: u32 = 1 << 6; // h
pub const ZSET: u32 = 1 << 7; // z
pub const EXPIRED: u32 = 1 << 8; // x
pub const EVICTED: u32 = 1 << 9; // e
pub const STREAM: u32 = 1 << 10; // t
pub const KEY_MISS: u32 = 1 << 11; // m (not part of A)
pub const MODULE: u32 = 1 << 13; // d
pub const NEW: u32 = 1 << 14; // n (not part of A)
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Parse a class string (`KEA`, `Kx$`…); None on an unknown character.
pub fn parse_flags(s: &str) -> Option<u32> {
    let mut f = 0;
    for ch in s.chars() {
        f |= match ch {
            'A' => ALL,
            'g' => GENERIC,
            '$' => STRING,
            'l' => LIST,
            's' => SET,
            'h' => HASH,
            'z' => ZSET,
            'x' => EXPIRED,
            'e' => EVICTED,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            't' => STREAM,
            'm' => KEY_MISS,
            'd' => MODULE,
            'n' => NEW,
            _ => return None,
        };
    }
    Some(f)
}

/// The canonical class string CONFIG GET shows for `flags`.
pub fn flags_to_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & ALL == ALL {
        s.push('A');
    } else {
        for (f, ch) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if flags & f != 0 {
                s.push(ch);
            }
        }
    }
    for (f, ch) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & f != 0 {
            s.push(ch);
        }
    }
    s
}

/// The form kept in the configuration: Redis's canonical string, except
/// that `n` is kept next to `A` (Redis's string drops it there, though the
/// flag stays on). CONFIG GET shows `flags_to_string` of it.
pub fn stored_string(flags: u32) -> String {
    let s = flags_to_string(flags);
    if flags & ALL == ALL && flags & NEW != 0 {
        s.replacen('A', "An", 1)
    } else {
        s
    }
}

/// The CONFIG SET error for a bad class string.
pub const BAD_CLASS: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

impl Server {
    /// Report an event of class `class` on `key` of database `db`. `c` is
    /// the client being served (it may be a subscriber itself).
    pub fn notify(&mut self, c: &mut Client, class: u32, event: &str, key: &[u8], db: usize) {
        if self.cfg.notify_flags & class == 0 {
            // Nothing to publish; logged expiries wait for the end of the
            // command.
            return;
        }
        // Earlier expiries first, in the order they happened.
        self.drain_expired(Some(&mut *c));
        self.notify_event(Some(c), class, event, key, db);
    }

    /// Publish one event, if its class is enabled.
    pub fn notify_event(
        &mut self,
        mut c: Option<&mut Client>,
        class: u32,
        event: &str,
        key: &[u8],
        db: usize,
    ) {
        let flags = self.cfg.notify_flags;
        if flags & class == 0 {
            return;
        }
        if flags & KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            self.publish(c.as_deref_mut(), &ch, event.as_bytes(), false);
        }
        if flags & KEYEVENT != 0 {
            let ch = format!("__keyevent@{db}__:{event}");
            self.publish(c, ch.as_bytes(), key, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_canonically() {
        assert_eq!(flags_to_string(parse_flags("gKE").unwrap()), "gKE");
        assert_eq!(
            flags_to_string(parse_flags("$lshzxeKE").unwrap()),
            "$lshzxeKE"
        );
        assert_eq!(flags_to_string(parse_flags("KA").unwrap()), "AK");
        assert_eq!(flags_to_string(parse_flags("EA").unwrap()), "AE");
        assert_eq!(flags_to_string(parse_flags("AnmKE").unwrap()), "AKEm");
        assert_eq!(flags_to_string(parse_flags("Ex").unwrap()), "xE");
        assert_eq!(flags_to_string(parse_flags("").unwrap()), "");
        assert_eq!(parse_flags("Kq"), None);
        assert_eq!(flags_to_string(parse_flags("nd").unwrap()), "dn");
        // `n` survives next to `A` in the stored form only
        let f = parse_flags("AKEnm").unwrap();
        assert_eq!(stored_string(f), "AnKEm");
        assert_eq!(parse_flags(&stored_string(f)), Some(f));
        assert_eq!(flags_to_string(f), "AKEm");
    }
}
