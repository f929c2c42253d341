//! Shared helpers for the black-box tests: a guard that runs the real `mote` binary on an
//! ephemeral port, a client connection with a response reader that keeps leftover bytes for
//! pipelines, header checks, request builders and a fixed-seed random source.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Once};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long one socket operation may block.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long we wait for the server to close a connection it must close.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long we wait for the start-up line.
pub const START_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Process set-up
// ---------------------------------------------------------------------------------------------

static RAISE: Once = Once::new();

/// Raises this process's RLIMIT_NOFILE soft limit to its hard limit, once.
pub fn raise_nofile_limit() {
    RAISE.call_once(|| {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
        assert_eq!(rc, 0, "getrlimit(RLIMIT_NOFILE) failed: {}", io::Error::last_os_error());
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            // SAFETY: `lim` is a valid rlimit read from the kernel just above.
            let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
            assert_eq!(rc, 0, "setrlimit(RLIMIT_NOFILE) failed: {}", io::Error::last_os_error());
        }
    });
}

/// The current soft RLIMIT_NOFILE.
pub fn nofile_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(rc, 0);
    lim.rlim_cur
}

/// The server binary: `MOTE_BIN`, else `target/mote` in this crate. Panics if it is missing.
pub fn binary() -> PathBuf {
    let path = match std::env::var_os("MOTE_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/mote")),
    };
    if !path.is_file() {
        panic!(
            "mote binary not found at {} (set MOTE_BIN to its absolute path or run `make static`)",
            path.display()
        );
    }
    path
}

/// The directory holding the arena request templates shipped with the tests.
pub fn templates_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/arena-requests"))
}

