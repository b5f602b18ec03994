//! `redis.conf.example`, generated from the directive table so it can never
//! drift from what the server accepts: every Redis 7.0 directive with its
//! type, range or choices, default, aliases, whether CONFIG SET may change it,
//! and whether cinnabar implements it or only accepts it for now. A unit test
//! keeps the committed file equal to `render()`
//! (`UPDATE_CONF_EXAMPLE=1 cargo test config_example` rewrites it).

use std::fmt::Write;

use crate::config::{DIRECTIVES, Directive, Kind};

fn describe(d: &Directive) -> String {
    let max = |n: i64| {
        if n >= i64::MAX / 2 {
            "no limit".to_string()
        } else {
            n.to_string()
        }
    };
    match d.kind {
        Kind::Bool => "yes or no".into(),
        Kind::Int(lo, hi) => format!("integer, {lo} to {}", max(hi)),
        Kind::Mem(lo, hi) => format!("memory amount (1k, 5mb, 2gb…), {lo} to {}", max(hi)),
        Kind::Enum(opts) => format!("one of: {}", opts.join(", ")),
        Kind::Str => "string".into(),
        Kind::Words => "words".into(),
        Kind::Octal => "octal number".into(),
        Kind::Flags(opts) => format!("one or more of: {}", opts.join(", ")),
    }
}

/// The whole file.
pub fn render() -> String {
    let mut out = String::from(
        "# cinnabar configuration reference (generated from the directive table).\n\
         #\n\
         # cinnabar reads redis.conf files written for Redis 7.0: every directive of\n\
         # Redis's stock file is known, with the same names, aliases, values and\n\
         # defaults. Each entry below gives the type, default and whether CONFIG SET\n\
         # can change it. Entries marked \"accepted, no effect yet\" are parsed and\n\
         # validated but do nothing so far; they are listed once in a warning at\n\
         # start-up when a configuration sets them. Implemented directives are shown\n\
         # with their default value; the others are commented out.\n\
         #\n\
         # Command-line flags override the file:\n\
         #   cinnabar-server redis.conf --port 7000 --save \"\"\n\
         # Other files can be included:\n\
         #   include /path/to/other.conf\n",
    );
    for d in DIRECTIVES {
        let _ = writeln!(out);
        let mut line = format!("# {}: {}", d.name, describe(d));
        if !d.aliases.is_empty() {
            let _ = write!(line, "; alias {}", d.aliases.join(", "));
        }
        if !d.mutable {
            line.push_str("; set at start only");
        }
        if !d.implemented {
            line.push_str("; accepted, no effect yet");
        }
        let _ = writeln!(out, "{line}.");
        let words = matches!(d.kind, Kind::Words | Kind::Flags(_));
        let value = if d.default.is_empty() || (d.default.contains(' ') && !words) {
            format!("\"{}\"", d.default)
        } else {
            d.default.to_string()
        };
        // `replicaof` has no value meaning "off": shown commented out.
        let unset = matches!(d.kind, Kind::Words) && d.default.is_empty();
        let prefix = if d.implemented && !unset { "" } else { "# " };
        let _ = writeln!(out, "{prefix}{} {value}", d.name);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn redis_conf_example_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/redis.conf.example");
        let want = super::render();
        if std::env::var_os("UPDATE_CONF_EXAMPLE").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "redis.conf.example is stale: run UPDATE_CONF_EXAMPLE=1 cargo test config_example"
        );
    }

    #[test]
    fn the_example_loads() {
        let text = super::render();
        let mut cfg = crate::config::Config::default();
        cfg.load_string(&text).unwrap();
    }
}
