//! `TCP_NODELAY` on the gateway's PostgreSQL connections.
//!
//! sqlx 0.9.0 opens TCP connections without `TCP_NODELAY` (sqlx issue
//! 4335, fixed upstream and not yet released). With Nagle's algorithm on,
//! the tail of a message longer than one segment waits until the server
//! acknowledges the first, and the server delays that acknowledgment up
//! to 40 ms. Intake's multi-row inserts are such messages: over TCP about
//! one request in a hundred waited 150 ms and PostgreSQL intake took half
//! the requests a second it takes over a Unix socket. sqlx gives no hook
//! to the socket, so after each new connection this finds the process's
//! TCP sockets whose peer is the database server and turns `TCP_NODELAY`
//! on. Remove it once sqlx sets the option again.
//!
//! Linux only (it reads `/proc/self/fd`); elsewhere it does nothing.

use std::net::SocketAddr;

/// The addresses `host`:`port` resolves to; none for a Unix socket
/// directory (a `host` that is a path) or a name that does not resolve.
pub async fn server_addresses(host: &str, port: u16) -> Vec<SocketAddr> {
    if host.starts_with('/') {
        return Vec::new();
    }
    let host = host.trim_matches(|c| c == '[' || c == ']');
    match tokio::net::lookup_host((host, port)).await {
        Ok(addresses) => addresses.collect(),
        Err(e) => {
            tracing::warn!(error = %e, host, "cannot resolve the database host to set TCP_NODELAY on its connections");
            Vec::new()
        }
    }
}

/// A TCP socket of the process: its local address, and whether
/// `TCP_NODELAY` is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connected {
    pub local: SocketAddr,
    pub nodelay: bool,
}

/// Calls `f` with each TCP socket of the process connected to one of
/// `peers`, and its local address.
#[cfg(target_os = "linux")]
fn each_socket_to(peers: &[SocketAddr], mut f: impl FnMut(socket2::SockRef<'_>, SocketAddr)) {
    if peers.is_empty() {
        return;
    }
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // SAFETY: `fd` named a socket of this process a moment ago and is
        // only borrowed for the calls below. Should another thread close it
        // meanwhile, the calls fail (EBADF) or reach the socket that took
        // its number; reading the peer and setting TCP_NODELAY harm
        // neither, and nothing is closed or taken over here.
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&borrowed);
        let peer = socket.peer_addr().ok().and_then(|a| a.as_socket());
        if !peer.is_some_and(|p| peers.contains(&p)) {
            continue;
        }
        if let Some(local) = socket.local_addr().ok().and_then(|a| a.as_socket()) {
            f(socket, local);
        }
    }
}

/// The process's TCP sockets connected to one of `peers`.
#[cfg(target_os = "linux")]
pub fn sockets_to(peers: &[SocketAddr]) -> Vec<Connected> {
    let mut found = Vec::new();
    each_socket_to(peers, |socket, local| {
        if let Ok(nodelay) = socket.tcp_nodelay() {
            found.push(Connected { local, nodelay });
        }
    });
    found
}

#[cfg(not(target_os = "linux"))]
pub fn sockets_to(_peers: &[SocketAddr]) -> Vec<Connected> {
    Vec::new()
}

/// Turns `TCP_NODELAY` on for every TCP socket of the process connected to
/// one of `peers`; returns how many it turned on.
#[cfg(target_os = "linux")]
pub fn set_on_sockets_to(peers: &[SocketAddr]) -> usize {
    let mut set = 0;
    each_socket_to(peers, |socket, _| {
        if socket.tcp_nodelay().is_ok_and(|on| !on) && socket.set_tcp_nodelay(true).is_ok() {
            set += 1;
        }
    });
    set
}

#[cfg(not(target_os = "linux"))]
pub fn set_on_sockets_to(_peers: &[SocketAddr]) -> usize {
    0
}