/// The bytes of one arena template, e.g. `template("get.raw")`.
pub fn template(name: &str) -> Vec<u8> {
    let path = templates_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read template {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// The server guard
// ---------------------------------------------------------------------------------------------

/// A running `mote`; killed and reaped on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// `mote --port 0 --threads 2`.
    pub fn start() -> Server {
        Server::start_args(&["--port", "0", "--threads", "2"])
    }

    /// The binary with these arguments.
    pub fn start_args(args: &[&str]) -> Server {
        let mut cmd = Command::new(binary());
        cmd.args(args);
        Server::spawn(cmd)
    }

    /// Spawns `cmd` and waits for its start-up line; panics on any failure.
    pub fn spawn(cmd: Command) -> Server {
        match Server::try_spawn(cmd) {
            Ok(s) => s,
            Err(e) => panic!("cannot start the server: {e}"),
        }
    }

    /// Spawns `cmd` and waits for its start-up line. An error from spawn itself comes back as
    /// `Err(Spawn)`, a server that exits or stays silent as `Err(Start)`.
    pub fn try_spawn(mut cmd: Command) -> Result<Server, StartError> {
        raise_nofile_limit();
        // Many servers run at once: HTTP/2 is off (port 0 turns it off) unless a test sets a
        // port.
        if !cmd.get_envs().any(|(k, _)| k == "H2C_PORT") {
            cmd.env("H2C_PORT", "0");
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(StartError::Spawn)?;
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<u16>();
        let log2 = Arc::clone(&log);
        thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut sent = false;
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                if !sent && let Some(port) = parse_listening_port(&text) {
                    let _ = tx.send(port);
                    sent = true;
                }
                log2.lock().unwrap().push(text);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(port) => {
                    return Ok(Server { child, port, stderr: log });
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {}
            }
            if let Ok(Some(status)) = child.try_wait() {
                thread::sleep(Duration::from_millis(50));
                let lines = log.lock().unwrap().join("\n");
                return Err(StartError::Start(format!(
                    "server exited with {status} before printing `listening on 0.0.0.0:PORT`; stderr:\n{lines}"
                )));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let lines = log.lock().unwrap().join("\n");
                return Err(StartError::Start(format!(
                    "server printed no `listening on 0.0.0.0:PORT` line within {START_TIMEOUT:?}; stderr:\n{lines}"
                )));
            }
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The HTTP/2 port from the start-up line (`h2c on 0.0.0.0:PORT`); panics if the line names
    /// none within START_TIMEOUT (the line reaches the log just after `spawn` returns).
    pub fn h2c_port(&self) -> u16 {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(port) = self.stderr_lines().iter().find_map(|l| parse_h2c_port(l)) {
                return port;
            }
            assert!(Instant::now() < deadline, "no `h2c on 0.0.0.0:PORT` in:\n{}", self.stderr_lines().join("\n"));
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Everything the server printed on stderr so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Panics if the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("server exited: {status}; stderr:\n{}", self.stderr_lines().join("\n"));
        }
    }

    /// A new client connection with timeouts and TCP_NODELAY.
    pub fn connect(&self) -> Conn {
        Conn::connect(self.addr()).unwrap_or_else(|e| panic!("connect to {} failed: {e}", self.addr()))
    }

    /// A fresh connection gets the right answer to a GET /baseline11 and to get.raw.
    pub fn assert_healthy(&mut self) {
        self.assert_running();
        let mut c = self.connect();
        c.send(&get_request("/baseline11?a=40&b=2"));
        let r = c.read_response();
        r.assert_ok_body("42");
        c.send(&template("get.raw"));
        let r = c.read_response();
        r.assert_ok_body("55");
        self.assert_running();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub enum StartError {
    Spawn(io::Error),
    Start(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Spawn(e) => write!(f, "spawn failed: {e}"),
            StartError::Start(s) => f.write_str(s),
        }
    }
}

/// The HTTP/2 port in a start-up line (`h2c on 0.0.0.0:PORT`).
pub fn parse_h2c_port(line: &str) -> Option<u16> {
    const KEY: &str = "h2c on 0.0.0.0:";
    let at = line.find(KEY)? + KEY.len();
    line[at..].chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse().ok()
}

/// The port in a line containing `listening on 0.0.0.0:PORT`.
pub fn parse_listening_port(line: &str) -> Option<u16> {
    const KEY: &str = "listening on 0.0.0.0:";
    let at = line.find(KEY)? + KEY.len();
    let digits: String = line[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
    let port: u16 = digits.parse().ok()?;
    if port == 0 { None } else { Some(port) }
}

/// Runs the binary with `args` (and extra environment), waits up to `limit` for it to exit and
/// returns its status, stdout and stderr. Panics (after killing it) if it does not exit.
pub fn run_to_exit(args: &[&str], env: &[(&str, &str)], limit: Duration) -> (ExitStatus, String, String) {
    let mut cmd = Command::new(binary());
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env_remove("PORT").env_remove("THREADS").env("H2C_PORT", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn mote");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`mote {}` did not exit within {limit:?}", args.join(" "));
        }
        thread::sleep(Duration::from_millis(20));
    };
    let out = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let err = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    (status, out, err)
}

// ---------------------------------------------------------------------------------------------
// Client connection and response reader
// ---------------------------------------------------------------------------------------------

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The head as received, for messages.
    pub head: String,
}

impl Response {
    /// The value of the only header with this name (case-insensitive); None if absent.
    /// Panics if it appears more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let all = self.headers_named(name);
        assert!(all.len() <= 1, "header {name} appears {} times in:\n{}", all.len(), self.head);
        all.first().copied()
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Server, Date, Content-Type and Content-Length as the contract says.
    pub fn check_common_headers(&self) -> Result<(), String> {
        match self.header("server") {
            Some("mote") => {}
            other => return Err(format!("Server header is {other:?}, want \"mote\"; head:\n{}", self.head)),
        }
        match self.header("date") {
            Some(d) => { check_imf_fixdate(d).map_err(|e| format!("bad Date {d:?}: {e}"))?; }
            None => return Err(format!("no Date header; head:\n{}", self.head)),
        }
        match self.header("content-type") {
            Some(ct) if ct.eq_ignore_ascii_case("text/plain")
                || ct.to_ascii_lowercase().starts_with("text/plain;") => {}
            other => {
                return Err(format!("Content-Type is {other:?}, want text/plain; head:\n{}", self.head));
            }
        }
        if self.header("content-length").is_none() {
            return Err(format!("no Content-Length; head:\n{}", self.head));
        }
        if let Some(want) = standard_reason(self.status)
            && !want.iter().any(|w| *w == self.reason)
        {
            return Err(format!("reason phrase for {} is {:?}, want one of {want:?}", self.status, self.reason));
        }
        Ok(())
    }

    /// Status 200, the common headers, and exactly this body.
    pub fn assert_ok_body(&self, body: &str) {
        self.assert_status_body(200, body);
    }

    pub fn assert_status_body(&self, status: u16, body: &str) {
        if let Err(e) = self.check_status_body(status, body) {
            panic!("{e}");
        }
    }

    pub fn check_status_body(&self, status: u16, body: &str) -> Result<(), String> {
        if self.status != status || self.body != body.as_bytes() {
            return Err(format!(
                "want {status} {body:?}, got {} {:?}; head:\n{}",
                self.status,
                self.body_str(),
                self.head
            ));
        }
        self.check_common_headers()
    }

    pub fn assert_status(&self, status: u16) {
        assert_eq!(self.status, status, "unexpected status; head:\n{}body: {:?}", self.head, self.body_str());
        if let Err(e) = self.check_common_headers() {
            panic!("{e}");
        }
    }
}

/// The reason phrases we accept for a status code.
pub fn standard_reason(code: u16) -> Option<&'static [&'static str]> {
    Some(match code {
        200 => &["OK"],
        400 => &["Bad Request"],
        404 => &["Not Found"],
        408 => &["Request Timeout"],
        413 => &["Content Too Large", "Payload Too Large", "Request Entity Too Large"],
        414 => &["URI Too Long", "Request-URI Too Long"],
        431 => &["Request Header Fields Too Large"],
        501 => &["Not Implemented"],
        505 => &["HTTP Version Not Supported", "HTTP Version not supported"],
        _ => return None,
    })
}

