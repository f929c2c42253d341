//! wsload: the WebSocket load for the `echo-ws` profile. Keeps N upgraded connections, each with
//! one masked 5-byte text frame in flight (the arena's shape): every echo that comes back is
//! checked byte for byte (`81 05 hello`) and answered with the next frame at once.
//!
//! One thread, one level-triggered epoll set, std only (epoll through its C declarations, as in
//! bench/floor.rs). The set-up (connects and upgrade handshakes) comes first and is not measured:
//! with `--ready FILE --go FIFO` it creates FILE once every connection is upgraded and waits for
//! a line on FIFO before the measured run, so the caller can read the server's CPU time between.
//! Every connection sends RFC 6455 §1.3's key, so the right Sec-WebSocket-Accept is a constant:
//! it is checked on every 101 (the floor answers it canned).
//!
//! Build: `rustc -O --edition 2021 bench/wsload.rs -o target/bench/wsload`
//! Run:   `wsload PORT CONNS SECONDS [--ready FILE --go FIFO]`
//! Prints `echoes N`, `seconds S` (first frame to last echo), `echoes/s R`, `errors E`.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

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
    fn read(fd: i32, buf: *mut u8, count: usize) -> isize;
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
}

const EPOLLIN: u32 = 0x1;
const EPOLL_CTL_ADD: i32 = 1;
const EPOLL_CTL_DEL: i32 = 2;
const EPOLL_CLOEXEC: i32 = 0o2000000;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const PAYLOAD: &[u8; 5] = b"hello";
/// The echo of one frame: final text, unmasked, 5 bytes.
const ECHO: [u8; 7] = [0x81, 0x05, b'h', b'e', b'l', b'l', b'o'];
/// How long the echoes still in flight at the end may take.
const DRAIN: Duration = Duration::from_secs(2);

fn usage() -> ! {
    eprintln!("usage: wsload PORT CONNS SECONDS [--ready FILE --go FIFO]");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(port), Some(conns), Some(secs)) = (
        args.first().and_then(|a| a.parse::<u16>().ok()),
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
        args.get(2).and_then(|a| a.parse::<f64>().ok()),
    ) else { usage() };
    let mut ready = None;
    let mut go = None;
    let mut rest = args[3..].iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--ready" => ready = Some(rest.next().unwrap_or_else(|| usage()).clone()),
            "--go" => go = Some(rest.next().unwrap_or_else(|| usage()).clone()),
            _ => usage(),
        }
    }

    let mut frame = vec![0x81, 0x80 | PAYLOAD.len() as u8];
    frame.extend(MASK);
    frame.extend(PAYLOAD.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));

    // Set-up: connect all, send every upgrade request, then read every 101.
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let mut streams = Vec::with_capacity(conns);
    for i in 0..conns {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| fail(&format!("connect {i}: {e}")));
        s.set_nodelay(true).expect("nodelay");
        s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        streams.push(s);
    }
    for (i, s) in streams.iter_mut().enumerate() {
        s.write_all(request.as_bytes()).unwrap_or_else(|e| fail(&format!("upgrade request {i}: {e}")));
    }
    for (i, s) in streams.iter_mut().enumerate() {
        if let Err(e) = read_101(s) {
            fail(&format!("connection {i}: {e}"));
        }
        s.set_nonblocking(true).expect("nonblocking");
    }

    // SAFETY: no pointers involved.
    let ep = unsafe { epoll_create1(EPOLL_CLOEXEC) };
    assert!(ep >= 0, "epoll_create1");
    for (i, s) in streams.iter().enumerate() {
        let mut ev = EpollEvent { events: EPOLLIN, data: i as u64 };
        // SAFETY: the kernel only reads `ev` during the call.
        let rc = unsafe { epoll_ctl(ep, EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev) };
        assert_eq!(rc, 0, "epoll_ctl");
    }

    if let Some(path) = &ready {
        std::fs::write(path, b"ready\n").expect("ready file");
    }
    if let Some(path) = &go {
        let f = std::fs::File::open(path).expect("go fifo");
        let mut line = String::new();
        let _ = std::io::BufReader::new(f).read_line(&mut line);
    }

    // The measured run.
    let fds: Vec<i32> = streams.iter().map(|s| s.as_raw_fd()).collect();
    let mut pos = vec![0u8; conns]; // bytes of the current echo received
    let mut busy = vec![false; conns]; // a frame is in flight
    let mut alive = vec![true; conns];
    let mut in_flight = 0usize;
    let mut echoes = 0u64;
    let mut errors = 0u64;
    let mut shown = 0;
    let mut error = |what: String, errors: &mut u64| {
        *errors += 1;
        if shown < 5 {
            eprintln!("wsload: {what}");
            shown += 1;
        }
    };
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut last_echo = start;
    for i in 0..conns {
        if send(fds[i], &frame) {
            busy[i] = true;
            in_flight += 1;
        } else {
            error(format!("connection {i}: the first frame could not be sent"), &mut errors);
            alive[i] = false;
        }
    }
    let mut events = vec![EpollEvent { events: 0, data: 0 }; 1024];
    let mut buf = vec![0u8; 64 * 1024];
    let mut sending = true;
    loop {
        let now = Instant::now();
        if sending && now >= deadline {
            sending = false;
        }
        if !sending && (in_flight == 0 || now >= deadline + DRAIN) {
            break;
        }
        // SAFETY: the kernel writes at most `events.len()` entries into `events`.
        let n = unsafe { epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, 100) };
        if n < 0 {
            continue; // EINTR
        }
        for ev in &events[..n as usize] {
            let i = ev.data as usize;
            if !alive[i] {
                continue;
            }
            // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
            let got = unsafe { read(fds[i], buf.as_mut_ptr(), buf.len()) };
            if got <= 0 {
                if got < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock {
                    continue;
                }
                let why = if got == 0 { "closed by the server".to_string() } else { std::io::Error::last_os_error().to_string() };
                error(format!("connection {i}: {why}"), &mut errors);
                drop_conn(ep, fds[i], &mut alive[i], &mut busy[i], &mut in_flight);
                continue;
            }
            let mut done = 0;
            let mut bad = false;
            for &b in &buf[..got as usize] {
                if !busy[i] || b != ECHO[pos[i] as usize] {
                    bad = true;
                    break;
                }
                pos[i] += 1;
                if pos[i] as usize == ECHO.len() {
                    pos[i] = 0;
                    busy[i] = false;
                    done += 1;
                }
            }
            if bad {
                error(format!("connection {i}: unexpected bytes {:x?}", &buf[..(got as usize).min(16)]), &mut errors);
                drop_conn(ep, fds[i], &mut alive[i], &mut busy[i], &mut in_flight);
                continue;
            }
            if done > 0 {
                echoes += done;
                in_flight -= 1;
                last_echo = Instant::now();
                if sending {
                    if send(fds[i], &frame) {
                        busy[i] = true;
                        in_flight += 1;
                    } else {
                        error(format!("connection {i}: a frame could not be sent"), &mut errors);
                        drop_conn(ep, fds[i], &mut alive[i], &mut busy[i], &mut in_flight);
                    }
                }
            }
        }
    }
    if in_flight > 0 {
        error(format!("{in_flight} echoes still missing {DRAIN:?} after the end"), &mut errors);
    }
    let seconds = last_echo.duration_since(start).as_secs_f64();
    println!("echoes {echoes}");
    println!("seconds {seconds:.3}");
    println!("echoes/s {:.0}", if seconds > 0.0 { echoes as f64 / seconds } else { 0.0 });
    println!("errors {errors}");
    drop(streams);
}

