//! The floor: the least work an HTTP/1.1 server can do on Linux.
//!
//! One thread, one level-triggered epoll set. Every `\r\n\r\n` read from a connection is answered
//! with the same canned 200 `ok`; nothing is parsed, bodies are not understood. A connection is
//! closed on EOF or on a read error. What it spends per request is, near enough, the kernel's
//! cost of accept/epoll/read/write: the yardstick for the real server.
//!
//! With `ws` it is the floor of a WebSocket echo instead: the first `\r\n\r\n` on a connection
//! gets a canned 101 (its Sec-WebSocket-Accept is the right one for RFC 6455 §1.3's key, the
//! only key bench/wsload.rs sends), and after it every 11 bytes read (one masked 5-byte text
//! frame, the load's only frame) get one canned 7-byte echo frame: one per read, with one frame
//! in flight. Nothing is parsed or unmasked.
//!
//! Build: `rustc -O --edition 2021 bench/floor.rs -o target/bench/floor`
//! Run:   `floor PORT [CLOSE_AFTER | ws]`

use std::net::TcpListener;
use std::os::fd::AsRawFd;

/// x86_64 packs `struct epoll_event` (12 bytes).
#[repr(C, packed)]
#[derive(Clone, Copy)]
struct EpollEvent {
    events: u32,
    data: u64,
}

extern "C" {
    fn epoll_create1(flags: i32) -> i32;
    fn epoll_ctl(epfd: i32, op: i32, fd: i32, event: *mut EpollEvent) -> i32;
    fn epoll_wait(epfd: i32, events: *mut EpollEvent, max: i32, timeout: i32) -> i32;
    fn accept4(fd: i32, addr: *mut u8, len: *mut u32, flags: i32) -> i32;
    fn read(fd: i32, buf: *mut u8, count: usize) -> isize;
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn close(fd: i32) -> i32;
    fn listen(fd: i32, backlog: i32) -> i32;
    fn setsockopt(fd: i32, level: i32, name: i32, val: *const i32, len: u32) -> i32;
}

