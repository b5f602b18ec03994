//! Black-box tests of the connection commands: PING, ECHO, SELECT, QUIT,
//! HELLO, AUTH, RESET and CLIENT, including the cases that need several
//! connections (CLIENT KILL, CLIENT LIST) or a password (--requirepass).

mod common;

use common::{Conn, Server, encode};

/// The value of `field=` in a CLIENT LIST / CLIENT INFO line.
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=");
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(key.as_str()))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

/// The lines of a CLIENT LIST / INFO bulk reply.
fn lines(reply: &str) -> Vec<String> {
    let body = reply.split_once("\r\n").unwrap().1;
    let body = body.strip_suffix("\r\n").unwrap();
    let body = body.strip_prefix("txt:").unwrap_or(body);
    body.lines().map(|l| l.to_string()).collect()
}

fn client_id(c: &mut Conn) -> u64 {
    let r = c.cmd(&["CLIENT", "ID"]);
    r[1..r.len() - 2].parse().unwrap()
}

#[test]
fn ping_echo_select_quit() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(c.cmd(&["PING", "hi"]), "$2\r\nhi\r\n");
    assert_eq!(
        c.cmd(&["PING", "a", "b"]),
        "-ERR wrong number of arguments for 'ping' command\r\n"
    );
    assert_eq!(c.cmd(&["ECHO", "x y"]), "$3\r\nx y\r\n");
    assert_eq!(c.cmd(&["SELECT", "2"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["SELECT", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["SELECT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd(&["QUIT"]), "+OK\r\n");
    assert!(c.is_closed());
}

#[test]
fn hello_switches_protocol() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let id = client_id(&mut c);
    let map = format!(
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n\
         $2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n\
         $7\r\nmodules\r\n*0\r\n"
    );
    assert_eq!(c.cmd(&["HELLO", "3"]), map);
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "_\r\n");
    assert_eq!(c.cmd(&["HELLO"]), map);
    assert_eq!(
        c.cmd(&["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        c.cmd(&["HELLO", "three"]),
        "-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["HELLO", "2", "SETNAME"]),
        "-ERR Syntax error in HELLO option 'SETNAME'\r\n"
    );
    assert_eq!(
        c.cmd(&["HELLO", "2", "SETNAME", "a b"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    // Still RESP3 after the errors.
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "_\r\n");
    let r = c.cmd(&["HELLO", "2", "SETNAME", "hi"]);
    assert!(r.starts_with("*14\r\n$6\r\nserver\r\n"), "{r}");
    assert!(r.contains("$5\r\nproto\r\n:2\r\n"), "{r}");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$2\r\nhi\r\n");
    assert_eq!(
        c.cmd(&["HELLO", "2", "AUTH", "bob", "x"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    // Without requirepass the default user takes any password.
    assert!(
        c.cmd(&["HELLO", "3", "AUTH", "default", "x"])
            .starts_with("%7\r\n")
    );
    let info = c.cmd(&["CLIENT", "INFO"]);
    assert!(info.starts_with('='), "{info}");
    assert_eq!(field(&lines(&info)[0], "resp"), "3");
}

#[test]
fn auth_with_requirepass() {
    let s = Server::start(&["--requirepass", "s3cret"]);
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&["ECHO", "v"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "ID"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "-NOAUTH Authentication required.\r\n");
    let r = c.cmd(&["HELLO", "3"]);
    assert!(r.starts_with("-NOAUTH HELLO must be called with the client already authenticated"));
    assert_eq!(
        c.cmd(&["AUTH", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        c.cmd(&["AUTH", "bob", "s3cret"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["AUTH", "s3cret"]), "+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    // RESET forgets the authentication.
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.cmd(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(c.cmd(&["AUTH", "default", "s3cret"]), "+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");

    // HELLO AUTH authenticates and switches protocol at once.
    let mut d = s.conn();
    assert!(
        d.cmd(&["HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "d"])
            .starts_with("%7\r\n")
    );
    assert_eq!(d.cmd(&["CLIENT", "GETNAME"]), "$1\r\nd\r\n");

    // Unauthenticated clients get the small protocol limits.
    let mut e = s.conn();
    e.send_raw(b"*100\r\n");
    let r = String::from_utf8(e.read_reply()).unwrap();
    assert!(r.contains("unauthenticated multibulk length"), "{r}");
    let mut e = s.conn();
    e.send_raw(b"*1\r\n$100000000\r\n");
    let r = String::from_utf8(e.read_reply()).unwrap();
    assert!(r.contains("unauthenticated bulk length"), "{r}");
}

#[test]
fn auth_without_password() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let r = c.cmd(&["AUTH", "foo"]);
    assert!(r.starts_with("-ERR AUTH <password> called without any password configured"));
    assert_eq!(c.cmd(&["AUTH", "default", "foo"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AUTH", "other", "foo"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
}

#[test]
fn client_list_and_info_fields() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    let mut b = s.conn();
    let ida = client_id(&mut a);
    let idb = client_id(&mut b);
    assert!(idb > ida);
    assert_eq!(b.cmd(&["CLIENT", "SETNAME", "bee"]), "+OK\r\n");
    assert_eq!(b.cmd(&["SELECT", "5"]), "+OK\r\n");

    let list = lines(&a.cmd(&["CLIENT", "LIST"]));
    assert_eq!(list.len(), 2);
    let (la, lb) = (&list[0], &list[1]);
    assert_eq!(field(la, "id"), ida.to_string());
    assert_eq!(field(lb, "id"), idb.to_string());
    assert_eq!(field(la, "name"), "");
    assert_eq!(field(lb, "name"), "bee");
    assert_eq!(field(lb, "db"), "5");
    assert_eq!(field(la, "flags"), "N");
    assert_eq!(field(la, "qbuf"), "26");
    assert_eq!(field(la, "argv-mem"), "10");
    assert_eq!(field(lb, "argv-mem"), "0");
    assert_eq!(field(la, "events"), "r");
    assert_eq!(field(la, "cmd"), "client|list");
    assert_eq!(field(lb, "cmd"), "select");
    assert_eq!(field(la, "obl"), "0");
    assert_eq!(field(la, "omem"), "0");
    assert_eq!(field(la, "user"), "default");
    assert_eq!(field(la, "resp"), "2");
    assert_eq!(field(la, "multi"), "-1");
    let laddr = field(la, "laddr");
    assert_eq!(laddr, format!("127.0.0.1:{}", s.port));
    // Field order, as Redis prints it.
    let keys: Vec<&str> = la
        .split(' ')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys.join(" "),
        "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem \
         multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp"
    );

    let info = lines(&a.cmd(&["CLIENT", "INFO"]));
    assert_eq!(info.len(), 1);
    assert_eq!(field(&info[0], "id"), ida.to_string());
    assert_eq!(field(&info[0], "cmd"), "client|info");

    // LIST ID keeps the order asked, skips unknown ids.
    let r = a.cmd(&[
        "CLIENT",
        "LIST",
        "ID",
        &idb.to_string(),
        "99999",
        &ida.to_string(),
    ]);
    let ids: Vec<String> = lines(&r)
        .iter()
        .map(|l| field(l, "id").to_string())
        .collect();
    assert_eq!(ids, vec![idb.to_string(), ida.to_string()]);
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "ID", "x"]),
        "-ERR Invalid client ID\r\n"
    );
    assert_eq!(
        lines(&a.cmd(&["CLIENT", "LIST", "TYPE", "normal"])).len(),
        2
    );
    assert_eq!(a.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]), "$0\r\n\r\n");
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "TYPE", "x"]),
        "-ERR Unknown client type 'x'\r\n"
    );

    // NO-EVICT shows as flag e.
    assert_eq!(a.cmd(&["CLIENT", "NO-EVICT", "on"]), "+OK\r\n");
    let info = lines(&a.cmd(&["CLIENT", "INFO"]));
    assert_eq!(field(&info[0], "flags"), "e");
    assert_eq!(a.cmd(&["CLIENT", "NO-EVICT", "off"]), "+OK\r\n");

    // A closed connection leaves the list.
    drop(b);
    let start = std::time::Instant::now();
    loop {
        let n = lines(&a.cmd(&["CLIENT", "LIST"])).len();
        if n == 1 {
            break;
        }
        assert!(start.elapsed().as_secs() < 3, "closed client still listed");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn client_names() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(
        c.cmd(&["CLIENT", "SETNAME", "foo bar"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "myname"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$6\r\nmyname\r\n");
    assert!(c.cmd(&["CLIENT", "LIST"]).contains(" name=myname "));
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
}

#[test]
fn client_kill_other_and_self() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    let mut b = s.conn();
    let mut d = s.conn();
    let idb = client_id(&mut b);
    let d_addr = {
        let info = lines(&d.cmd(&["CLIENT", "INFO"]));
        field(&info[0], "addr").to_string()
    };
    // New form, by id: counts and closes the other connection at once.
    assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", &idb.to_string()]), ":1\r\n");
    assert!(b.is_closed());
    assert_eq!(lines(&a.cmd(&["CLIENT", "LIST"])).len(), 2);
    assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", &idb.to_string()]), ":0\r\n");
    // Old form, by address.
    assert_eq!(a.cmd(&["CLIENT", "KILL", &d_addr]), "+OK\r\n");
    assert!(d.is_closed());
    assert_eq!(
        a.cmd(&["CLIENT", "KILL", &d_addr]),
        "-ERR No such client\r\n"
    );
    // Errors.
    assert_eq!(
        a.cmd(&["CLIENT", "KILL", "ID", "0"]),
        "-ERR client-id should be greater than 0\r\n"
    );
    assert_eq!(
        a.cmd(&["CLIENT", "KILL", "ID", "1", "x"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        a.cmd(&["CLIENT", "KILL", "USER", "bob"]),
        "-ERR No such user 'bob'\r\n"
    );
    // SKIPME yes (the default) spares the caller; SKIPME no kills it too,
    // after its reply.
    // (A PING makes sure the server has accepted each new connection.)
    let mut e = s.conn();
    let mut f = s.conn();
    e.cmd(&["PING"]);
    f.cmd(&["PING"]);
    assert_eq!(a.cmd(&["CLIENT", "KILL", "SKIPME", "yes"]), ":2\r\n");
    assert!(e.is_closed() && f.is_closed());
    let mut g = s.conn();
    g.cmd(&["PING"]);
    assert_eq!(a.cmd(&["CLIENT", "KILL", "SKIPME", "no"]), ":2\r\n");
    assert!(a.is_closed());
    let mut h = s.conn();
    assert_eq!(lines(&h.cmd(&["CLIENT", "LIST"])).len(), 1);
    // Killing oneself by address with the old form.
    let addr = field(&lines(&h.cmd(&["CLIENT", "INFO"]))[0], "addr").to_string();
    assert_eq!(h.cmd(&["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert!(h.is_closed());
}

#[test]
fn client_reply_modes() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // OFF silences everything until ON.
    let mut batch = Vec::new();
    for args in [
        &["CLIENT", "REPLY", "OFF"][..],
        &["PING", "a"],
        &["CLIENT", "REPLY", "SKIP"],
        &["PING", "b"],
        &["CLIENT", "REPLY", "ON"],
        &["PING", "c"],
    ] {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        batch.extend(encode(&a));
    }
    c.send_raw(&batch);
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$1\r\nc\r\n");
    // SKIP silences the next command only.
    c.send_raw(&encode(&[b"CLIENT", b"REPLY", b"SKIP"]));
    c.send_raw(&encode(&[b"PING", b"1"]));
    assert_eq!(c.cmd(&["PING", "2"]), "$1\r\n2\r\n");
    // ON right after SKIP answers.
    c.send_raw(&encode(&[b"CLIENT", b"REPLY", b"SKIP"]));
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "ON"]), "+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "x"]), "-ERR syntax error\r\n");
    // RESET leaves OFF mode and answers.
    c.send_raw(&encode(&[b"CLIENT", b"REPLY", b"OFF"]));
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn reset_restores_new_connection_state() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["SELECT", "3"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "x"]), "+OK\r\n");
    assert!(c.cmd(&["HELLO", "3"]).starts_with('%'));
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    let info = lines(&c.cmd(&["CLIENT", "INFO"]));
    assert_eq!(field(&info[0], "db"), "0");
    assert_eq!(field(&info[0], "name"), "");
    assert_eq!(field(&info[0], "resp"), "2");
    assert_eq!(field(&info[0], "flags"), "N");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
}

#[test]
fn client_help_and_unknown() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let r = c.cmd(&["CLIENT", "HELP"]);
    assert!(r.starts_with(
        "*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CACHING (YES|NO)\r\n"
    ));
    assert!(r.ends_with("+HELP\r\n+    Prints this help.\r\n"));
    assert_eq!(
        c.cmd(&["CLIENT", "NOPE"]),
        "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-name", "x"]),
        "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL"]),
        "-ERR wrong number of arguments for 'client|kill' command\r\n"
    );
}
