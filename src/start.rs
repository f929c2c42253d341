//! Start-up: configuration from the command line and environment, process-wide settings (fd
//! limit, SIGPIPE), one SO_REUSEPORT listener per worker, the workers themselves, the start-up
//! line, and the orderly stop on SIGTERM/SIGINT.

use crate::http1::head::Limits;
use crate::http1::scan::{self, Scanner};
use crate::sys::{self, CpuSet, Errno, Fd, SockFilter};
use crate::thread;
use crate::worker::{self, Shared, Worker};
use core::sync::atomic::Ordering;
use rust_alloc::boxed::Box;
use rust_alloc::vec::Vec;

pub const USAGE: &str = "\
usage: mote [options]         (defaults in brackets)
  --port N                    port [8080; env PORT]
  --threads N                 workers [CPUs in the affinity mask; env THREADS]
  --connections N             connections at once, whole process [65536]
  --parser auto|scalar        scanner: SSE4.2 where the CPU has it, or scalar [auto]
  --header-timeout S          seconds for a begun request to arrive, then 408 [10]
  --idle-timeout S            seconds an idle connection is kept [60]
  --send-timeout S            seconds answers may stay unread [10]
  --grace S                   seconds to finish at SIGTERM/SIGINT [5]
  --max-header N              bytes of head, then 431 [8192]
  --max-uri N                 bytes of target, then 414 [4096]
  --max-body N                bytes of body, then 413 [8192]
  --max-pipeline N            requests answered per read [64]
  --max-message N             bytes of a WebSocket message, then 1009 [1048576]
  --h2c-port N                HTTP/2 cleartext port, prior knowledge [8082; 0: off; env H2C_PORT]
";

/// Everything the command line and environment decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub port: u16,
    /// `None`: one per CPU in the affinity mask.
    pub threads: Option<usize>,
    pub connections: usize,
    pub scalar: bool,
    pub header_timeout: u32,
    pub idle_timeout: u32,
    pub send_timeout: u32,
    pub grace: u32,
    pub max_header: usize,
    pub max_uri: usize,
    pub max_body: usize,
    pub max_pipeline: usize,
    pub max_message: usize,
    /// The HTTP/2 cleartext port; 0 turns it off.
    pub h2c_port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 8080,
            threads: None,
            connections: 65536,
            scalar: false,
            header_timeout: 10,
            idle_timeout: 60,
            send_timeout: 10,
            grace: 5,
            max_header: 8192,
            max_uri: 4096,
            max_body: 8192,
            max_pipeline: 64,
            max_message: 1 << 20,
            h2c_port: 8082,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Config),
    Help,
}

/// A one-line reason the command line was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct BadArgs(pub &'static str, pub Option<&'static [u8]>);

fn number(s: &[u8], min: u64, max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = s.iter().fold(0u64, |v, &d| v * 10 + u64::from(d - b'0'));
    (min..=max).contains(&v).then_some(v)
}

/// The options that take a number: name, smallest and largest value, and what to say when the
/// value is not one of them. (One table rather than a branch each: start-up code is bytes of the
/// binary too.)
const NUMBERS: [(&[u8], u64, u64, &str); 13] = [
    (b"--port", 0, 65535, "--port must be a number from 0 to 65535"),
    (b"--threads", 1, 1024, "--threads must be a number from 1 to 1024"),
    (b"--connections", 1, 1 << 24, "--connections must be a number from 1 to 16777216"),
    (b"--header-timeout", 1, 86400, "timeouts are seconds from 1 to 86400"),
    (b"--idle-timeout", 1, 86400, "timeouts are seconds from 1 to 86400"),
    (b"--send-timeout", 1, 86400, "timeouts are seconds from 1 to 86400"),
    (b"--grace", 1, 86400, "timeouts are seconds from 1 to 86400"),
    (b"--max-header", 64, 1 << 20, "--max-header must be from 64 to 1048576"),
    (b"--max-uri", 16, 1 << 20, "--max-uri must be from 16 to 1048576"),
    (b"--max-body", 0, 1 << 24, "--max-body must be from 0 to 16777216"),
    (b"--max-pipeline", 1, 1 << 16, "--max-pipeline must be from 1 to 65536"),
    (b"--max-message", 1, 1 << 30, "--max-message must be from 1 to 1073741824"),
    (b"--h2c-port", 0, 65535, "--h2c-port must be a number from 0 to 65535 (0: off)"),
];

