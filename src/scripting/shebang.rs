//! The `#!lua flags=...` first line of an EVAL script (Redis 7): which
//! engine, and the script flags that relax or tighten what it may do.

use super::sflags;

const FLAGS: &[(&str, u32)] = &[
    ("no-writes", sflags::NO_WRITES),
    ("allow-oom", sflags::ALLOW_OOM),
    ("allow-stale", sflags::ALLOW_STALE),
    ("no-cluster", sflags::NO_CLUSTER),
    ("allow-cross-slot-keys", sflags::ALLOW_CROSS_SLOT),
];

/// Parse the shebang of `body`: (flags, length of the shebang line, which
/// is skipped when compiling; its newline stays so line numbers hold).
pub fn parse(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((sflags::EVAL_COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    let parts = match crate::resp::splitargs::split_args(&body[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid engine in script shebang".into()),
    };
    if parts[0] != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    let mut flags = 0;
    for p in &parts[1..] {
        let Some(list) = p.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(p)
            ));
        };
        for f in list.split(|&b| b == b',').filter(|_| !list.is_empty()) {
            match FLAGS.iter().find(|(n, _)| n.as_bytes() == f) {
                Some((_, bit)) => flags |= bit,
                None => {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(f)
                    ));
                }
            }
        }
    }
    Ok((flags, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs() {
        assert_eq!(parse(b"return 1").unwrap(), (sflags::EVAL_COMPAT, 0));
        assert_eq!(
            parse(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap(),
            (sflags::NO_WRITES | sflags::ALLOW_OOM, 31)
        );
        assert_eq!(parse(b"#!lua\nreturn 1").unwrap(), (0, 5));
        assert_eq!(parse(b"#!lua").unwrap_err(), "Invalid script shebang");
        assert_eq!(
            parse(b"#!python\n").unwrap_err(),
            "Unexpected engine in script shebang: #!python"
        );
        assert_eq!(
            parse(b"#!lua flags=bad\n").unwrap_err(),
            "Unexpected flag in script shebang: bad"
        );
        assert_eq!(
            parse(b"#!lua name=x\n").unwrap_err(),
            "Unknown lua shebang option: name=x"
        );
    }
}