/// A client connection with a buffer that keeps bytes read past the current response.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn connect(addr: SocketAddr) -> io::Result<Conn> {
        raise_nofile_limit();
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        Conn::from_stream(stream)
    }

    pub fn from_stream(stream: TcpStream) -> io::Result<Conn> {
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Conn { stream, buf: Vec::new() })
    }

    /// Writes all of `bytes`; panics on error.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap_or_else(|e| panic!("send of {} bytes failed: {e}", bytes.len()));
    }

    pub fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Writes one byte per write call, sleeping `pause` between bytes if given. Stops at the
    /// first write error and returns it with the number of bytes written.
    pub fn send_bytewise(&mut self, bytes: &[u8], pause: Option<Duration>) -> Result<(), (usize, io::Error)> {
        for (i, b) in bytes.iter().enumerate() {
            if let Err(e) = self.stream.write_all(std::slice::from_ref(b)) {
                return Err((i, e));
            }
            if let Some(p) = pause {
                thread::sleep(p);
            }
        }
        Ok(())
    }

    /// Half-closes the write side.
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads more bytes into the buffer; Ok(0) at EOF.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16384];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads exactly one response with its Content-Length body.
    pub fn read_response(&mut self) -> Response {
        self.try_read_response(false).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads exactly one response to a HEAD request: the head only.
    pub fn read_head_response(&mut self) -> Response {
        self.try_read_response(true).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_read_response(&mut self, to_head: bool) -> Result<Response, String> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            if self.buf.len() > 65536 {
                return Err(format!("response head longer than 64 KiB: {:?}", preview(&self.buf)));
            }
            match self.fill() {
                Ok(0) => {
                    return Err(if self.buf.is_empty() {
                        "connection closed before any response byte".to_string()
                    } else {
                        format!("connection closed inside a response head: {:?}", preview(&self.buf))
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(format!(
                        "reading response head failed ({}: {e}); received so far: {:?}",
                        kind_name(&e),
                        preview(&self.buf)
                    ));
                }
            }
        };
        let head_bytes: Vec<u8> = self.buf[..head_end].to_vec();
        let mut resp = parse_head(&head_bytes)?;
        let len = if to_head {
            0
        } else {
            if !resp.headers_named("transfer-encoding").is_empty() {
                return Err(format!("response uses Transfer-Encoding; head:\n{}", resp.head));
            }
            let cls = resp.headers_named("content-length");
            if cls.len() != 1 {
                return Err(format!("response has {} Content-Length headers; head:\n{}", cls.len(), resp.head));
            }
            parse_decimal(cls[0]).ok_or_else(|| format!("bad Content-Length {:?} in response", cls[0]))?
        };
        if len > 1 << 20 {
            return Err(format!("response Content-Length {len} is implausible; head:\n{}", resp.head));
        }
        let need = head_end + len as usize;
        while self.buf.len() < need {
            match self.fill() {
                Ok(0) => {
                    return Err(format!(
                        "connection closed inside a body ({} of {len} bytes); head:\n{}",
                        self.buf.len() - head_end,
                        resp.head
                    ));
                }
                Ok(_) => {}
                Err(e) => return Err(format!("reading body failed: {e}; head:\n{}", resp.head)),
            }
        }
        resp.body = self.buf[head_end..need].to_vec();
        self.buf.drain(..need);
        Ok(resp)
    }

    /// Bytes received and not yet consumed by a response.
    pub fn leftover(&self) -> &[u8] {
        &self.buf
    }

    /// Expects the server to close the connection with nothing more sent: panics otherwise.
    pub fn expect_eof(&mut self) {
        if let Err(e) = self.try_expect_eof() {
            panic!("{e}");
        }
    }

    /// Waits up to CLOSE_TIMEOUT for EOF (or a reset). Bytes received in the meantime are an error.
    pub fn try_expect_eof(&mut self) -> Result<(), String> {
        let _ = self.stream.set_read_timeout(Some(CLOSE_TIMEOUT));
        let result = loop {
            if !self.buf.is_empty() {
                break Err(format!("expected the connection to close, but got more bytes: {:?}", preview(&self.buf)));
            }
            match self.fill() {
                Ok(0) => break Ok(()),
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
                    break Err(format!("server did not close the connection within {CLOSE_TIMEOUT:?}"));
                }
                Err(e) => break Err(format!("waiting for close: {e}")),
            }
        };
        let _ = self.stream.set_read_timeout(Some(IO_TIMEOUT));
        result
    }

    /// Checks the connection is still open: nothing arrives within `wait`.
    pub fn expect_open_and_quiet(&mut self, wait: Duration) {
        let _ = self.stream.set_read_timeout(Some(wait));
        assert!(self.buf.is_empty(), "unexpected bytes: {:?}", preview(&self.buf));
        match self.fill() {
            Ok(0) => panic!("server closed a connection that should stay open"),
            Ok(_) => panic!("unexpected bytes: {:?}", preview(&self.buf)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {}
            Err(e) => panic!("connection failed: {e}"),
        }
        let _ = self.stream.set_read_timeout(Some(IO_TIMEOUT));
    }
}

fn kind_name(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => "timed out",
        io::ErrorKind::ConnectionReset => "reset",
        _ => "error",
    }
}