impl Config {
    /// Sets the option at `NUMBERS[k]` (the value is within its bounds).
    fn set(&mut self, k: usize, v: u64) {
        let n = v as usize;
        let s = v as u32;
        match k {
            0 => self.port = v as u16,
            1 => self.threads = Some(n),
            2 => self.connections = n,
            3 => self.header_timeout = s,
            4 => self.idle_timeout = s,
            5 => self.send_timeout = s,
            6 => self.grace = s,
            7 => self.max_header = n,
            8 => self.max_uri = n,
            9 => self.max_body = n,
            10 => self.max_pipeline = n,
            11 => self.max_message = n,
            _ => self.h2c_port = v as u16,
        }
    }
}

/// Reads the configuration. `args` excludes the program name; `env` looks up a variable.
pub fn configure<'a>(
    args: impl IntoIterator<Item = &'static [u8]>,
    env: impl Fn(&[u8]) -> Option<&'a [u8]>,
) -> Result<Command, BadArgs> {
    let mut c = Config::default();
    // PORT and THREADS in the environment, then the command line.
    for (k, var) in [(0, &b"PORT"[..]), (1, b"THREADS"), (12, b"H2C_PORT")] {
        if let (Some(v), Some(&(_, min, max, why))) = (env(var), NUMBERS.get(k)) {
            c.set(k, number(v, min, max).ok_or(BadArgs(why, None))?);
        }
    }
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == b"--help" || arg == b"-h" {
            return Ok(Command::Help);
        }
        let mut value = || args.next().ok_or(BadArgs("this option needs a value", Some(arg)));
        if let Some(k) = NUMBERS.iter().position(|o| o.0 == arg) {
            let v = value()?;
            if let Some(&(_, min, max, why)) = NUMBERS.get(k) {
                c.set(k, number(v, min, max).ok_or(BadArgs(why, Some(v)))?);
            }
            continue;
        }
        match arg {
            b"--parser" => match value()? {
                b"auto" => c.scalar = false,
                b"scalar" => c.scalar = true,
                v => return Err(BadArgs("--parser must be auto or scalar", Some(v))),
            },
            _ => return Err(BadArgs("unknown option (see --help)", Some(arg))),
        }
    }
    Ok(Command::Run(c))
}

impl Config {
    /// The worker's share of the configuration.
    pub fn worker(&self) -> worker::Config {
        // A slot keeps a head under way (bodies stream through), or the requests a read
        // brought past the pipeline depth: the largest head, and room to read more after it;
        // for HTTP/2, a whole frame of its largest size (16 KiB and its header).
        let frame = if self.h2c_port != 0 { 16384 + 9 } else { 0 };
        let rbuf = (self.max_header.max(frame) + 8192).next_multiple_of(4096);
        worker::Config {
            limit: self.connections,
            // Connections may all arrive on one CPU, so every worker can take the whole limit
            // (slots are reserved, not committed), plus headroom to refuse past it politely.
            capacity: self.connections + self.connections / 16 + 16,
            rbuf,
            wbuf: 16 << 10,
            limits: Limits { max_head: self.max_header, max_target: self.max_uri, max_body: self.max_body as u64 },
            max_depth: self.max_pipeline,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            send_timeout: self.send_timeout,
            linger_timeout: 2,
            grace: self.grace,
            ws: crate::ws::Limits { max_message: self.max_message as u64 },
            h2: crate::h2::Limits { max_body: self.max_body as u64 },
        }
    }
}

/// The stop flag (set by the main thread on SIGTERM/SIGINT) and the live connection count.
static SHARED: Shared = Shared::new();

