//! Incremental RESP request parser (multibulk and inline).
//!
//! The parser keeps its state between reads: the multibulk count still
//! expected, the length of the bulk being read, and how far a header line has
//! already been scanned for its `\r`, so a request that arrives in many small
//! pieces is never re-scanned from the start. Completed arguments are split
//! off the front of the client's `BytesMut` query buffer as frozen `Bytes`:
//! no copy. When a big bulk (≥ 32 KiB) is announced, the buffer is reserved
//! to hold exactly that bulk, so a large value arrives in one contiguous
//! allocation and becomes the argument without being copied.
//!
//! Limits and error texts are Redis 7.0's (`networking.c`): 64 KiB for an
//! inline request or a count line, `proto-max-bulk-len` for a bulk, and the
//! small limits for clients that have not authenticated yet.

use bytes::{Buf, Bytes, BytesMut};

use super::splitargs::split_args;

/// Inline requests and count lines longer than this are refused.
pub const INLINE_MAX: usize = 64 * 1024;
/// Bulks at least this big are read into a buffer of their own.
pub const BIG_ARG: usize = 32 * 1024;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bulk_len: i64,
    /// The client must authenticate first: count ≤ 10, bulk ≤ 16384.
    pub unauthenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            unauthenticated: false,
        }
    }
}

/// A protocol error: the reply text (without `-ERR `) and the short reason
/// Redis logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub reply: String,
    pub log: &'static str,
}

fn perr(reply: &str, log: &'static str) -> ProtocolError {
    ProtocolError {
        reply: reply.to_string(),
        log,
    }
}

#[derive(Default, Debug)]
pub struct Parser {
    /// Arguments still expected in the current multibulk (0 = between requests).
    multibulk_left: usize,
    /// Length of the bulk being read, once its header has been parsed.
    bulk_len: Option<usize>,
    /// Bytes of the current header line already scanned without finding `\r`/`\n`.
    scanned: usize,
    argv: Vec<Bytes>,
}

