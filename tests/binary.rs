//! The shipped binary itself: a small, statically linked ELF with no interpreter and no dynamic
//! section, so it runs in an empty root.

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

#[test]
fn static_elf_without_interpreter_or_dynamic_section() {
    let path = std::env::var("MOTE_BIN").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/mote").into());
    let elf = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}; run `make static` first"));
    assert!(elf.len() < 64 * 1024, "{path} is {} bytes: over the 64 KiB budget", elf.len());
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[4], 2, "not a 64-bit ELF");
    assert_eq!(u16_at(&elf, 16), 2, "e_type is not ET_EXEC");
    assert_eq!(u16_at(&elf, 18), 62, "e_machine is not x86_64");

    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    const PT_LOAD: u32 = 1;
    let (phoff, phentsize, phnum) = (u64_at(&elf, 32) as usize, u16_at(&elf, 54) as usize, u16_at(&elf, 56) as usize);
    let mut loads = 0;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let (kind, flags) = (u32_at(&elf, ph), u32_at(&elf, ph + 4));
        assert_ne!(kind, PT_INTERP, "the binary asks for an interpreter");
        assert_ne!(kind, PT_DYNAMIC, "the binary has a dynamic section");
        if kind == PT_LOAD {
            loads += 1;
            assert!(flags & 3 != 3, "a segment is both writable and executable");
        }
    }
    assert!(loads >= 2, "expected separate code and data segments, found {loads} PT_LOAD");
}
