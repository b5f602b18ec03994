//! Command metadata as Redis 7.0.15 reports it.
//!
//! `meta/info.resp3` and `meta/docs.resp3` are the reference server's own
//! RESP3 replies to `COMMAND INFO` and `COMMAND DOCS` (regenerate with
//! `scripts/gen-command-meta`). They are parsed once into `Tree`s; the
//! command table takes arity, flags and key positions from them, and
//! COMMAND / COMMAND INFO / COMMAND DOCS re-encode them for the client's
//! protocol (RESP3 maps and sets become flat arrays in RESP2, as in Redis).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::resp::Reply;

static INFO: &[u8] = include_bytes!("meta/info.resp3");
static DOCS: &[u8] = include_bytes!("meta/docs.resp3");

#[derive(Clone, Debug, PartialEq)]
pub enum Tree {
    Simple(String),
    Bulk(Vec<u8>),
    Int(i64),
    Array(Vec<Tree>),
    Set(Vec<Tree>),
    Map(Vec<(Tree, Tree)>),
    Null,
}

impl Tree {
    pub fn as_str(&self) -> &str {
        match self {
            Tree::Simple(s) => s,
            Tree::Bulk(b) => std::str::from_utf8(b).unwrap_or(""),
            _ => "",
        }
    }
    pub fn as_int(&self) -> i64 {
        match self {
            Tree::Int(n) => *n,
            _ => 0,
        }
    }
    pub fn items(&self) -> &[Tree] {
        match self {
            Tree::Array(v) | Tree::Set(v) => v,
            _ => &[],
        }
    }
    /// Look up a key of a map.
    pub fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(m) => m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Encode for the client's protocol.
    pub fn write(&self, r: &mut Reply) {
        match self {
            Tree::Simple(s) => r.simple(s),
            Tree::Bulk(b) => r.bulk(b),
            Tree::Int(n) => r.int(*n),
            Tree::Null => r.null(),
            Tree::Array(v) => {
                r.array_len(v.len());
                v.iter().for_each(|t| t.write(r));
            }
            Tree::Set(v) => {
                r.set_len(v.len());
                v.iter().for_each(|t| t.write(r));
            }
            Tree::Map(m) => {
                r.map_len(m.len());
                for (k, v) in m {
                    k.write(r);
                    v.write(r);
                }
            }
        }
    }
}

/// Parse one RESP3 value at `*pos`.
pub fn parse(data: &[u8], pos: &mut usize) -> Tree {
    let line_end = data[*pos..].iter().position(|&b| b == b'\r').unwrap() + *pos;
    let t = data[*pos];
    let line = std::str::from_utf8(&data[*pos + 1..line_end]).unwrap();
    *pos = line_end + 2;
    match t {
        b'+' => Tree::Simple(line.to_string()),
        b':' => Tree::Int(line.parse().unwrap()),
        b'_' => Tree::Null,
        b'$' => {
            let n: usize = line.parse().unwrap();
            let b = data[*pos..*pos + n].to_vec();
            *pos += n + 2;
            Tree::Bulk(b)
        }
        b'*' | b'~' => {
            let n: usize = line.parse().unwrap();
            let v = (0..n).map(|_| parse(data, pos)).collect();
            if t == b'*' {
                Tree::Array(v)
            } else {
                Tree::Set(v)
            }
        }
        b'%' => {
            let n: usize = line.parse().unwrap();
            Tree::Map(
                (0..n)
                    .map(|_| {
                        let k = parse(data, pos);
                        (k, parse(data, pos))
                    })
                    .collect(),
            )
        }
        _ => panic!("unexpected RESP3 type {}", t as char),
    }
}

pub struct Meta {
    /// fullname ("get", "client|list") → COMMAND INFO entry.
    pub info: HashMap<String, Tree>,
}

fn collect_info(t: &Tree, out: &mut HashMap<String, Tree>) {
    let items = t.items();
    let name = items[0].as_str().to_string();
    if let Some(subs) = items.get(9) {
        for s in subs.items() {
            collect_info(s, out);
        }
    }
    out.insert(name, t.clone());
}

fn collect_docs(name: &str, t: &Tree, out: &mut HashMap<String, Tree>) {
    if let Some(Tree::Map(subs)) = t.get("subcommands") {
        for (k, v) in subs {
            collect_docs(k.as_str(), v, out);
        }
    }
    out.insert(name.to_string(), t.clone());
}

pub fn meta() -> &'static Meta {
    static M: OnceLock<Meta> = OnceLock::new();
    M.get_or_init(|| {
        let mut info = HashMap::new();
        let mut pos = 0;
        for t in parse(INFO, &mut pos).items() {
            collect_info(t, &mut info);
        }
        Meta { info }
    })
}

/// fullname → COMMAND DOCS entry (the value of the docs map). Parsed on
/// first use: the docs are most of the metadata and only COMMAND DOCS and
/// the group filters need them.
pub fn docs() -> &'static HashMap<String, Tree> {
    static D: OnceLock<HashMap<String, Tree>> = OnceLock::new();
    D.get_or_init(|| {
        let mut docs = HashMap::new();
        let mut pos = 0;
        if let Tree::Map(m) = parse(DOCS, &mut pos) {
            for (k, v) in &m {
                collect_docs(k.as_str(), v, &mut docs);
            }
        }
        docs
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_reference_metadata() {
        let m = meta();
        let get = &m.info["get"];
        assert_eq!(get.items()[1].as_int(), 2);
        assert!(m.info.contains_key("client|list"));
        assert_eq!(docs()["get"].get("group").unwrap().as_str(), "string");
        assert!(m.info.len() > 300);
    }
}
