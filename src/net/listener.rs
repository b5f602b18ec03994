//! Listening sockets: TCP on each `bind` address, and an optional Unix
//! socket. Addresses prefixed with `-` are optional (a failure to bind them
//! is not fatal), as in Redis 7; `*` and `::*` mean all IPv4 / IPv6
//! interfaces.

use std::net::{IpAddr, SocketAddr};

use crate::config::Config;

pub enum Listener {
    Tcp(mio::net::TcpListener),
    Unix(mio::net::UnixListener),
}

impl Listener {
    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Listener::Tcp(l) => l,
            Listener::Unix(l) => l,
        }
    }
}

/// A non-blocking, close-on-exec TCP socket of `addr`'s family.
///
/// # Safety
/// The caller owns the returned descriptor.
unsafe fn tcp_socket(addr: SocketAddr) -> std::io::Result<libc::c_int> {
    let domain = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    // SAFETY: a plain socket(2) call.
    let fd = unsafe {
        libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd)
}

fn tcp_listen(addr: SocketAddr, backlog: i32) -> std::io::Result<mio::net::TcpListener> {
    // Built by hand to control SO_REUSEADDR, IPV6_V6ONLY and the backlog.
    // SAFETY: plain socket syscalls; the fd is owned by the TcpListener on success.
    unsafe {
        let fd = tcp_socket(addr)?;
        let one: libc::c_int = 1;
        let sz = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &one as *const _ as _,
            sz,
        );
        if addr.is_ipv6() {
            libc::setsockopt(
                fd,
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                &one as *const _ as _,
                sz,
            );
        }
        let (sa, len) = sockaddr(addr);
        if libc::bind(fd, &sa as *const _ as *const libc::sockaddr, len) < 0
            || libc::listen(fd, backlog) < 0
        {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(e);
        }
        use std::os::fd::FromRawFd;
        Ok(mio::net::TcpListener::from_std(
            std::net::TcpListener::from_raw_fd(fd),
        ))
    }
}

/// A non-blocking connection to `addr`, from the local address `source`
/// when given (`bind-source-addr`, for the link to a master). The connect
/// completes later: wait for the socket to be writable.
pub fn tcp_connect_from(
    addr: SocketAddr,
    source: Option<IpAddr>,
) -> std::io::Result<mio::net::TcpStream> {
    let Some(src) = source else {
        return mio::net::TcpStream::connect(addr);
    };
    // SAFETY: plain socket syscalls; the fd is owned by the TcpStream on success.
    unsafe {
        let fd = tcp_socket(addr)?;
        let (local, llen) = sockaddr(SocketAddr::new(src, 0));
        let (remote, rlen) = sockaddr(addr);
        if libc::bind(fd, &local as *const _ as *const libc::sockaddr, llen) < 0
            || (libc::connect(fd, &remote as *const _ as *const libc::sockaddr, rlen) < 0
                && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINPROGRESS))
        {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(e);
        }
        use std::os::fd::FromRawFd;
        Ok(mio::net::TcpStream::from_std(
            std::net::TcpStream::from_raw_fd(fd),
        ))
    }
}

fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; we fill the matching variant.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match addr {
        SocketAddr::V4(a) => {
            let sin = unsafe { &mut *(&mut ss as *mut _ as *mut libc::sockaddr_in) };
            sin.sin_family = libc::AF_INET as _;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            (ss, std::mem::size_of::<libc::sockaddr_in>() as _)
        }
        SocketAddr::V6(a) => {
            let sin = unsafe { &mut *(&mut ss as *mut _ as *mut libc::sockaddr_in6) };
            sin.sin6_family = libc::AF_INET6 as _;
            sin.sin6_port = a.port().to_be();
            sin.sin6_addr.s6_addr = a.ip().octets();
            (ss, std::mem::size_of::<libc::sockaddr_in6>() as _)
        }
    }
}

/// Open every configured listener. Errors are Redis's log texts.
pub fn open_all(cfg: &Config) -> Result<Vec<Listener>, String> {
    let mut out = open_tcp(cfg)?;
    if !cfg.unixsocket.is_empty() {
        out.push(open_unix(cfg)?);
    }
    if out.is_empty() {
        return Err("Configured to not listen anywhere, exiting.".into());
    }
    Ok(out)
}

/// The TCP listeners `port` and `bind` ask for (none with port 0).
pub fn open_tcp(cfg: &Config) -> Result<Vec<Listener>, String> {
    let mut out = Vec::new();
    if cfg.port != 0 {
        let binds = if cfg.bind.is_empty() {
            vec!["*".to_string(), "-::*".to_string()]
        } else {
            cfg.bind.clone()
        };
        for b in &binds {
            let (optional, name) = match b.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, b.as_str()),
            };
            let ip: IpAddr = match name {
                "*" => "0.0.0.0".parse().unwrap(),
                "::*" => "::".parse().unwrap(),
                n => match n.parse() {
                    Ok(ip) => ip,
                    Err(_) => {
                        if optional {
                            continue;
                        }
                        return Err(format!(
                            "Warning: Could not create server TCP listening socket {}:{}: Name or service not known",
                            name, cfg.port
                        ));
                    }
                },
            };
            match tcp_listen(SocketAddr::new(ip, cfg.port), cfg.tcp_backlog) {
                Ok(l) => out.push(Listener::Tcp(l)),
                Err(e) => {
                    let unsupported = e.raw_os_error() == Some(libc::EAFNOSUPPORT)
                        || e.raw_os_error() == Some(libc::EADDRNOTAVAIL);
                    if optional && unsupported {
                        continue;
                    }
                    return Err(format!(
                        "Warning: Could not create server TCP listening socket {}:{}: bind: {}\nFailed listening on port {} (TCP), aborting.",
                        name,
                        cfg.port,
                        strip_os_error(&e),
                        cfg.port
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// The Unix socket listener (`unixsocket`, `unixsocketperm`).
fn open_unix(cfg: &Config) -> Result<Listener, String> {
    let _ = std::fs::remove_file(&cfg.unixsocket);
    match mio::net::UnixListener::bind(&cfg.unixsocket) {
        Ok(l) => {
            if cfg.unixsocketperm != 0 {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(
                    &cfg.unixsocket,
                    std::fs::Permissions::from_mode(cfg.unixsocketperm),
                );
            }
            Ok(Listener::Unix(l))
        }
        Err(e) => Err(format!(
            "Failed opening Unix socket: {}",
            strip_os_error(&e)
        )),
    }
}

/// "Address already in use (os error 98)" → "Address already in use".
pub fn strip_os_error(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