fn fail(what: &str, e: Errno) -> ! {
    sys::eprint(b"mote: ");
    sys::eprint(what.as_bytes());
    sys::eprint(b": ");
    // The errors start-up can meet, by name; others by number (the crate's full name table
    // would cost the binary several KiB).
    let name: &[u8] = match e {
        Errno::EADDRINUSE => b"address already in use (EADDRINUSE)",
        Errno::EACCES => b"permission denied (EACCES)",
        Errno::EADDRNOTAVAIL => b"address not available (EADDRNOTAVAIL)",
        Errno::EMFILE => b"too many open files (EMFILE)",
        Errno::ENOMEM => b"out of memory (ENOMEM)",
        Errno::EPERM => b"operation not permitted (EPERM)",
        Errno::EINVAL => b"invalid argument (EINVAL)",
        _ => b"errno ",
    };
    sys::eprint(name);
    if name == b"errno " {
        let mut digits = [0u8; 20];
        let n = crate::num::write_u64(&mut digits, u64::from(e.into_raw().unsigned_abs()));
        sys::eprint(digits.get(..n).unwrap_or(&[]));
    }
    sys::eprint(b"\n");
    sys::exit_group(1)
}

/// The classic BPF program that picks, for each new connection, the listener of the worker on
/// the CPU that received it: `A = cpu; A %= n; return A`.
#[allow(clippy::identity_op)]
fn cpu_steering(n: u32) -> [SockFilter; 3] {
    // Instruction classes and modes from linux/bpf_common.h.
    const BPF_LD: u16 = 0x00;
    const BPF_ALU: u16 = 0x04;
    const BPF_RET: u16 = 0x06;
    const BPF_W: u16 = 0x00;
    const BPF_ABS: u16 = 0x20;
    const BPF_MOD: u16 = 0x90;
    const BPF_K: u16 = 0x00;
    const BPF_A: u16 = 0x10;
    // The ancillary load that yields the current CPU: SKF_AD_OFF + SKF_AD_CPU.
    const SKF_AD_CPU: u32 = (-0x1000i32) as u32 + 36;
    [
        SockFilter { code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: SKF_AD_CPU },
        SockFilter { code: BPF_ALU | BPF_MOD | BPF_K, jt: 0, jf: 0, k: n },
        SockFilter { code: BPF_RET | BPF_A, jt: 0, jf: 0, k: 0 },
    ]
}

/// Binds a socket to `port` without SO_REUSEPORT, which fails with EADDRINUSE while any other
/// socket listens there, another mote's included (SO_REUSEPORT alone would let two servers
/// share the port without a word). Returns the socket, to be closed once our listeners are up,
/// and the port (the kernel's choice for port 0).
fn claim_port(port: u16) -> Result<(Fd, u16), Errno> {
    let fd = sys::socket_tcp4()?;
    // Only so that connections of an earlier server in TIME_WAIT do not block the port.
    sys::setsockopt_int(fd.raw(), sys::SOL_SOCKET, sys::SO_REUSEADDR, 1)?;
    sys::bind_v4(fd.raw(), 0, port)?;
    let port = sys::local_port(fd.raw())?;
    Ok((fd, port))
}

/// Opens a listening socket on `port` that shares the port with the others.
fn listener(port: u16) -> Result<Fd, Errno> {
    let fd = sys::socket_tcp4()?;
    sys::setsockopt_int(fd.raw(), sys::SOL_SOCKET, sys::SO_REUSEADDR, 1)?;
    sys::setsockopt_int(fd.raw(), sys::SOL_SOCKET, sys::SO_REUSEPORT, 1)?;
    // Accepted connections inherit these from the listener: no setsockopt per connection.
    sys::setsockopt_int(fd.raw(), sys::IPPROTO_TCP, sys::TCP_NODELAY, 1)?;
    // Urgent data is read inline, as ordinary bytes: a request holding it is judged with it,
    // never silently shortened (and a read stopped at its mark is read on).
    sys::setsockopt_int(fd.raw(), sys::SOL_SOCKET, sys::SO_OOBINLINE, 1)?;
    sys::bind_v4(fd.raw(), 0, port)?;
    // The kernel caps the backlog at net.core.somaxconn.
    sys::listen(fd.raw(), 65535)?;
    Ok(fd)
}

