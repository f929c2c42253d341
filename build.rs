//! Link arguments for the freestanding binary. They go to the binary only
//! (`rustc-link-arg-bins`): the library and its tests link against std as usual.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=linker.ld");
    // Our own `_start` (src/main.rs) is the entry point: no C runtime start files.
    println!("cargo:rustc-link-arg-bins=-nostartfiles");
    // No libc, no libgcc: every symbol comes from our crates (memcpy & co from src/main.rs).
    println!("cargo:rustc-link-arg-bins=-nostdlib");
    // A static executable: no interpreter, no dynamic section.
    println!("cargo:rustc-link-arg-bins=-static");
    // Our layout: one read-execute and one read-write segment, no unwind tables.
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{dir}/linker.ld");
    // Drop every function and datum nothing reaches.
    println!("cargo:rustc-link-arg-bins=-Wl,--gc-sections");
    // No .note.gnu.build-id: nothing reads it and it costs a page-aligned note.
    println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
    // The stack is never executable.
    println!("cargo:rustc-link-arg-bins=-Wl,-z,noexecstack");
}