const EPOLLIN: u32 = 0x1;
const EPOLL_CTL_ADD: i32 = 1;
const EPOLL_CLOEXEC: i32 = 0o2000000;
const SOCK_NONBLOCK: i32 = 0o4000;
const SOCK_CLOEXEC: i32 = 0o2000000;
const IPPROTO_TCP: i32 = 6;
const TCP_NODELAY: i32 = 1;

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
/// Responses prepared back to back, so one write answers up to this many pipelined requests.
const RESPONSE_CLOSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok";
const BATCH: usize = 64;
/// The canned upgrade answer, and the canned echo of one 11-byte client frame.
const RESPONSE_101: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
const WS_FRAME_IN: usize = 11;
const WS_ECHO: &[u8] = b"\x81\x05hello";

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: floor PORT [CLOSE_AFTER | ws]");
    // With CLOSE_AFTER, a connection is closed once it has had that many answers: the cost of
    // connection set-up and tear-down with nothing else, the floor for the limited-conn shape.
    let close_after: Option<usize> = std::env::args().nth(2).and_then(|n| n.parse().ok());
    let ws = std::env::args().nth(2).as_deref() == Some("ws");
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let lfd = listener.as_raw_fd();
    let one: i32 = 1;
    // SAFETY: plain calls on our own listening socket; `one` outlives the call.
    unsafe {
        // std listens with a small backlog; a second listen() raises it.
        assert_eq!(listen(lfd, 4096), 0, "listen");
        // Accepted sockets inherit TCP_NODELAY from the listener.
        assert_eq!(setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, 4), 0, "nodelay");
    }
    // SAFETY: no pointers involved.
    let ep = unsafe { epoll_create1(EPOLL_CLOEXEC) };
    assert!(ep >= 0, "epoll_create1");
    add(ep, lfd);
    eprintln!("floor listening on 127.0.0.1:{port}");

    let batch: Vec<u8> = RESPONSE.repeat(BATCH);
    let ws_batch: Vec<u8> = WS_ECHO.repeat(BATCH);
    // ws: whether the connection is upgraded; then `matched` counts the bytes of a partial frame.
    // Per fd: how much of "\r\n\r\n" the bytes read so far end with (0..=3).
    let mut matched: Vec<u8> = vec![0; 1024];
    let mut answered: Vec<usize> = vec![0; 1024];
    let mut upgraded: Vec<bool> = vec![false; 1024];
    let mut buf = vec![0u8; 64 * 1024];
    let mut events = [EpollEvent { events: 0, data: 0 }; 256];
    loop {
        // SAFETY: the kernel writes at most `events.len()` entries into `events`.
        let n = unsafe { epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, -1) };
        if n < 0 {
            continue; // EINTR
        }
        for ev in &events[..n as usize] {
            let fd = ev.data as i32;
            if fd == lfd {
                loop {
                    // SAFETY: null address pointers are allowed by accept4.
                    let c = unsafe {
                        accept4(lfd, std::ptr::null_mut(), std::ptr::null_mut(), SOCK_NONBLOCK | SOCK_CLOEXEC)
                    };
                    if c < 0 {
                        break; // EAGAIN, or a connection that died in the queue
                    }
                    if c as usize >= matched.len() {
                        matched.resize(c as usize * 2, 0);
                        answered.resize(c as usize * 2, 0);
                        upgraded.resize(c as usize * 2, false);
                    }
                    matched[c as usize] = 0;
                    answered[c as usize] = 0;
                    upgraded[c as usize] = false;
                    add(ep, c);
                }
                continue;
            }
            // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
            let got = unsafe { read(fd, buf.as_mut_ptr(), buf.len()) };
            if got <= 0 {
                if got == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::WouldBlock {
                    // SAFETY: fd is ours; close also drops it from the epoll set.
                    unsafe { close(fd) };
                }
                continue;
            }
            if ws {
                let mut data = &buf[..got as usize];
                if !upgraded[fd as usize] {
                    // The head of the upgrade request: answered at its end, not read.
                    let mut state = matched[fd as usize];
                    let mut end = None;
                    for (i, &b) in data.iter().enumerate() {
                        state = match (state, b) {
                            (0, b'\r') | (2, b'\r') => state + 1,
                            (1, b'\n') => 2,
                            (3, b'\n') => {
                                end = Some(i + 1);
                                break;
                            }
                            (_, b'\r') => 1,
                            _ => 0,
                        };
                    }
                    let Some(end) = end else {
                        matched[fd as usize] = state;
                        continue;
                    };
                    send_all(fd, RESPONSE_101);
                    upgraded[fd as usize] = true;
                    matched[fd as usize] = 0;
                    data = &data[end..];
                }
                let total = matched[fd as usize] as usize + data.len();
                matched[fd as usize] = (total % WS_FRAME_IN) as u8;
                let mut count = total / WS_FRAME_IN;
                while count > 0 {
                    let k = count.min(BATCH);
                    send_all(fd, &ws_batch[..k * WS_ECHO.len()]);
                    count -= k;
                }
                continue;
            }
            let mut state = matched[fd as usize];
            let mut count = 0usize;
            for &b in &buf[..got as usize] {
                state = match (state, b) {
                    (0, b'\r') | (2, b'\r') => state + 1,
                    (1, b'\n') => 2,
                    (3, b'\n') => {
                        count += 1;
                        0
                    }
                    (_, b'\r') => 1,
                    _ => 0,
                };
            }
            matched[fd as usize] = state;
            answered[fd as usize] += count;
            let closing = count > 0 && close_after.is_some_and(|limit| answered[fd as usize] >= limit);
            if closing {
                count -= 1;
            }
            while count > 0 {
                let k = count.min(BATCH);
                send_all(fd, &batch[..k * RESPONSE.len()]);
                count -= k;
            }
            if closing {
                // The last answer says so, as a server does, so the client reconnects cleanly.
                send_all(fd, RESPONSE_CLOSE);
                // SAFETY: closing a descriptor this loop owns; it is not used again.
                unsafe { close(fd) };
            }
        }
    }
}

fn add(ep: i32, fd: i32) {
    let mut ev = EpollEvent { events: EPOLLIN, data: fd as u64 };
    // SAFETY: the kernel only reads `ev` during the call.
    let rc = unsafe { epoll_ctl(ep, EPOLL_CTL_ADD, fd, &mut ev) };
    assert_eq!(rc, 0, "epoll_ctl");
}

/// Writes everything; a full socket buffer (never seen with a request/response client) drops the rest.
fn send_all(fd: i32, mut out: &[u8]) {
    while !out.is_empty() {
        // SAFETY: the kernel reads at most `out.len()` bytes from `out`.
        let w = unsafe { write(fd, out.as_ptr(), out.len()) };
        if w <= 0 {
            return;
        }
        out = &out[w as usize..];
    }
}
