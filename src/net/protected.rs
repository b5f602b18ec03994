//! Protected mode: with `protected-mode yes` and no password, only clients
//! on the loopback interface (or the unix socket) may connect; others get
//! Redis's explanation and are disconnected before running anything.

/// The reply a refused client reads before the connection closes.
pub const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Is a TCP peer (`ip:port` as `SocketAddr` prints it) the local host?
/// As Redis's islocalClient: 127.0.0.1 or ::1 (also IPv4-mapped).
pub fn is_loopback_peer(addr: &str) -> bool {
    match addr.parse::<std::net::SocketAddr>() {
        Ok(std::net::SocketAddr::V4(a)) => *a.ip() == std::net::Ipv4Addr::LOCALHOST,
        Ok(std::net::SocketAddr::V6(a)) => {
            a.ip().is_loopback() || a.ip().to_ipv4_mapped() == Some(std::net::Ipv4Addr::LOCALHOST)
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_peers() {
        assert!(is_loopback_peer("127.0.0.1:5000"));
        assert!(is_loopback_peer("[::1]:5000"));
        assert!(is_loopback_peer("[::ffff:127.0.0.1]:5000"));
        assert!(!is_loopback_peer("10.0.0.1:5000"));
        assert!(!is_loopback_peer("127.0.0.2:5000"));
    }
}