/// Parses a response head (status line + fields + CRLF CRLF).
pub fn parse_head(head: &[u8]) -> Result<Response, String> {
    let text = String::from_utf8_lossy(head).into_owned();
    let body = &head[..head.len() - 4];
    let mut lines = Vec::new();
    let mut rest = body;
    loop {
        match find(rest, b"\r\n") {
            Some(i) => {
                lines.push(&rest[..i]);
                rest = &rest[i + 2..];
            }
            None => {
                lines.push(rest);
                break;
            }
        }
    }
    for l in &lines {
        if l.contains(&b'\n') || l.contains(&b'\r') {
            return Err(format!("bare CR or LF in response head:\n{text}"));
        }
    }
    let status_line = lines[0];
    let sl = String::from_utf8_lossy(status_line);
    let rest = sl
        .strip_prefix("HTTP/1.1 ")
        .ok_or_else(|| format!("status line does not start with `HTTP/1.1 `: {sl:?}"))?;
    let code_bytes = rest.as_bytes();
    if code_bytes.len() < 5 || !code_bytes[..3].iter().all(u8::is_ascii_digit) || code_bytes[3] != b' ' {
        return Err(format!("malformed status line {sl:?}"));
    }
    let status: u16 = rest[..3].parse().unwrap();
    let reason = rest[4..].to_string();
    let mut headers = Vec::new();
    for l in &lines[1..] {
        let colon = l.iter().position(|&b| b == b':').ok_or_else(|| {
            format!("header line without colon: {:?}", String::from_utf8_lossy(l))
        })?;
        let name = &l[..colon];
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(format!("bad header name in {:?}", String::from_utf8_lossy(l)));
        }
        let value = String::from_utf8_lossy(&l[colon + 1..]).trim_matches(|c| c == ' ' || c == '\t').to_string();
        headers.push((String::from_utf8_lossy(name).into_owned(), value));
    }
    Ok(Response { status, reason, headers, body: Vec::new(), head: text })
}

pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// A printable prefix of some bytes, for messages.
pub fn preview(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(300)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > 300 {
        s.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    s
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Date
// ---------------------------------------------------------------------------------------------

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn two_digits(b: &[u8]) -> Option<i64> {
    if b.len() == 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit() {
        Some(((b[0] - b'0') * 10 + (b[1] - b'0')) as i64)
    } else {
        None
    }
}

/// Checks `Www, DD Mon YYYY HH:MM:SS GMT`: 29 bytes, valid fields, the weekday matching the
/// date, and within an hour of this machine's clock. Returns the Unix time it names.
pub fn check_imf_fixdate(s: &str) -> Result<i64, String> {
    let b = s.as_bytes();
    if b.len() != 29 {
        return Err(format!("{} bytes, want 29", b.len()));
    }
    let day_name = &s[0..3];
    let wd = DAYS.iter().position(|d| *d == day_name).ok_or("bad day name")?;
    if &b[3..5] != b", " || b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return Err("separators misplaced".into());
    }
    if &s[25..] != " GMT" {
        return Err("no ` GMT` suffix".into());
    }
    let day = two_digits(&b[5..7]).ok_or("bad day")?;
    let mon = MONTHS.iter().position(|m| *m == &s[8..11]).ok_or("bad month name")? as i64 + 1;
    if !b[12..16].iter().all(u8::is_ascii_digit) {
        return Err("bad year".into());
    }
    let year: i64 = s[12..16].parse().unwrap();
    let hh = two_digits(&b[17..19]).ok_or("bad hour")?;
    let mm = two_digits(&b[20..22]).ok_or("bad minute")?;
    let ss = two_digits(&b[23..25]).ok_or("bad second")?;
    if hh > 23 || mm > 59 || ss > 60 {
        return Err("time out of range".into());
    }
    let mdays = [31, if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if day < 1 || day > mdays[(mon - 1) as usize] {
        return Err("day out of range".into());
    }
    let days = days_from_civil(year, mon, day);
    // 1970-01-01 was a Thursday (index 3).
    let want_wd = (days + 3).rem_euclid(7) as usize;
    if want_wd != wd {
        return Err(format!("weekday {day_name} does not match the date (want {})", DAYS[want_wd]));
    }
    let t = days * 86400 + hh * 3600 + mm * 60 + ss;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    if (t - now).abs() > 3600 {
        return Err(format!("{} s away from this machine's clock", t - now));
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

pub fn get_request(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

pub fn head_request(target: &str) -> Vec<u8> {
    format!("HEAD {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

pub fn post_cl_request(target: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n", body.len())
        .into_bytes();
    v.extend_from_slice(body);
    v
}

/// A chunked POST whose body is `chunks` joined, each chunk with a lower-case hex size.
pub fn post_chunked_request(target: &str, chunks: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("POST {target} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
        .into_bytes();
    for c in chunks {
        if c.is_empty() {
            continue;
        }
        v.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        v.extend_from_slice(c);
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"0\r\n\r\n");
    v
}

/// `?a=1&b=2...` for these values, with keys a, b, c, ...
pub fn query_of(values: &[i64]) -> String {
    let mut q = String::new();
    for (i, v) in values.iter().enumerate() {
        q.push(if i == 0 { '?' } else { '&' });
        q.push((b'a' + i as u8) as char);
        q.push('=');
        q.push_str(&v.to_string());
    }
    q
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

/// One request of a mixed pipeline with the body its answer must have.
pub struct Mixed {
    pub bytes: Vec<u8>,
    pub expect: String,
    pub what: String,
}

/// A random request: GET, POST with Content-Length, or chunked POST to /baseline11, with
/// random query values and body, random whitespace around the body, random chunk splits,
/// random hex case and occasional chunk extensions.
pub fn random_request(rng: &mut Rng) -> Mixed {
    let nvals = 1 + rng.below(3) as usize;
    let vals: Vec<i64> = (0..nvals).map(|_| rng.range(-100_000, 100_000)).collect();
    let target = format!("/baseline11{}", query_of(&vals));
    let qsum: i64 = vals.iter().sum();
    match rng.below(3) {
        0 => Mixed { bytes: get_request(&target), expect: qsum.to_string(), what: format!("GET {target}") },
        kind => {
            let body_val = rng.range(-100_000, 100_000);
            let mut body = String::new();
            for _ in 0..rng.below(4) {
                body.push(' ');
            }
            body.push_str(&body_val.to_string());
            for _ in 0..rng.below(20) {
                body.push(' ');
            }
            let expect = (qsum + body_val).to_string();
            if kind == 1 {
                Mixed {
                    bytes: post_cl_request(&target, body.as_bytes()),
                    expect,
                    what: format!("POST {target} Content-Length body {body:?}"),
                }
            } else {
                let mut v = format!(
                    "POST {target} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                )
                .into_bytes();
                let b = body.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    let n = (1 + rng.below(b.len() as u64) as usize).min(b.len() - i);
                    let size = if rng.below(2) == 0 { format!("{n:x}") } else { format!("{n:X}") };
                    v.extend_from_slice(size.as_bytes());
                    if rng.below(4) == 0 {
                        v.extend_from_slice(b";ext=1");
                    }
                    v.extend_from_slice(b"\r\n");
                    v.extend_from_slice(&b[i..i + n]);
                    v.extend_from_slice(b"\r\n");
                    i += n;
                }
                v.extend_from_slice(b"0\r\n\r\n");
                Mixed { bytes: v, expect, what: format!("chunked POST {target} body {body:?}") }
            }
        }
    }
}

/// Sends all requests in one write on one connection and checks every answer, in order.
/// The answers are read while the write goes on.
pub fn run_pipeline(server: &Server, reqs: &[Mixed]) {
    let mut c = server.connect();
    let all: Vec<u8> = reqs.iter().flat_map(|r| r.bytes.iter().copied()).collect();
    // One write, from another thread so a long pipeline cannot deadlock on full buffers.
    let mut writer = c.stream.try_clone().expect("clone stream");
    let sender = thread::spawn(move || writer.write_all(&all));
    for (i, r) in reqs.iter().enumerate() {
        let resp = c
            .try_read_response(false)
            .unwrap_or_else(|e| panic!("pipeline answer {i} ({}): {e}", r.what));
        if let Err(e) = resp.check_status_body(200, &r.expect) {
            panic!("pipeline answer {i} ({}): {e}", r.what);
        }
    }
    assert!(c.leftover().is_empty(), "extra bytes after the pipeline: {:?}", preview(c.leftover()));
    sender.join().expect("writer thread").expect("writing the pipeline");
}

// ---------------------------------------------------------------------------------------------
// Process inspection, signals, raw sockets (robustness tests)
// ---------------------------------------------------------------------------------------------

impl Server {
    /// The server's process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `sig` to the server process; panics if kill(2) fails.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig}) failed: {}", self.pid(), io::Error::last_os_error());
    }

    /// Waits up to `limit` for the process to exit; its status, or None if it is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the process is still running (not exited).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Open descriptors of the server process (entries of /proc/PID/fd).
    pub fn fd_count(&self) -> usize {
        proc_fd_count(self.pid())
    }

    /// User plus system CPU seconds the server process has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        proc_cpu_seconds(self.pid())
    }
}

/// Entries of /proc/PID/fd; panics if the directory cannot be read.
pub fn proc_fd_count(pid: i32) -> usize {
    let dir = format!("/proc/{pid}/fd");
    std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {dir}: {e}")).count()
}

/// utime + stime of a process from /proc/PID/stat, in seconds.
pub fn proc_cpu_seconds(pid: i32) -> f64 {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    // The command name may hold spaces and parentheses: fields resume after the last ')'.
    let after = &text[text.rfind(')').expect("')' in /proc/PID/stat") + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state is field 3 of stat(5), so utime (14) and stime (15) are at 11, 12.
    let utime: u64 = fields[11].parse().expect("utime");
    let stime: u64 = fields[12].parse().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as f64 } else { 100.0 };
    (utime + stime) as f64 / hz
}

/// Makes close() on this socket send a reset (SO_LINGER on, 0 s) instead of a FIN.
pub fn set_linger_zero(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let lin = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: the fd is an open socket owned by `stream`; `lin` is a valid linger struct.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &lin as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER) failed: {}", io::Error::last_os_error());
}

/// Closes the stream with a reset rather than a FIN.
pub fn reset_close(stream: TcpStream) {
    set_linger_zero(&stream);
    drop(stream);
}

/// A TCP connection to `dst` from source address `src` (port chosen at connect time), within
/// `timeout`, with IO_TIMEOUT read/write timeouts set.
pub fn connect_from(src: std::net::Ipv4Addr, dst: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(dst4) = dst else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "IPv4 only"));
    };
    // SAFETY: plain socket(2) call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh socket we own; TcpStream takes over closing it.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    // SAFETY: valid fd and option value.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    let sin = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(ip.octets()) },
        sin_zero: [0; 8],
    };
    let local = sin(src, 0);
    // SAFETY: `local` is a valid sockaddr_in for the duration of the call.
    let rc = unsafe {
        libc::bind(fd, &local as *const libc::sockaddr_in as *const libc::sockaddr,
                   std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t)
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let remote = sin(*dst4.ip(), dst4.port());
    // SAFETY: `remote` is a valid sockaddr_in for the duration of the call.
    let rc = unsafe {
        libc::connect(fd, &remote as *const libc::sockaddr_in as *const libc::sockaddr,
                      std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t)
    };
    if rc != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
        let mut pfd = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis().min(i32::MAX as u128) as i32) };
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
        }
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
    }
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// How a connection ended when read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Orderly EOF.
    Eof,
    /// Connection reset.
    Reset,
    /// Still open when the time ran out.
    StillOpen,
    /// Some other read error.
    Error,
}

