//! The one user of the `syscalls` crate: one small typed function per system call, the kernel's
//! structures, and a view of the initial process stack.
//!
//! Every function here returns `Err(Errno)` where the kernel returned `-errno`; callers decide
//! what EINTR and EAGAIN mean for them. Functions that hand the kernel memory take slices, so the
//! kernel only ever sees memory the caller owns; functions that could break memory safety
//! (unmapping, changing protections, raw clone) are `unsafe` and say why.
#![allow(unsafe_code)]

use core::mem::size_of;
pub use syscalls::Errno;
use syscalls::{Sysno, syscall};

pub type Result<T> = core::result::Result<T, Errno>;

pub const STDOUT: i32 = 1;
pub const STDERR: i32 = 2;

// ---------------------------------------------------------------------------------------------
// Constants from the Linux x86_64 ABI.

pub const AF_INET: i32 = 2;
pub const SOCK_STREAM: i32 = 1;
pub const SOCK_NONBLOCK: i32 = 0o4000;
pub const SOCK_CLOEXEC: i32 = 0o2000000;
pub const SOL_SOCKET: i32 = 1;
pub const SO_REUSEADDR: i32 = 2;
pub const SO_REUSEPORT: i32 = 15;
pub const SO_ATTACH_REUSEPORT_CBPF: i32 = 51;
pub const IPPROTO_TCP: i32 = 6;
pub const TCP_NODELAY: i32 = 1;
/// Urgent (out-of-band) data stays in the stream, read as ordinary bytes.
pub const SO_OOBINLINE: i32 = 10;
pub const MSG_NOSIGNAL: i32 = 0x4000;
pub const SHUT_WR: i32 = 1;

pub const EPOLL_CLOEXEC: i32 = 0o2000000;
pub const EPOLL_CTL_ADD: i32 = 1;
pub const EPOLL_CTL_DEL: i32 = 2;
pub const EPOLL_CTL_MOD: i32 = 3;
pub const EPOLLIN: u32 = 0x001;
/// Urgent data arrived (TCP stops a read at its mark).
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDHUP: u32 = 0x2000;
pub const EPOLLET: u32 = 1 << 31;

pub const PROT_NONE: usize = 0;
pub const PROT_READ: usize = 1;
pub const PROT_WRITE: usize = 2;
const MAP_PRIVATE: usize = 0x02;
const MAP_ANONYMOUS: usize = 0x20;
const MAP_NORESERVE: usize = 0x4000;

const EFD_NONBLOCK: usize = 0o4000;
const EFD_CLOEXEC: usize = 0o2000000;

pub const CLOCK_REALTIME: usize = 0;
pub const CLOCK_MONOTONIC: usize = 1;
const TFD_NONBLOCK: usize = 0o4000;
const TFD_CLOEXEC: usize = 0o2000000;

pub const RLIMIT_NOFILE: usize = 7;

pub const SIGINT: i32 = 2;
pub const SIGPIPE: i32 = 13;
pub const SIGTERM: i32 = 15;
const SIG_IGN: u64 = 1;
const SIG_BLOCK: usize = 0;

pub const FUTEX_WAIT: usize = 0;

// ---------------------------------------------------------------------------------------------
// Kernel structures.

/// `struct epoll_event` as x86_64 lays it out: packed, 12 bytes.
#[repr(C, packed)]
#[derive(Clone, Copy, Default)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

impl EpollEvent {
    pub const fn new(events: u32, data: u64) -> Self {
        Self { events, data }
    }
    pub fn events(&self) -> u32 {
        self.events
    }
    pub fn data(&self) -> u64 {
        self.data
    }
}

/// `struct sockaddr_in`: port and address in network byte order.
#[repr(C)]
struct SockaddrIn {
    family: u16,
    port: u16,
    addr: u32,
    zero: [u8; 8],
}

/// One classic BPF instruction (`struct sock_filter`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SockFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

#[repr(C)]
struct Itimerspec {
    interval: Timespec,
    value: Timespec,
}

#[repr(C)]
#[derive(Default)]
struct Rlimit {
    cur: u64,
    max: u64,
}

/// The kernel's `struct sigaction` for rt_sigaction (not libc's).
#[repr(C)]
struct KSigaction {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

/// A CPU mask as `sched_getaffinity` fills it: room for 1024 CPUs.
#[derive(Clone, Copy)]
pub struct CpuSet(pub [u64; 16]);

impl CpuSet {
    pub const fn empty() -> Self {
        Self([0; 16])
    }
    pub fn single(cpu: usize) -> Self {
        let mut s = Self::empty();
        if let Some(w) = s.0.get_mut(cpu / 64) {
            *w |= 1 << (cpu % 64);
        }
        s
    }
    pub fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    /// The CPUs in the mask, lowest first.
    pub fn cpus(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.0.len() * 64).filter(|&c| self.0[c / 64] & (1 << (c % 64)) != 0)
    }
}

