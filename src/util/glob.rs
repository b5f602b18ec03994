//! Glob-style matching with Redis's semantics (`stringmatchlen`): `*`, `?`,
//! `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed), `\x` escapes, and an
//! optional case-insensitive mode. Used by KEYS, SCAN MATCH, CONFIG GET,
//! PUBSUB patterns, COMMAND LIST FILTERBY PATTERN.
//!
//! Like Redis, a `*` that fails to match the rest of the pattern anywhere in
//! the remaining string stops the whole search (no exponential backtracking),
//! and the recursion depth is bounded.

pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip = false;
    matches(pattern, string, nocase, &mut skip, 0)
}

fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn matches(p: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, depth: u32) -> bool {
    // Redis caps the nesting of '*' at 1000 levels.
    if depth > 1000 {
        return false;
    }
    let (mut pi, mut si) = (0usize, 0usize);
    while pi < p.len() && si < s.len() {
        match p[pi] {
            b'*' => {
                while pi + 1 < p.len() && p[pi + 1] == b'*' {
                    pi += 1;
                }
                if pi + 1 == p.len() {
                    return true;
                }
                while si < s.len() {
                    if matches(&p[pi + 1..], &s[si..], nocase, skip_longer, depth + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                si += 1;
            }
            b'[' => {
                pi += 1;
                let not = pi < p.len() && p[pi] == b'^';
                if not {
                    pi += 1;
                }
                let mut matched = false;
                let c = s[si];
                loop {
                    if pi >= p.len() {
                        // unterminated class: step back so the outer
                        // increment lands on the end
                        pi -= 1;
                        break;
                    }
                    if p[pi] == b'\\' && p.len() - pi >= 2 {
                        pi += 1;
                        if p[pi] == c {
                            matched = true;
                        }
                    } else if p[pi] == b']' {
                        break;
                    } else if p.len() - pi >= 3 && p[pi + 1] == b'-' {
                        let (mut lo, mut hi) = (p[pi], p[pi + 2]);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let mut cc = c;
                        if nocase {
                            lo = lo.to_ascii_lowercase();
                            hi = hi.to_ascii_lowercase();
                            cc = cc.to_ascii_lowercase();
                        }
                        pi += 2;
                        if cc >= lo && cc <= hi {
                            matched = true;
                        }
                    } else if eq(p[pi], c, nocase) {
                        matched = true;
                    }
                    pi += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            b'\\' => {
                if p.len() - pi >= 2 {
                    pi += 1;
                }
                if !eq(p[pi], s[si], nocase) {
                    return false;
                }
                si += 1;
            }
            c => {
                if !eq(c, s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        pi += 1;
        if si == s.len() {
            while pi < p.len() && p[pi] == b'*' {
                pi += 1;
            }
            break;
        }
    }
    pi >= p.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match as m;

    #[test]
    fn basics() {
        assert!(m(b"*", b"anything", false));
        // Like stringmatchlen, an empty string matches no pattern but the
        // empty one (KEYS special-cases a lone "*").
        assert!(!m(b"*", b"", false));
        assert!(m(b"h?llo", b"hello", false));
        assert!(!m(b"h?llo", b"hllo", false));
        assert!(m(b"h*llo", b"heeeello", false));
        assert!(m(b"h[ae]llo", b"hallo", false));
        assert!(!m(b"h[ae]llo", b"hillo", false));
        assert!(m(b"h[^e]llo", b"hallo", false));
        assert!(!m(b"h[^e]llo", b"hello", false));
        assert!(m(b"h[a-b]llo", b"hbllo", false));
        assert!(m(b"h[b-a]llo", b"hbllo", false));
        assert!(m(b"h\\*llo", b"h*llo", false));
        assert!(!m(b"h\\*llo", b"hello", false));
        assert!(m(b"HELLO", b"hello", true));
        assert!(!m(b"HELLO", b"hello", false));
        assert!(m(b"a*b*c", b"axxbyyc", false));
        assert!(!m(b"a*b*c", b"axxbyy", false));
        assert!(m(b"foo*", b"foo", false));
        assert!(m(b"[", b"[", false) || !m(b"[", b"[", false));
        assert!(!m(b"", b"a", false));
        assert!(m(b"", b"", false));
    }

    #[test]
    fn pathological_is_fast() {
        let p = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let s = vec![b'a'; 5000];
        assert!(!m(p, &s, false));
    }
}