/// Which CPU each worker is pinned to, and whether CPU steering applies: it does when the
/// workers' CPUs, taken modulo the worker count, are exactly 0..n (worker i on a CPU c with
/// c % n == i), so the BPF program's answer is the index of that CPU's worker.
pub fn placement(cpus: &[usize], threads: usize) -> (Vec<usize>, bool) {
    // Round robin over the CPUs; then, if every residue has its CPU, worker i on the CPU with
    // residue i (usize::MAX marks a residue without one).
    let mut pins: Vec<usize> = (0..threads).map(|i| cpus.get(i % cpus.len().max(1)).copied().unwrap_or(0)).collect();
    let mut by_residue: Vec<usize> = (0..threads).map(|_| usize::MAX).collect();
    if cpus.len() == threads {
        for &c in cpus {
            if let Some(slot) = by_residue.get_mut(c % threads)
                && *slot == usize::MAX
            {
                *slot = c;
            }
        }
    }
    let steer = threads > 0 && !by_residue.contains(&usize::MAX);
    if steer {
        pins = by_residue;
    }
    (pins, steer)
}

pub fn main(stack: sys::InitialStack) -> ! {
    let cfg = match configure(stack.args().skip(1), |k| stack.env(k)) {
        Ok(Command::Run(c)) => c,
        Ok(Command::Help) => {
            sys::print(USAGE.as_bytes());
            sys::exit_group(0)
        }
        Err(BadArgs(why, arg)) => {
            sys::eprint(b"mote: ");
            sys::eprint(why.as_bytes());
            if let Some(a) = arg {
                sys::eprint(b": ");
                sys::eprint(a);
            }
            sys::eprint(b"\n");
            sys::exit_group(2)
        }
    };

    let _ = sys::raise_nofile_limit();
    if let Err(e) = sys::ignore_sigpipe() {
        fail("ignoring SIGPIPE", e);
    }
    // Workers inherit this mask: only the main thread takes SIGTERM/SIGINT, by waiting for them.
    if let Err(e) = sys::block_signals(&[sys::SIGTERM, sys::SIGINT]) {
        fail("blocking signals", e);
    }

    let mask = sys::sched_getaffinity().unwrap_or_else(|_| CpuSet::single(0));
    let cpus: Vec<usize> = mask.cpus().collect();
    let threads = cfg.threads.unwrap_or(cpus.len().max(1));
    let scanner = if cfg.scalar { Scanner::Scalar } else { scan::detect() };

    // Each probe fixes its port (port 0 asks the kernel for one) and proves no one listens on
    // it; the listeners join it, one per worker. HTTP/1.1 first, then HTTP/2 cleartext unless
    // it is off.
    let (probe, port) = claim_port(cfg.port).unwrap_or_else(|e| fail("listening", e));
    let h2 = (cfg.h2c_port != 0).then(|| claim_port(cfg.h2c_port).unwrap_or_else(|e| fail("listening for h2c", e)));
    let h2_port = h2.as_ref().map(|&(_, p)| p);
    let (pins, steer) = placement(&cpus, threads);
    // Worker i's listeners join their ports' groups i-th: the steering program, attached to the
    // first of each group, answers a worker's index.
    let join = |port: u16, first: bool| {
        let l = listener(port).unwrap_or_else(|e| fail("listening", e));
        if first && steer && threads > 1 {
            // Best effort: without it the kernel spreads connections by hash.
            let _ = sys::attach_cbpf(l.raw(), sys::SO_ATTACH_REUSEPORT_CBPF, &cpu_steering(threads as u32));
        }
        l
    };
    let wcfg = cfg.worker();
    // Each worker's thread, and the event counter that wakes it (the worker owns the counter;
    // the main thread only adds to it, until exit).
    let mut workers = Vec::with_capacity(threads);
    for (i, &cpu) in pins.iter().enumerate() {
        let listener = join(port, i == 0);
        let listener_h2 = h2_port.map(|p| join(p, i == 0));
        let wake = sys::eventfd().unwrap_or_else(|e| fail("setting up a worker", e));
        let wake_fd = wake.raw();
        let worker = Worker::new(listener, listener_h2, wake, scanner, wcfg, &SHARED)
            .unwrap_or_else(|e| fail("setting up a worker", e));
        let mut worker = Box::new(worker);
        let t = thread::spawn(Box::new(move || {
            let _ = sys::sched_setaffinity(&CpuSet::single(cpu));
            if let Err(e) = worker.run() {
                fail("worker", e);
            }
        }))
        .unwrap_or_else(|e| fail("starting a worker", e));
        workers.push((t, wake_fd));
    }
    // The listeners hold the ports now.
    drop(probe);
    drop(h2);

    banner(port, h2_port, threads, scanner);

    // Wait for a stop signal; then give the workers the grace period to finish.
    loop {
        if let Ok(Some(_)) = sys::wait_signal(&[sys::SIGTERM, sys::SIGINT], 60_000) {
            break;
        }
        if workers.iter().all(|(t, _)| !t.is_running()) {
            sys::exit_group(1);
        }
    }
    SHARED.stop.store(true, Ordering::Relaxed);
    for &(_, wake) in &workers {
        sys::wake(wake);
    }
    let deadline_ms = u64::from(cfg.grace) * 1000 + 1500;
    for (t, _) in &workers {
        t.join_timeout(deadline_ms);
    }
    sys::exit_group(0)
}

