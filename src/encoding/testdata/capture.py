#!/usr/bin/env python3
"""Regenerate the listpack byte images used by listpack.rs tests.

Starts nothing: expects a redis-server 7.0.x on the port given as argv[1]
(e.g. `redis-server --port 7777 --save ''`). Runs the commands listed in
listpack.rs's tests, DUMPs each key with rdbcompression off and writes the
raw listpack (the quicklist node / the hash or zset string) to <name>.bin.
"""
import os, socket, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def enc(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        self.s.sendall(enc(*args))
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t in (b"+", b":"):
            return rest
        if t == b"-":
            raise RuntimeError(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data
        if t == b"*":
            return [self.read() for _ in range(int(rest))]
        raise RuntimeError(line)


def rdb_len(buf, i):
    b = buf[i]
    kind = b >> 6
    if kind == 0:
        return b & 0x3F, i + 1
    if kind == 1:
        return ((b & 0x3F) << 8) | buf[i + 1], i + 2
    if b == 0x80:
        return int.from_bytes(buf[i + 1:i + 5], "big"), i + 5
    if b == 0x81:
        return int.from_bytes(buf[i + 1:i + 9], "big"), i + 9
    raise RuntimeError("encoded string in dump (compression on?)")


def rdb_string(buf, i):
    n, i = rdb_len(buf, i)
    return buf[i:i + n], i + n


def listpack_of(dump):
    t = dump[0]
    if t == 18:  # RDB_TYPE_LIST_QUICKLIST_2
        nodes, i = rdb_len(dump, 1)
        assert nodes == 1, "expected a single quicklist node"
        container, i = rdb_len(dump, i)
        assert container == 2, "expected a packed node"
        lp, _ = rdb_string(dump, i)
        return lp
    if t in (16, 17):  # RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK
        lp, _ = rdb_string(dump, 1)
        return lp
    raise RuntimeError("unexpected type %d" % t)


SCENARIOS = {
    "list_mixed": [
        ["RPUSH", "l", "a", "1", "300", "-5", "hello", "70000",
         b"a" * 63, b"b" * 64, b"c" * 4095, b"d" * 4096,
         "127", "128", "-1", "4095", "4096", "-4096", "-4097",
         "32767", "32768", "-32768", "-32769",
         "8388607", "8388608", "-8388608", "-8388609",
         "2147483647", "2147483648", "-2147483648", "-2147483649",
         "9223372036854775807", "-9223372036854775808",
         "9223372036854775808", "-9223372036854775809",
         "007", "-0", "+1", " 1", "1 ", "", "0",
         b"e" * 125, b"f" * 126, b"g" * 16378, b"h" * 16379],
    ],
    "list_ops": [
        ["RPUSH", "l", "a", "b", "c", "1", "2", "3"],
        ["LPUSH", "l", "x", "10"],
        ["LINSERT", "l", "BEFORE", "b", "99"],
        ["LINSERT", "l", "AFTER", "c", "zz"],
        ["LSET", "l", "0", "hello"],
        ["LSET", "l", "-1", "12345"],
        ["LREM", "l", "1", "a"],
        ["LTRIM", "l", "1", "-2"],
        ["RPUSH", "l", b"q" * 70],
    ],
    "hash": [
        ["HSET", "l", "f1", "v1", "f2", "2", "f3", "-300", "num", "70000"],
        ["HSET", "l", "f1", "newvalue"],
        ["HDEL", "l", "f2"],
        ["HSET", "l", "f4", b"z" * 64],
        ["HSET", "l", "num", "1"],
    ],
    "zset": [
        ["ZADD", "l", "1", "a", "2.5", "b", "-3", "c", "100", "d"],
        ["ZADD", "l", "1.5", "a"],
        ["ZADD", "l", "2.5", "aa"],
    ],
}


def main():
    c = Conn(int(sys.argv[1]))
    c.cmd("CONFIG", "SET", "rdbcompression", "no")
    c.cmd("CONFIG", "SET", "list-max-listpack-size", "-5")
    for name, cmds in SCENARIOS.items():
        c.cmd("DEL", "l")
        for cmd in cmds:
            c.cmd(*cmd)
        enc_name = c.cmd("OBJECT", "ENCODING", "l")
        lp = listpack_of(c.cmd("DUMP", "l"))
        with open(os.path.join(HERE, name + ".bin"), "wb") as f:
            f.write(lp)
        print(name, enc_name.decode(), len(lp), lp[:24].hex())


main()
