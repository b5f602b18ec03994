//! The reply encoder: one `Reply` buffer per client, protocol-aware.
//!
//! Handlers call typed methods (`bulk`, `int`, `map_len`, `null`, …) and the
//! buffer writes RESP2 or RESP3 according to the client's protocol, exactly
//! as Redis's `addReply*` family does: RESP3 maps, sets, doubles, booleans and
//! nulls degrade to their RESP2 forms (flat arrays, bulk strings, `:1`/`:0`,
//! `$-1`/`*-1`). Lengths not known in advance are written with
//! `begin_deferred` / `end_deferred_*`, which patch the header in afterwards.
//!
//! The bytes accumulate in a `Vec<u8>` that the event loop writes out in
//! `before_sleep`; `sent` marks how much of it already went to the socket.

use crate::util::num;

#[derive(Debug)]
pub struct Reply {
    pub buf: Vec<u8>,
    /// Bytes of `buf` already written to the socket.
    pub sent: usize,
    /// 2 or 3.
    pub resp: u8,
    /// Errors emitted since the counter was last reset (for failed_calls and
    /// errorstats); the code of the last one.
    pub errors: u32,
    pub last_error_code: String,
    /// CLIENT REPLY OFF/SKIP: drop everything written while set.
    pub muted: bool,
    /// Pending bytes past which nothing more is appended (the output
    /// buffer hard limit, `net::obuf`); `overflow` records that it happened.
    pub limit: usize,
    pub overflow: bool,
    /// Where the first deferred length was reserved since the buffer was
    /// last drained: Redis's fixed reply buffer takes nothing after it.
    pub deferred_at: Option<usize>,
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            buf: Vec::new(),
            sent: 0,
            resp: 2,
            errors: 0,
            last_error_code: String::new(),
            muted: false,
            limit: usize::MAX,
            overflow: false,
            deferred_at: None,
        }
    }
}

impl Reply {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        Reply {
            buf: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    /// Bytes waiting to be written.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Whether writes are dropped: muted, or past the limit.
    #[inline]
    fn off(&mut self) -> bool {
        if self.buf.len() - self.sent > self.limit {
            self.overflow = true;
        }
        self.muted || self.overflow
    }