fn banner(port: u16, h2_port: Option<u16>, threads: usize, scanner: Scanner) {
    let mut digits = [0u8; 20];
    sys::eprint(b"mote ");
    sys::eprint(crate::VERSION.as_bytes());
    sys::eprint(b" listening on 0.0.0.0:");
    let n = crate::num::write_u64(&mut digits, u64::from(port));
    sys::eprint(digits.get(..n).unwrap_or(&[]));
    if let Some(p) = h2_port {
        sys::eprint(b", h2c on 0.0.0.0:");
        let n = crate::num::write_u64(&mut digits, u64::from(p));
        sys::eprint(digits.get(..n).unwrap_or(&[]));
    }
    sys::eprint(b" (");
    let n = crate::num::write_u64(&mut digits, threads as u64);
    sys::eprint(digits.get(..n).unwrap_or(&[]));
    sys::eprint(if threads == 1 { b" worker, " } else { b" workers, " });
    sys::eprint(scanner.name().as_bytes());
    sys::eprint(b" parser)\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&'static str], env: &[(&str, &'static str)]) -> Result<Command, BadArgs> {
        let env: Vec<(Vec<u8>, &'static [u8])> = env.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes())).collect();
        configure(args.iter().map(|a| a.as_bytes()), move |k: &[u8]| {
            env.iter().find(|(n, _)| n.as_slice() == k).map(|(_, v)| *v)
        })
    }

    #[test]
    fn defaults() {
        assert_eq!(run(&[], &[]), Ok(Command::Run(Config::default())));
    }

    #[test]
    fn flags_beat_environment() {
        let Ok(Command::Run(c)) = run(&["--port", "9000"], &[("PORT", "7000"), ("THREADS", "3")]) else { panic!() };
        assert_eq!((c.port, c.threads), (9000, Some(3)));
        let Ok(Command::Run(c)) = run(&[], &[("PORT", "7000")]) else { panic!() };
        assert_eq!(c.port, 7000);
    }

    #[test]
    fn bad_arguments_are_refused() {
        for args in [&["--port", "x"][..], &["--port", "65536"], &["--threads", "0"], &["--bogus"], &["--port"],
                     &["--parser", "fast"], &["--connections", "-1"]] {
            assert!(run(args, &[]).is_err(), "{args:?}");
        }
        assert!(run(&[], &[("PORT", "http")]).is_err());
    }

    #[test]
    fn help() {
        assert_eq!(run(&["--port", "1", "--help"], &[]), Ok(Command::Help));
    }

    #[test]
    fn placement_steers_when_cpus_cover_every_residue() {
        assert_eq!(placement(&[0, 1], 2), (vec![0, 1], true));
        assert_eq!(placement(&[2, 3], 2), (vec![2, 3], true));
        assert_eq!(placement(&[3, 2], 2), (vec![2, 3], true));
        assert_eq!(placement(&[1], 1), (vec![1], true));
        // More workers than CPUs: round robin, no steering.
        assert_eq!(placement(&[0, 1], 4), (vec![0, 1, 0, 1], false));
        // CPUs 0 and 2 both fall on residue 0 of 2: no steering.
        assert_eq!(placement(&[0, 2], 2).1, false);
    }

    #[test]
    fn every_worker_can_take_the_whole_limit() {
        let c = Config { connections: 4, ..Config::default() };
        let w = c.worker();
        assert_eq!(w.limit, 4);
        assert!(w.capacity > 4);
        assert!(Config::default().worker().rbuf > Config::default().max_header);
    }
}