impl Conn {
    /// Reads until EOF, reset, another error or `limit`, whichever first; returns how it ended
    /// and every byte received (including bytes buffered before the call), leaving the buffer
    /// empty.
    pub fn read_to_end_within(&mut self, limit: Duration) -> (Ending, Vec<u8>) {
        let deadline = Instant::now() + limit;
        let ending = loop {
            let now = Instant::now();
            if now >= deadline {
                break Ending::StillOpen;
            }
            let _ = self.stream.set_read_timeout(Some((deadline - now).max(Duration::from_millis(1))));
            match self.fill() {
                Ok(0) => break Ending::Eof,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break Ending::Reset,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
                    break Ending::StillOpen;
                }
                Err(_) => break Ending::Error,
            }
        };
        let _ = self.stream.set_read_timeout(Some(IO_TIMEOUT));
        (ending, std::mem::take(&mut self.buf))
    }

    /// Sets the read timeout used by the response readers.
    pub fn set_read_timeout(&mut self, t: Duration) {
        let _ = self.stream.set_read_timeout(Some(t));
    }
}

/// Splits `bytes` into complete responses (each with its Content-Length body); returns them
/// and the bytes left over (an incomplete response, if any). Err on a malformed head.
pub fn split_responses(bytes: &[u8]) -> Result<(Vec<Response>, Vec<u8>), String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    loop {
        let Some(i) = find(rest, b"\r\n\r\n") else { break };
        let head_end = i + 4;
        let mut resp = parse_head(&rest[..head_end])?;
        let cls = resp.headers_named("content-length");
        if cls.len() != 1 {
            return Err(format!("response has {} Content-Length headers; head:\n{}", cls.len(), resp.head));
        }
        let len = parse_decimal(cls[0]).ok_or_else(|| format!("bad Content-Length {:?}", cls[0]))? as usize;
        if rest.len() < head_end + len {
            break;
        }
        resp.body = rest[head_end..head_end + len].to_vec();
        out.push(resp);
        rest = &rest[head_end + len..];
    }
    Ok((out, rest.to_vec()))
}