impl Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// True when a request has been partly read.
    pub fn in_progress(&self) -> bool {
        self.multibulk_left > 0
    }

    /// How many more bytes the current big bulk needs, so the reader can ask
    /// for exactly that much.
    pub fn pending_bulk(&self) -> Option<usize> {
        self.bulk_len.filter(|&n| n >= BIG_ARG).map(|n| n + 2)
    }

    /// Bytes held by the arguments of a request not complete yet (client
    /// memory accounting: they are no longer in the query buffer).
    pub fn pending_args_bytes(&self) -> usize {
        self.argv.iter().map(|a| a.len()).sum::<usize>()
            + self.argv.capacity() * std::mem::size_of::<Bytes>()
    }

    /// Parse the next request out of `buf`. `Ok(Some(argv))` is a complete
    /// request (possibly empty: `*0`, an empty inline line — skip those),
    /// `Ok(None)` needs more bytes.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if self.multibulk_left == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            if buf[0] != b'*' {
                return self.parse_inline(buf);
            }
            let Some(line_end) = self.find_cr(buf) else {
                if buf.len() > INLINE_MAX {
                    return Err(perr(
                        "Protocol error: too big mbulk count string",
                        "too big mbulk count string",
                    ));
                }
                return Ok(None);
            };
            if line_end + 1 >= buf.len() {
                return Ok(None); // need the \n too
            }
            let n = parse_i64(&buf[1..line_end]);
            let n = match n {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => {
                    return Err(perr(
                        "Protocol error: invalid multibulk length",
                        "invalid mbulk count",
                    ));
                }
            };
            if n > 10 && limits.unauthenticated {
                return Err(perr(
                    "Protocol error: unauthenticated multibulk length",
                    "unauth mbulk count",
                ));
            }
            buf.advance(line_end + 2);
            self.scanned = 0;
            if n <= 0 {
                return Ok(Some(Vec::new()));
            }
            self.multibulk_left = n as usize;
            self.argv = Vec::with_capacity((n as usize).min(1024));
        }
        while self.multibulk_left > 0 {
            let len = match self.bulk_len {
                Some(l) => l,
                None => {
                    let Some(line_end) = self.find_cr(buf) else {
                        if buf.len() > INLINE_MAX {
                            return Err(perr(
                                "Protocol error: too big bulk count string",
                                "too big bulk count string",
                            ));
                        }
                        return Ok(None);
                    };
                    if line_end + 1 >= buf.len() {
                        return Ok(None);
                    }
                    if buf[0] != b'$' {
                        return Err(ProtocolError {
                            reply: format!(
                                "Protocol error: expected '$', got '{}'",
                                buf[0] as char
                            ),
                            log: "expected $ but got something else",
                        });
                    }
                    let l = match parse_i64(&buf[1..line_end]) {
                        Some(l) if l >= 0 && l <= limits.max_bulk_len => l as usize,
                        _ => {
                            return Err(perr(
                                "Protocol error: invalid bulk length",
                                "invalid bulk length",
                            ));
                        }
                    };
                    if l > 16384 && limits.unauthenticated {
                        return Err(perr(
                            "Protocol error: unauthenticated bulk length",
                            "unauth bulk length",
                        ));
                    }
                    buf.advance(line_end + 2);
                    self.scanned = 0;
                    if l >= BIG_ARG && buf.len() < l + 2 {
                        // Make room for exactly this bulk, so it arrives
                        // contiguous and is handed over without a copy.
                        buf.reserve(l + 2 - buf.len());
                    }
                    self.bulk_len = Some(l);
                    l
                }
            };
            if buf.len() < len + 2 {
                return Ok(None);
            }
            let arg = buf.split_to(len).freeze();
            buf.advance(2);
            self.argv.push(arg);
            self.bulk_len = None;
            self.multibulk_left -= 1;
        }
        Ok(Some(std::mem::take(&mut self.argv)))
    }

    /// Position of the first `\r` of the header line, resuming the scan
    /// where the previous call stopped.
    fn find_cr(&mut self, buf: &[u8]) -> Option<usize> {
        let start = self.scanned.min(buf.len());
        match buf[start..].iter().position(|&b| b == b'\r') {
            Some(p) => Some(start + p),
            None => {
                self.scanned = buf.len();
                None
            }
        }
    }

    fn parse_inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let start = self.scanned.min(buf.len());
        let Some(p) = buf[start..].iter().position(|&b| b == b'\n') else {
            self.scanned = buf.len();
            if buf.len() > INLINE_MAX {
                return Err(perr(
                    "Protocol error: too big inline request",
                    "too big inline request",
                ));
            }
            return Ok(None);
        };
        self.scanned = 0;
        let nl = start + p;
        let line_len = if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let line = buf.split_to(nl + 1);
        match split_args(&line[..line_len]) {
            Some(args) => Ok(Some(args.into_iter().map(Bytes::from).collect())),
            None => Err(perr(
                "Protocol error: unbalanced quotes in request",
                "unbalanced quotes in inline request",
            )),
        }
    }
}