// ---------------------------------------------------------------------------------------------
// Files and processes.

/// A file descriptor that is closed when dropped.
pub struct Fd(i32);

impl Fd {
    pub fn raw(&self) -> i32 {
        self.0
    }
    /// Gives up ownership: the descriptor is no longer closed on drop.
    pub fn into_raw(self) -> i32 {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        close(self.0);
    }
}

pub fn write(fd: i32, buf: &[u8]) -> Result<usize> {
    // SAFETY: the kernel reads at most buf.len() bytes from buf, which we borrow.
    unsafe { syscall!(Sysno::write, fd, buf.as_ptr(), buf.len()) }
}

pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most buf.len() bytes into buf, which we borrow mutably.
    unsafe { syscall!(Sysno::read, fd, buf.as_mut_ptr(), buf.len()) }
}

/// Writes all of `buf` to stderr, ignoring errors (there is nowhere to report them).
pub fn eprint(buf: &[u8]) {
    write_all(STDERR, buf)
}

/// Writes all of `buf` to stdout, ignoring errors.
pub fn print(buf: &[u8]) {
    write_all(STDOUT, buf)
}

fn write_all(fd: i32, buf: &[u8]) {
    let mut rest = buf;
    while !rest.is_empty() {
        match write(fd, rest) {
            Ok(0) => return,
            Ok(n) => rest = rest.get(n..).unwrap_or(&[]),
            Err(Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}

/// Closes a descriptor. Linux releases the descriptor even when close reports an error, so
/// there is nothing to retry.
pub fn close(fd: i32) {
    // SAFETY: close takes no memory; closing a descriptor we own is always sound.
    let _ = unsafe { syscall!(Sysno::close, fd) };
}

pub fn exit_group(code: i32) -> ! {
    loop {
        // SAFETY: exit_group takes no memory and does not return.
        let _ = unsafe { syscall!(Sysno::exit_group, code) };
    }
}

/// Ends the calling thread only. For threads made by `thread::spawn`, whose stacks and
/// thread-id words are never freed.
pub(crate) fn exit_thread(code: i32) -> ! {
    loop {
        // SAFETY: exit takes no memory and does not return. The thread-id word the kernel clears
        // on exit (CLONE_CHILD_CLEARTID) is leaked by `thread::spawn`, so that write lands in
        // memory that stays valid; the stack is never unmapped either.
        let _ = unsafe { syscall!(Sysno::exit, code) };
    }
}

/// The panic path of the binary: one line on stderr (in a few writes), then exit status 101.
pub fn panic_exit(location: Option<(&str, u32)>) -> ! {
    eprint(b"mote: panic");
    if let Some((file, line)) = location {
        let mut digits = [0u8; 20];
        let n = crate::num::write_u64(&mut digits, u64::from(line));
        for part in [&b" at "[..], file.as_bytes(), b":", digits.get(..n).unwrap_or(&[])] {
            eprint(part);
        }
    }
    eprint(b"\n");
    exit_group(101)
}

/// Raises the soft limit on open files to the hard limit; returns the new limit.
pub fn raise_nofile_limit() -> Result<u64> {
    let mut lim = Rlimit::default();
    // SAFETY: prlimit64 with a null new limit only writes the current one into `lim`.
    unsafe { syscall!(Sysno::prlimit64, 0, RLIMIT_NOFILE, 0usize, &mut lim as *mut Rlimit)? };
    lim.cur = lim.max;
    // SAFETY: prlimit64 reads the new limit from `lim` and writes nothing (old = null).
    unsafe { syscall!(Sysno::prlimit64, 0, RLIMIT_NOFILE, &lim as *const Rlimit, 0usize)? };
    Ok(lim.cur)
}

/// Ignores SIGPIPE for the whole process (sends also pass MSG_NOSIGNAL).
pub fn ignore_sigpipe() -> Result<()> {
    // No SA_RESTORER: an ignored signal never runs a handler, so nothing returns through one.
    let act = KSigaction { handler: SIG_IGN, flags: 0, restorer: 0, mask: 0 };
    // SAFETY: the kernel reads `act` (8-byte signal mask size) and writes no old action.
    unsafe { syscall!(Sysno::rt_sigaction, SIGPIPE, &act as *const KSigaction, 0usize, 8)? };
    Ok(())
}

fn sigmask(signals: &[i32]) -> u64 {
    signals.iter().fold(0u64, |m, &s| m | 1 << (s - 1))
}

/// Blocks the given signals in the calling thread (threads cloned later inherit the mask).
pub fn block_signals(signals: &[i32]) -> Result<()> {
    let set = sigmask(signals);
    // SAFETY: the kernel reads the 8-byte mask `set` and writes no old mask.
    unsafe { syscall!(Sysno::rt_sigprocmask, SIG_BLOCK, &set as *const u64, 0usize, 8)? };
    Ok(())
}

/// Waits up to `timeout_ms` for one of the given (blocked) signals; `Ok(None)` on time-out.
pub fn wait_signal(signals: &[i32], timeout_ms: u64) -> Result<Option<i32>> {
    let set = sigmask(signals);
    let ts = Timespec { sec: (timeout_ms / 1000) as i64, nsec: ((timeout_ms % 1000) * 1_000_000) as i64 };
    // SAFETY: the kernel reads `set` and `ts`; the siginfo pointer is null so it writes nothing.
    let r = unsafe {
        syscall!(Sysno::rt_sigtimedwait, &set as *const u64, 0usize, &ts as *const Timespec, 8)
    };
    match r {
        Ok(sig) => Ok(Some(sig as i32)),
        Err(Errno::EAGAIN) | Err(Errno::EINTR) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A non-blocking event counter: a worker waits on it in its epoll set, the main thread adds to
/// it ([`wake`]) to get the worker's attention at once.
pub fn eventfd() -> Result<Fd> {
    // SAFETY: eventfd2 takes no memory.
    let fd = unsafe { syscall!(Sysno::eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC)? };
    Ok(Fd(fd as i32))
}

/// Adds one to an event counter ([`eventfd`]), making it readable.
pub fn wake(fd: i32) {
    let one = 1u64.to_ne_bytes();
    let _ = write(fd, &one);
}

// ---------------------------------------------------------------------------------------------
// Memory.

/// Maps `len` bytes of zeroed, private, anonymous memory with the given protection. The memory
/// is reserved lazily (MAP_NORESERVE): pages cost RAM only once touched. The mapping is never
/// unmapped by this program, so the returned pointer stays valid for the life of the process.
pub fn mmap_anon(len: usize, prot: usize) -> Result<*mut u8> {
    // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing overlaps no memory
    // in use.
    let p = unsafe {
        syscall!(Sysno::mmap, 0usize, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1i64, 0usize)?
    };
    Ok(p as *mut u8)
}

/// Changes the protection of whole pages.
///
/// # Safety
/// The range must be pages of a mapping the caller owns, and no live reference may point into a
/// range whose access is removed.
pub unsafe fn mprotect(addr: *mut u8, len: usize, prot: usize) -> Result<()> {
    // SAFETY: upheld by the caller.
    unsafe { syscall!(Sysno::mprotect, addr, len, prot)? };
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// CPUs and time.

/// The CPUs the calling thread may run on.
pub fn sched_getaffinity() -> Result<CpuSet> {
    let mut set = CpuSet::empty();
    // SAFETY: the kernel writes at most size_of::<CpuSet>() bytes into `set`.
    unsafe { syscall!(Sysno::sched_getaffinity, 0, size_of::<CpuSet>(), &mut set as *mut CpuSet)? };
    Ok(set)
}

/// Pins the calling thread to the CPUs in `set`.
pub fn sched_setaffinity(set: &CpuSet) -> Result<()> {
    // SAFETY: the kernel reads size_of::<CpuSet>() bytes from `set`.
    unsafe { syscall!(Sysno::sched_setaffinity, 0, size_of::<CpuSet>(), set as *const CpuSet)? };
    Ok(())
}

/// Seconds and nanoseconds of the given clock.
pub fn clock_gettime(clock: usize) -> (u64, u32) {
    let mut ts = Timespec::default();
    // SAFETY: the kernel writes one timespec into `ts`.
    let _ = unsafe { syscall!(Sysno::clock_gettime, clock, &mut ts as *mut Timespec) };
    (ts.sec as u64, ts.nsec as u32)
}

/// A non-blocking timer descriptor on CLOCK_MONOTONIC that becomes readable every `period_ms`.
pub fn timerfd_periodic(period_ms: u64) -> Result<Fd> {
    // SAFETY: timerfd_create takes no memory.
    let fd = unsafe { syscall!(Sysno::timerfd_create, CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)? };
    let fd = Fd(fd as i32);
    let t = Timespec { sec: (period_ms / 1000) as i64, nsec: ((period_ms % 1000) * 1_000_000) as i64 };
    let spec = Itimerspec { interval: t, value: t };
    // SAFETY: the kernel reads `spec` and writes no old value.
    unsafe { syscall!(Sysno::timerfd_settime, fd.raw(), 0, &spec as *const Itimerspec, 0usize)? };
    Ok(fd)
}

// ---------------------------------------------------------------------------------------------
// Sockets.

pub fn socket_tcp4() -> Result<Fd> {
    // SAFETY: socket takes no memory.
    let fd = unsafe { syscall!(Sysno::socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)? };
    Ok(Fd(fd as i32))
}

pub fn setsockopt_int(fd: i32, level: i32, name: i32, value: i32) -> Result<()> {
    // SAFETY: the kernel reads 4 bytes from `value`.
    unsafe { syscall!(Sysno::setsockopt, fd, level, name, &value as *const i32, size_of::<i32>())? };
    Ok(())
}

/// Attaches a classic BPF program to a socket (SO_ATTACH_REUSEPORT_CBPF and friends).
pub fn attach_cbpf(fd: i32, name: i32, prog: &[SockFilter]) -> Result<()> {
    let fprog = SockFprog { len: prog.len() as u16, filter: prog.as_ptr() };
    // SAFETY: the kernel reads `fprog` and the `prog.len()` instructions it points to, which
    // we borrow for the call; it copies the program.
    unsafe {
        syscall!(Sysno::setsockopt, fd, SOL_SOCKET, name, &fprog as *const SockFprog,
                 size_of::<SockFprog>())?
    };
    Ok(())
}

/// Binds to an IPv4 address (`addr` in host order, e.g. 0 for INADDR_ANY) and port.
pub fn bind_v4(fd: i32, addr: u32, port: u16) -> Result<()> {
    let sa = SockaddrIn { family: AF_INET as u16, port: port.to_be(), addr: addr.to_be(), zero: [0; 8] };
    // SAFETY: the kernel reads size_of::<SockaddrIn>() bytes from `sa`.
    unsafe { syscall!(Sysno::bind, fd, &sa as *const SockaddrIn, size_of::<SockaddrIn>())? };
    Ok(())
}

pub fn listen(fd: i32, backlog: i32) -> Result<()> {
    // SAFETY: listen takes no memory.
    unsafe { syscall!(Sysno::listen, fd, backlog)? };
    Ok(())
}

/// Accepts one connection as a non-blocking, close-on-exec descriptor (the caller owns it).
pub fn accept(fd: i32) -> Result<i32> {
    // SAFETY: null address pointers: the kernel writes no peer address.
    let c = unsafe { syscall!(Sysno::accept4, fd, 0usize, 0usize, SOCK_NONBLOCK | SOCK_CLOEXEC)? };
    Ok(c as i32)
}

pub fn recv(fd: i32, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most buf.len() bytes into buf, which we borrow mutably.
    unsafe { syscall!(Sysno::recvfrom, fd, buf.as_mut_ptr(), buf.len(), 0, 0usize, 0usize) }
}

/// Sends without raising SIGPIPE on a peer that has gone.
pub fn send(fd: i32, buf: &[u8]) -> Result<usize> {
    // SAFETY: the kernel reads at most buf.len() bytes from buf, which we borrow.
    unsafe { syscall!(Sysno::sendto, fd, buf.as_ptr(), buf.len(), MSG_NOSIGNAL, 0usize, 0usize) }
}

pub fn shutdown(fd: i32, how: i32) {
    // SAFETY: shutdown takes no memory.
    let _ = unsafe { syscall!(Sysno::shutdown, fd, how) };
}

/// Bytes the socket's send queue still holds (sent but not acknowledged, or not yet sent).
pub fn unsent(fd: i32) -> Result<u32> {
    const SIOCOUTQ: usize = 0x5411;
    let mut n: i32 = 0;
    // SAFETY: SIOCOUTQ writes one int into `n`.
    unsafe { syscall!(Sysno::ioctl, fd, SIOCOUTQ, &mut n as *mut i32)? };
    Ok(n.max(0) as u32)
}

/// The local port a socket is bound to.
pub fn local_port(fd: i32) -> Result<u16> {
    let mut sa = SockaddrIn { family: 0, port: 0, addr: 0, zero: [0; 8] };
    let mut len = size_of::<SockaddrIn>() as u32;
    // SAFETY: the kernel writes at most `len` bytes into `sa` and updates `len`.
    unsafe { syscall!(Sysno::getsockname, fd, &mut sa as *mut SockaddrIn, &mut len as *mut u32)? };
    Ok(u16::from_be(sa.port))
}

// ---------------------------------------------------------------------------------------------
// epoll.

pub fn epoll_create() -> Result<Fd> {
    // SAFETY: epoll_create1 takes no memory.
    let fd = unsafe { syscall!(Sysno::epoll_create1, EPOLL_CLOEXEC)? };
    Ok(Fd(fd as i32))
}

pub fn epoll_ctl(epfd: i32, op: i32, fd: i32, events: u32, data: u64) -> Result<()> {
    let ev = EpollEvent::new(events, data);
    // SAFETY: the kernel reads one epoll_event from `ev`.
    unsafe { syscall!(Sysno::epoll_ctl, epfd, op, fd, &ev as *const EpollEvent)? };
    Ok(())
}

/// Waits for events; returns how many entries of `events` were filled.
pub fn epoll_wait(epfd: i32, events: &mut [EpollEvent], timeout_ms: i32) -> Result<usize> {
    // SAFETY: the kernel writes at most events.len() entries into `events`.
    unsafe { syscall!(Sysno::epoll_wait, epfd, events.as_mut_ptr(), events.len(), timeout_ms) }
}

// ---------------------------------------------------------------------------------------------
// Threads.

/// Waits while the 32-bit word at `addr` holds `expected` (or until woken, or `timeout_ms`).
pub fn futex_wait(addr: &core::sync::atomic::AtomicU32, expected: u32, timeout_ms: u64) {
    let ts = Timespec { sec: (timeout_ms / 1000) as i64, nsec: ((timeout_ms % 1000) * 1_000_000) as i64 };
    // SAFETY: the kernel reads the aligned u32 behind `addr` (an atomic we borrow) and `ts`.
    let _ = unsafe { syscall!(Sysno::futex, addr.as_ptr(), FUTEX_WAIT, expected, &ts as *const Timespec) };
}

// ---------------------------------------------------------------------------------------------
// The initial process stack.

/// The argument and environment vectors the kernel laid on the initial stack.
#[derive(Clone, Copy)]
pub struct InitialStack {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
}

impl InitialStack {
    /// # Safety
    /// `sp` must be the stack pointer the kernel handed to `_start`: argc, then argc pointers to
    /// NUL-terminated strings and a null, then the environment pointers and a null. That memory
    /// is never written or unmapped afterwards, so the strings live as long as the process.
    pub unsafe fn from_raw(sp: *const usize) -> Self {
        // SAFETY: the caller guarantees the layout described above.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *const *const u8;
            let envp = argv.add(argc + 1);
            Self { argc, argv, envp }
        }
    }

    /// The command-line arguments, program name first.
    pub fn args(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        // SAFETY: from_raw's contract: argc valid, non-null pointers.
        (0..self.argc).map(move |i| unsafe { cstr(*self.argv.add(i)) })
    }

    /// The value of environment variable `name`, if set.
    pub fn env(&self, name: &[u8]) -> Option<&'static [u8]> {
        let mut i = 0;
        loop {
            // SAFETY: from_raw's contract: the environment vector ends with a null pointer and we
            // stop there.
            let p = unsafe { *self.envp.add(i) };
            if p.is_null() {
                return None;
            }
            // SAFETY: a non-null entry is a NUL-terminated string living as long as the process.
            let kv = unsafe { cstr(p) };
            if let Some(rest) = kv.strip_prefix(name)
                && let Some(value) = rest.strip_prefix(b"=") {
                    return Some(value);
                }
            i += 1;
        }
    }
}

/// # Safety
/// `p` must point to a NUL-terminated string that lives as long as the process.
unsafe fn cstr(p: *const u8) -> &'static [u8] {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated, so every byte up to the NUL is readable.
    unsafe {
        while *p.add(n) != 0 {
            n += 1;
        }
        core::slice::from_raw_parts(p, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoll_event_is_packed_like_the_kernel() {
        assert_eq!(size_of::<EpollEvent>(), 12);
    }

    #[test]
    fn sockaddr_and_fprog_sizes() {
        assert_eq!(size_of::<SockaddrIn>(), 16);
        assert_eq!(size_of::<SockFprog>(), 16);
        assert_eq!(size_of::<SockFilter>(), 8);
    }

    #[test]
    fn cpuset_lists_cpus() {
        let mut s = CpuSet::single(3);
        s.0[1] |= 1;
        assert_eq!(s.count(), 2);
        assert_eq!(s.cpus().collect::<Vec<_>>(), vec![3, 64]);
    }
}