    #[inline]
    pub fn raw(&mut self, b: &[u8]) {
        if !self.off() {
            self.buf.extend_from_slice(b);
        }
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        if self.off() {
            return;
        }
        self.buf.push(prefix);
        num::write_i64(&mut self.buf, n);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn ok(&mut self) {
        self.raw(b"+OK\r\n");
    }

    pub fn simple(&mut self, s: &str) {
        if self.off() {
            return;
        }
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error with the generic `ERR` code: `-ERR {msg}`.
    pub fn err(&mut self, msg: &str) {
        self.err_full("ERR ", msg);
    }

    /// An error whose text starts with its own code: `WRONGTYPE ...`,
    /// `NOAUTH ...`, `EXECABORT ...`.
    pub fn err_code(&mut self, msg: &str) {
        self.err_full("", msg);
    }

    /// An error made of a code prefix ("ERR " or "") and a message.
    pub fn err_full(&mut self, prefix: &str, msg: &str) {
        self.errors += 1;
        let full = format!("{prefix}{msg}");
        let code = full.split(' ').next().unwrap_or("ERR");
        self.last_error_code.clear();
        self.last_error_code.push_str(code);
        if self.off() {
            return;
        }
        self.buf.push(b'-');
        // Newlines would break the protocol: Redis maps them to spaces.
        self.buf.extend(
            full.bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    pub fn bulk(&mut self, b: &[u8]) {
        if self.off() {
            return;
        }
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    pub fn bulk_i64(&mut self, n: i64) {
        let mut tmp = Vec::with_capacity(20);
        num::write_i64(&mut tmp, n);
        self.bulk(&tmp);
    }

    /// RESP2 `$-1`, RESP3 `_`.
    pub fn null(&mut self) {
        if self.resp == 2 {
            self.raw(b"$-1\r\n")
        } else {
            self.raw(b"_\r\n")
        }
    }

    /// RESP2 `*-1`, RESP3 `_`.
    pub fn null_array(&mut self) {
        if self.resp == 2 {
            self.raw(b"*-1\r\n")
        } else {
            self.raw(b"_\r\n")
        }
    }

    pub fn bool(&mut self, b: bool) {
        match (self.resp, b) {
            (2, true) => self.raw(b":1\r\n"),
            (2, false) => self.raw(b":0\r\n"),
            (_, true) => self.raw(b"#t\r\n"),
            (_, false) => self.raw(b"#f\r\n"),
        }
    }

    pub fn array_len(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs: RESP3 `%n`, RESP2 a flat array of 2n.
    pub fn map_len(&mut self, n: usize) {
        if self.resp == 2 {
            self.header(b'*', 2 * n as i64)
        } else {
            self.header(b'%', n as i64)
        }
    }

    /// RESP3 `~n`, RESP2 `*n`.
    pub fn set_len(&mut self, n: usize) {
        if self.resp == 2 {
            self.header(b'*', n as i64)
        } else {
            self.header(b'~', n as i64)
        }
    }

    /// RESP3 `>n`, RESP2 `*n`.
    pub fn push_len(&mut self, n: usize) {
        if self.resp == 2 {
            self.header(b'*', n as i64)
        } else {
            self.header(b'>', n as i64)
        }
    }

    /// A double as Redis's addReplyDouble: `%.17g`, `inf`/`-inf`.
    pub fn double(&mut self, d: f64) {
        let s = num::fmt_double_g17(d);
        if self.resp == 2 {
            self.bulk(s.as_bytes());
        } else {
            if self.off() {
                return;
            }
            self.buf.push(b',');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        }
    }

    /// A number already formatted in Redis's human style (INCRBYFLOAT):
    /// RESP2 bulk, RESP3 double.
    pub fn human_double(&mut self, s: &[u8]) {
        if self.resp == 2 {
            self.bulk(s);
        } else {
            self.raw(b",");
            self.raw(s);
            self.raw(b"\r\n");
        }
    }

    /// Verbatim string (`=len\r\ntxt:...`) in RESP3, bulk in RESP2.
    pub fn verbatim(&mut self, text: &[u8], ext: &str) {
        if self.resp == 2 {
            self.bulk(text);
        } else {
            if self.off() {
                return;
            }
            self.header(b'=', text.len() as i64 + 4);
            let mut e = [b' '; 3];
            for (i, b) in ext.bytes().take(3).enumerate() {
                e[i] = b;
            }
            self.buf.extend_from_slice(&e);
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        }
    }

    pub fn big_number(&mut self, digits: &str) {
        if self.resp == 2 {
            self.bulk(digits.as_bytes());
        } else {
            self.raw(b"(");
            self.raw(digits.as_bytes());
            self.raw(b"\r\n");
        }
    }

    /// Reserve the place of a header whose count is not known yet.
    pub fn begin_deferred(&mut self) -> usize {
        self.deferred_at.get_or_insert(self.buf.len());
        self.buf.len()
    }

    fn end_deferred(&mut self, pos: usize, prefix: u8, n: usize) {
        if self.off() {
            return;
        }
        let mut h = Vec::with_capacity(16);
        h.push(prefix);
        num::write_i64(&mut h, n as i64);
        h.extend_from_slice(b"\r\n");
        self.buf.splice(pos..pos, h);
    }

    pub fn end_deferred_array(&mut self, pos: usize, n: usize) {
        self.end_deferred(pos, b'*', n);
    }

    pub fn end_deferred_map(&mut self, pos: usize, pairs: usize) {
        if self.resp == 2 {
            self.end_deferred(pos, b'*', pairs * 2)
        } else {
            self.end_deferred(pos, b'%', pairs)
        }
    }

    pub fn end_deferred_set(&mut self, pos: usize, n: usize) {
        if self.resp == 2 {
            self.end_deferred(pos, b'*', n)
        } else {
            self.end_deferred(pos, b'~', n)
        }
    }

    /// A list of status lines, as `HELP` subcommands answer.
    pub fn help(&mut self, cmd: &str, lines: &[&str]) {
        self.array_len(lines.len() + 3);
        self.simple(&format!(
            "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        ));
        for l in lines {
            self.simple(l);
        }
        self.simple("HELP");
        self.simple("    Prints this help.");
    }

    /// Drop what was written (after a write error or a kill).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.sent = 0;
        self.deferred_at = None;
    }

    /// Bytes waiting beyond the fixed 16 KiB a client keeps for replies:
    /// what the output buffer limits count (CLIENT LIST `omem`).
    /// Redis fills its fixed buffer with the first 16 KiB of replies, up
    /// to the first reply of unknown length; everything after goes to a
    /// list, which is what is counted.
    pub fn obuf_usage(&self) -> usize {
        let fixed_end = self
            .deferred_at
            .unwrap_or(usize::MAX)
            .min(crate::net::obuf::REPLY_CHUNK)
            .min(self.buf.len());
        self.pending() - fixed_end.saturating_sub(self.sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_forms() {
        let mut r = Reply::new();
        r.null();
        r.null_array();
        r.map_len(2);
        r.bool(true);
        r.double(1.5);
        assert_eq!(r.buf, b"$-1\r\n*-1\r\n*4\r\n:1\r\n$3\r\n1.5\r\n");
        let mut r = Reply::new();
        r.resp = 3;
        r.null();
        r.map_len(2);
        r.bool(false);
        r.double(f64::INFINITY);
        r.verbatim(b"hi", "txt");
        assert_eq!(r.buf, b"_\r\n%2\r\n#f\r\n,inf\r\n=6\r\ntxt:hi\r\n");
    }

    #[test]
    fn errors_and_deferred() {
        let mut r = Reply::new();
        r.err("bad\r\nthing");
        r.err_code("WRONGTYPE Operation");
        assert_eq!(r.buf, b"-ERR bad  thing\r\n-WRONGTYPE Operation\r\n");
        assert_eq!(r.errors, 2);
        assert_eq!(r.last_error_code, "WRONGTYPE");
        let mut r = Reply::new();
        let d = r.begin_deferred();
        r.int(1);
        r.int(2);
        r.end_deferred_array(d, 2);
        assert_eq!(r.buf, b"*2\r\n:1\r\n:2\r\n");
    }
}
