//! Splitting an inline command line into arguments, with Redis's quoting
//! rules (`sdssplitargs`): double quotes understand `\n \r \t \b \a \\ \"`
//! and `\xHH`; single quotes only `\'`; a closing quote must be followed by a
//! space or the end of the line. `None` means unbalanced quotes.

pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut inq = false; // inside "double quotes"
        let mut insq = false; // inside 'single quotes'
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    cur.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    // closing quote must be followed by a space or nothing
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|x| x.as_bytes().to_vec()).collect()
    }

    #[test]
    fn plain_and_quoted() {
        assert_eq!(split_args(b"set a b").unwrap(), s(&["set", "a", "b"]));
        assert_eq!(split_args(b"  set   a  ").unwrap(), s(&["set", "a"]));
        assert_eq!(
            split_args(b"set \"a b\" 'c d'").unwrap(),
            s(&["set", "a b", "c d"])
        );
        assert_eq!(split_args(b"\"\\x41\\n\"").unwrap(), vec![b"A\n".to_vec()]);
        assert_eq!(split_args(b"'it\\'s'").unwrap(), s(&["it's"]));
        assert_eq!(split_args(b"").unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(split_args(b"a\"b\"").unwrap(), s(&["ab"]));
    }

    #[test]
    fn unbalanced() {
        assert!(split_args(b"set \"a").is_none());
        assert!(split_args(b"set 'a").is_none());
        assert!(split_args(b"\"a\"b").is_none());
    }
}