/// Redis's `string2ll`: optional '-', digits, no leading zeros (except "0"),
/// no spaces, fits in i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(p: &mut Parser, buf: &mut BytesMut, data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        buf.extend_from_slice(data);
        let mut out = Vec::new();
        while let Some(a) = p.parse(buf, &Limits::default()).unwrap() {
            out.push(a.iter().map(|b| b.to_vec()).collect());
            if buf.is_empty() {
                break;
            }
        }
        out
    }

    #[test]
    fn multibulk_whole_and_split() {
        let req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        let mut p = Parser::new();
        let mut b = BytesMut::new();
        let got = feed(&mut p, &mut b, req);
        assert_eq!(
            got,
            vec![vec![b"SET".to_vec(), b"k".to_vec(), b"hello".to_vec()]]
        );
        // byte by byte
        let mut p = Parser::new();
        let mut b = BytesMut::new();
        let mut all = Vec::new();
        for i in 0..req.len() {
            all.extend(feed(&mut p, &mut b, &req[i..i + 1]));
        }
        assert_eq!(all, got);
    }

    #[test]
    fn pipelined_and_inline() {
        let mut p = Parser::new();
        let mut b = BytesMut::new();
        let got = feed(
            &mut p,
            &mut b,
            b"PING\r\n*1\r\n$4\r\nPING\r\nset 'a b' \"c\\n\"\n",
        );
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], vec![b"PING".to_vec()]);
        assert_eq!(
            got[2],
            vec![b"set".to_vec(), b"a b".to_vec(), b"c\n".to_vec()]
        );
    }

    #[test]
    fn empty_requests() {
        let mut p = Parser::new();
        let mut b = BytesMut::from(&b"*0\r\n\r\n*-1\r\n"[..]);
        let l = Limits::default();
        assert_eq!(p.parse(&mut b, &l).unwrap(), Some(vec![]));
        assert_eq!(p.parse(&mut b, &l).unwrap(), Some(vec![]));
        assert_eq!(p.parse(&mut b, &l).unwrap(), Some(vec![]));
        assert!(b.is_empty());
    }

    fn err_of(data: &[u8]) -> String {
        let mut p = Parser::new();
        let mut b = BytesMut::from(data);
        loop {
            match p.parse(&mut b, &Limits::default()) {
                Err(e) => return e.reply,
                Ok(Some(_)) => continue,
                Ok(None) => return String::new(),
            }
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            err_of(b"*x\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            err_of(b"*3000000000\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            err_of(b"*1\r\n+foo\r\n"),
            "Protocol error: expected '$', got '+'"
        );
        assert_eq!(
            err_of(b"*1\r\n$-1\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            err_of(b"*1\r\n$600000000\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            err_of(b"set \"a\n"),
            "Protocol error: unbalanced quotes in request"
        );
        assert_eq!(
            err_of(&vec![b'a'; 70000]),
            "Protocol error: too big inline request"
        );
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; 70000]);
        assert_eq!(err_of(&big), "Protocol error: too big mbulk count string");
        let mut big = b"*1\r\n$".to_vec();
        big.extend(vec![b'1'; 70000]);
        assert_eq!(err_of(&big), "Protocol error: too big bulk count string");
    }

    #[test]
    fn unauthenticated_limits() {
        let l = Limits {
            unauthenticated: true,
            ..Limits::default()
        };
        let mut p = Parser::new();
        let mut b = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            p.parse(&mut b, &l).unwrap_err().reply,
            "Protocol error: unauthenticated multibulk length"
        );
        let mut p = Parser::new();
        let mut b = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
        assert_eq!(
            p.parse(&mut b, &l).unwrap_err().reply,
            "Protocol error: unauthenticated bulk length"
        );
    }

    #[test]
    fn big_bulk_is_not_copied() {
        let n = 100_000;
        let mut p = Parser::new();
        let mut b = BytesMut::new();
        b.extend_from_slice(format!("*1\r\n${n}\r\n").as_bytes());
        assert_eq!(p.parse(&mut b, &Limits::default()).unwrap(), None);
        assert_eq!(p.pending_bulk(), Some(n + 2));
        assert!(b.capacity() >= n + 2);
        let base = b.as_ptr();
        b.extend_from_slice(&vec![b'x'; n]);
        b.extend_from_slice(b"\r\n");
        assert_eq!(b.as_ptr(), base, "no reallocation while the bulk arrives");
        let argv = p.parse(&mut b, &Limits::default()).unwrap().unwrap();
        assert_eq!(argv[0].len(), n);
        assert_eq!(argv[0].as_ptr(), base, "the argument is the buffer itself");
    }
}
