//! Numbers with Redis's exact rules.
//!
//! `parse_i64` is `string2ll` (no spaces, no `+`, no leading zeros, must fit);
//! `parse_f64` is `string2d` (strtod, whole string, not NaN); doubles print
//! with `%.17g` as `addReplyDouble` does; `ld_add` is the `long double`
//! addition of INCRBYFLOAT, done in C because Rust has no 80-bit float;
//! `fmt_human` and `fmt_fixed` print GEO coordinates and distances.

use std::ffi::c_char;

/// Redis's string2ll.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s.len() == 1 && s[0] == b'0' {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Append the decimal form of `n`.
pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let neg = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if neg {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

pub fn i64_to_bytes(n: i64) -> Vec<u8> {
    let mut v = Vec::with_capacity(20);
    write_i64(&mut v, n);
    v
}

/// Redis's string2d: strtod over the whole string; no leading space, not NaN.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() >= 5 * 1024 || s[0].is_ascii_whitespace() {
        return None;
    }
    let mut buf = Vec::with_capacity(s.len() + 1);
    buf.extend_from_slice(s);
    buf.push(0);
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: buf is NUL-terminated; strtod writes the end pointer into it.
    let v = unsafe {
        *libc::__errno_location() = 0;
        libc::strtod(buf.as_ptr() as *const c_char, &mut end)
    };
    let consumed = end as usize - buf.as_ptr() as usize;
    let errno = unsafe { *libc::__errno_location() };
    if consumed != s.len() || v.is_nan() || (errno == libc::ERANGE && (v.is_infinite() || v == 0.0))
    {
        return None;
    }
    Some(v)
}

/// `%.17g`, with `inf`/`-inf` spelled as Redis does.
pub fn fmt_double_g17(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let mut buf = [0u8; 64];
    // SAFETY: snprintf into a 64-byte stack buffer with its size.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr() as *mut c_char,
            buf.len(),
            c"%.17g".as_ptr(),
            d,
        )
    };
    String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned()
}

