//! No panic is reachable on the request path of the release binary: every function in the
//! unstripped build that calls into the panic machinery must be on the list below, with the
//! reason it cannot run while serving.

use std::collections::BTreeSet;
use std::process::Command;

/// Functions allowed to call panic paths, and why they cannot while serving.
const ALLOWED: &[(&str, &str)] = &[
    // The allocator's own consistency checks (linked_list_allocator); mote allocates only at
    // start-up, before the first connection.
    ("<mote::alloc::Allocator as core::alloc::global::GlobalAlloc>::alloc", "start-up only"),
    ("<mote::alloc::Allocator as core::alloc::global::GlobalAlloc>::dealloc", "start-up only"),
    // The panic machinery itself, and the handler that reports a panic and exits.
    ("__rustc::rust_begin_unwind", "the panic handler"),
    ("__rustc::__rdl_alloc_error_handler", "allocation failure, start-up only"),
    ("alloc::raw_vec::capacity_overflow", "Vec growth, start-up only"),
    ("alloc::alloc::handle_alloc_error", "allocation failure, start-up only"),
];

/// Functions of the allocator crate, reached only through the allocator above.
const ALLOCATOR_CRATE: &str = "linked_list_allocator::";

fn is_panic_symbol(target: &str) -> bool {
    target.contains("core::panicking::")
        || target.contains("panic_bounds_check")
        || target.ends_with("_fail>")
        || target.contains("unwrap_failed")
        || target.contains("expect_failed")
        || target.contains("slice_index_fail")
        || target.contains("len_mismatch_fail")
}

#[test]
fn no_panic_call_sites_outside_start_up() {
    let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/target/x86_64-unknown-linux-gnu/release/mote");
    assert!(std::path::Path::new(bin).exists(), "{bin} is missing: run `make static` first");
    let out = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn", "-C", bin])
        .output()
        .expect("objdump runs (binutils)");
    assert!(out.status.success(), "objdump failed");
    let text = String::from_utf8_lossy(&out.stdout);

    let mut function = String::new();
    let mut callers = BTreeSet::new();
    let mut functions = 0;
    for line in text.lines() {
        if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")).map(|(_, n)| n) {
            function = name.to_string();
            functions += 1;
            continue;
        }
        let Some(call) = line.split_once("call").map(|(_, c)| c.trim()) else { continue };
        if is_panic_symbol(call) && !is_panic_symbol(&format!("<{function}>")) && !function.starts_with("core::") {
            callers.insert(function.clone());
        }
    }
    assert!(functions > 20, "the disassembly looks empty: {functions} functions");
    let unexpected: Vec<_> = callers
        .iter()
        .filter(|f| !ALLOWED.iter().any(|(a, _)| a == f))
        // The allocator crate's internals (which of them stand as functions of their own depends
        // on inlining) are reached only through Allocator::alloc and ::dealloc: start-up only.
        .filter(|f| !f.starts_with(ALLOCATOR_CRATE))
        .collect();
    assert!(
        unexpected.is_empty(),
        "functions that can panic outside start-up: {unexpected:#?}\n\
         (find the site with a line-tables build and addr2line -i; replace indexing by checked access)"
    );
}
