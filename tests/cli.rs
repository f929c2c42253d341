//! The command line, the environment fallbacks, and running in an empty root.

mod common;

use common::*;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const EXIT_LIMIT: Duration = Duration::from_secs(5);

#[test]
fn help_exits_zero_and_prints_usage() {
    let (status, out, err) = run_to_exit(&["--help"], &[], EXIT_LIMIT);
    assert_eq!(status.code(), Some(0), "--help exit status; stdout {out:?}; stderr {err:?}");
    let text = format!("{out}{err}");
    assert!(
        text.to_ascii_lowercase().contains("usage") || text.contains("--port"),
        "--help printed no usage: stdout {out:?}; stderr {err:?}"
    );
    assert!(text.contains("--port"), "usage does not mention --port: {text:?}");
    assert!(text.contains("--threads"), "usage does not mention --threads: {text:?}");
}

fn assert_bad_args(args: &[&str]) {
    let (status, out, err) = run_to_exit(args, &[], EXIT_LIMIT);
    assert_eq!(status.code(), Some(2), "`mote {}`: exit status {status}; stdout {out:?}; stderr {err:?}", args.join(" "));
    let trimmed = err.strip_suffix('\n').unwrap_or(&err);
    assert!(
        !trimmed.trim().is_empty() && !trimmed.contains('\n'),
        "`mote {}`: want exactly one line on stderr, got {err:?}",
        args.join(" ")
    );
}

#[test]
fn bad_port_exits_2() {
    assert_bad_args(&["--port", "abc"]);
    assert_bad_args(&["--port", "65536"]);
    assert_bad_args(&["--port", "-1"]);
    assert_bad_args(&["--port"]);
}

#[test]
fn zero_threads_exits_2() {
    assert_bad_args(&["--threads", "0"]);
    assert_bad_args(&["--threads", "x"]);
    assert_bad_args(&["--port", "0", "--threads"]);
}

#[test]
fn unknown_flag_exits_2() {
    assert_bad_args(&["--bogus"]);
    assert_bad_args(&["--port", "0", "--bogus"]);
    assert_bad_args(&["extra"]);
}

#[test]
fn flags_start_a_server() {
    let mut server = Server::start_args(&["--port", "0", "--threads", "1", "--connections", "64"]);
    server.assert_healthy();
    let lines = server.stderr_lines();
    assert_eq!(
        lines.iter().filter(|l| l.contains("listening on 0.0.0.0:")).count(),
        1,
        "stderr: {lines:?}"
    );
}

#[test]
fn env_port_and_threads_are_fallbacks() {
    let mut cmd = Command::new(binary());
    cmd.env("PORT", "0").env("THREADS", "2");
    let mut server = Server::spawn(cmd);
    server.assert_healthy();
}

/// A fresh directory under the temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("mote-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn runs_in_an_empty_root() {
    let dir = TempDir::new("chroot");
    let inside = dir.0.join("mote");
    std::fs::copy(binary(), &inside).expect("copy the binary");
    let entries: Vec<_> = std::fs::read_dir(&dir.0).unwrap().collect();
    assert_eq!(entries.len(), 1, "the root must hold only the binary");

    let root = std::ffi::CString::new(dir.0.as_os_str().as_encoded_bytes()).unwrap();
    let mut cmd = Command::new("/mote");
    cmd.args(["--port", "0", "--threads", "2"]).env_clear();
    // SAFETY: chroot and chdir are async-signal-safe; `root` outlives the spawn.
    unsafe {
        cmd.pre_exec(move || {
            if libc::chroot(root.as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::chdir(c"/".as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut server = match Server::try_spawn(cmd) {
        Ok(s) => s,
        Err(StartError::Spawn(e)) if e.kind() == std::io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(libc::EPERM) => {
            eprintln!("skipping runs_in_an_empty_root: chroot not permitted: {e}");
            return;
        }
        Err(e) => panic!("starting mote in an empty root failed: {e}"),
    };
    let mut c = server.connect();
    c.send(&get_request("/baseline11?a=13&b=42"));
    c.read_response().assert_ok_body("55");
    c.send(&post_chunked_request("/baseline11?a=1", &[b"2", b"0"]));
    c.read_response().assert_ok_body("21");
    server.assert_running();
}