/// `printf(fmt, d)` for a format taking one double.
fn c_format(fmt: &std::ffi::CStr, d: f64) -> String {
    let mut buf = vec![0u8; 400];
    // SAFETY: snprintf into `buf` with its size; `fmt` takes one double.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr() as *mut c_char, buf.len(), fmt.as_ptr(), d) };
    if n as usize >= buf.len() {
        buf.resize(n as usize + 1, 0);
        // SAFETY: as above, with room for the whole output.
        unsafe { libc::snprintf(buf.as_mut_ptr() as *mut c_char, buf.len(), fmt.as_ptr(), d) };
    }
    buf.truncate(n.max(0) as usize);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `%f` (six decimals), as Redis's error messages print doubles.
pub fn fmt_f6(d: f64) -> String {
    c_format(c"%f", d)
}

/// Redis's human long double form of a double (addReplyHumanLongDouble):
/// `%.17Lf` without trailing zeros (nor a trailing dot), `-0` as `0`. A
/// double converts to long double exactly, so `%.17f` prints the same.
pub fn fmt_human(d: f64) -> String {
    let mut s = c_format(c"%.17f", d);
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(t);
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// Redis's fixedpoint_d2string: `d` rounded (to even) to `digits`
/// decimals, always printed with them (`5.2145`, `0.0000`).
pub fn fmt_fixed(d: f64, digits: u32) -> String {
    if d == 0.0 {
        return format!("0.{:0<w$}", "", w = digits as usize);
    }
    let scaled = d * 10f64.powi(digits as i32);
    // llrint: out of range gives LLONG_MIN on x86-64.
    let v = scaled.round_ties_even();
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let n = if (-TWO63..TWO63).contains(&v) {
        v as i64
    } else {
        i64::MIN
    };
    let p = 10u64.pow(digits);
    let a = n.unsigned_abs();
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}.{:0w$}", a / p, a % p, w = digits as usize)
}

unsafe extern "C" {
    fn cinnabar_ld_add(
        a: *const c_char,
        alen: usize,
        b: *const c_char,
        blen: usize,
        out: *mut c_char,
        cap: usize,
        outlen: *mut usize,
    ) -> i32;
    fn cinnabar_ld_valid(a: *const c_char, alen: usize) -> i32;
}

#[derive(Debug, PartialEq, Eq)]
pub enum LdError {
    BadFirst,
    BadSecond,
    NanOrInf,
}

/// `a + b` in long double, formatted in Redis's human style.
pub fn ld_add(a: &[u8], b: &[u8]) -> Result<Vec<u8>, LdError> {
    let mut out = vec![0u8; 5 * 1024 + 64];
    let mut len = 0usize;
    // SAFETY: all pointers are valid for the lengths passed.
    let rc = unsafe {
        cinnabar_ld_add(
            a.as_ptr() as _,
            a.len(),
            b.as_ptr() as _,
            b.len(),
            out.as_mut_ptr() as _,
            out.len(),
            &mut len,
        )
    };
    match rc {
        0 => {
            out.truncate(len);
            Ok(out)
        }
        1 => Err(LdError::BadFirst),
        2 => Err(LdError::BadSecond),
        _ => Err(LdError::NanOrInf),
    }
}

/// Whether `a` parses as a long double under Redis's rules.
pub fn ld_valid(a: &[u8]) -> bool {
    // SAFETY: pointer valid for len.
    unsafe { cinnabar_ld_valid(a.as_ptr() as _, a.len()) == 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"1a",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn write_round_trip() {
        for n in [0, 1, -1, 42, i64::MAX, i64::MIN, 1000000] {
            assert_eq!(i64_to_bytes(n), n.to_string().into_bytes());
        }
    }

    #[test]
    fn doubles() {
        assert_eq!(fmt_double_g17(1.5), "1.5");
        assert_eq!(fmt_double_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_double_g17(f64::NEG_INFINITY), "-inf");
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1x"), None);
        assert_eq!(parse_f64(b"nan"), None);
    }

    #[test]
    fn geo_number_forms() {
        assert_eq!(fmt_human(13.361389338970184), "13.36138933897018433");
        assert_eq!(fmt_human(180.0), "180");
        assert_eq!(fmt_human(-0.0), "0");
        assert_eq!(fmt_human(0.5), "0.5");
        assert_eq!(fmt_fixed(0.0, 4), "0.0000");
        assert_eq!(fmt_fixed(5.21449928, 4), "5.2145");
        // llrint rounds halves to even.
        assert_eq!(fmt_fixed(1.25, 1), "1.2");
        assert_eq!(fmt_fixed(1.75, 1), "1.8");
        assert_eq!(fmt_fixed(0.00004, 4), "0.0000");
        assert_eq!(fmt_fixed(166274.15156, 4), "166274.1516");
        assert_eq!(fmt_fixed(-1.5, 4), "-1.5000");
        assert_eq!(fmt_f6(200.0), "200.000000");
        assert_eq!(fmt_f6(f64::INFINITY), "inf");
    }

    #[test]
    fn long_double_add() {
        assert_eq!(ld_add(b"1.5", b"1.1").unwrap(), b"2.6");
        assert_eq!(ld_add(b"0.1", b"0.2").unwrap(), b"0.3");
        assert_eq!(ld_add(b"10", b"5").unwrap(), b"15");
        assert_eq!(ld_add(b"5.0e3", b"2.0e2").unwrap(), b"5200");
        assert_eq!(ld_add(b"x", b"1"), Err(LdError::BadFirst));
        assert_eq!(ld_add(b"1", b"1 "), Err(LdError::BadSecond));
        assert_eq!(ld_add(b"1e4932", b"1e4932"), Err(LdError::NanOrInf));
        assert_eq!(ld_add(b"1\x002", b"1"), Err(LdError::BadFirst));
    }
}