/// Reads one 101 answer to the upgrade: the status, Upgrade, Connection, the accept value, and
/// nothing after it.
fn read_101(s: &mut TcpStream) -> Result<(), String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut chunk).map_err(|e| format!("reading the 101: {e}"))?;
        if n == 0 {
            return Err(format!("closed during the upgrade after {:?}", String::from_utf8_lossy(&head)));
        }
        head.extend_from_slice(&chunk[..n]);
        if head.len() > 4096 || (head.windows(4).any(|w| w == b"\r\n\r\n") && !head.ends_with(b"\r\n\r\n")) {
            return Err(format!("not a lone 101: {:?}", String::from_utf8_lossy(&head)));
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    if !lines.next().is_some_and(|l| l.starts_with("HTTP/1.1 101 ")) {
        return Err(format!("not a 101: {text:?}"));
    }
    let (mut upgrade, mut connection, mut accept) = (false, false, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "upgrade" => upgrade = value.eq_ignore_ascii_case("websocket"),
            "connection" => connection = value.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")),
            "sec-websocket-accept" => accept = value == ACCEPT,
            _ => {}
        }
    }
    if upgrade && connection && accept { Ok(()) } else { Err(format!("a wrong 101: {text:?}")) }
}

/// Writes one frame whole; false if the socket did not take it all at once.
fn send(fd: i32, frame: &[u8]) -> bool {
    // SAFETY: the kernel reads at most `frame.len()` bytes from `frame`.
    let w = unsafe { write(fd, frame.as_ptr(), frame.len()) };
    w == frame.len() as isize
}

fn drop_conn(ep: i32, fd: i32, alive: &mut bool, busy: &mut bool, in_flight: &mut usize) {
    *alive = false;
    if std::mem::take(busy) {
        *in_flight -= 1;
    }
    let mut ev = EpollEvent { events: 0, data: 0 };
    // SAFETY: the kernel only reads `ev` during the call (ignored for DEL).
    unsafe { epoll_ctl(ep, EPOLL_CTL_DEL, fd, &mut ev) };
}

fn fail(what: &str) -> ! {
    eprintln!("wsload: {what}");
    std::process::exit(1);
}