// ---------------------------------------------------------------------------------------------
// Refusals: malformed requests and the status each must get.
// ---------------------------------------------------------------------------------------------

/// A request that must be refused: one of `statuses`, then the close.
pub struct Refusal {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub statuses: &'static [u16],
}

pub fn refusal(name: &'static str, bytes: &[u8], statuses: &'static [u16]) -> Refusal {
    Refusal { name, bytes: bytes.to_vec(), statuses }
}

/// Sends the request on a fresh connection (without half-closing: a server that closes early
/// may make the write fail, and what matters is what it answered); expects one of the statuses,
/// the common headers, and the close with nothing after the answer.
pub fn check_refusal(server: &Server, c: &Refusal) -> Result<(), String> {
    let mut conn = Conn::connect(server.addr()).map_err(|e| format!("{}: connect: {e}", c.name))?;
    let _ = conn.try_send(&c.bytes);
    let r = conn
        .try_read_response(false)
        .map_err(|e| format!("{} (sent {:?}): {e}", c.name, preview(&c.bytes)))?;
    if !c.statuses.contains(&r.status) {
        return Err(format!(
            "{} (sent {:?}): want {:?}, got {} {:?}",
            c.name,
            preview(&c.bytes),
            c.statuses,
            r.status,
            r.body_str()
        ));
    }
    r.check_common_headers().map_err(|e| format!("{}: {e}", c.name))?;
    conn.try_expect_eof()
        .map_err(|e| format!("{} (sent {:?}, answered {}): {e}", c.name, preview(&c.bytes), r.status))
}

pub fn run_refusals(server: &mut Server, cases: &[Refusal]) {
    let failures: Vec<String> = cases.iter().filter_map(|c| check_refusal(server, c).err()).collect();
    server.assert_healthy();
    assert_no_failures(&failures, cases.len());
}

/// Fails with every failure of a table of cases listed, not just the first.
pub fn assert_no_failures(failures: &[String], total: usize) {
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), total, failures.join("\n"));
}
