//! Fuzz target: arbitrary bytes as a shell script, for both machines (see `vmsim_fuzz::shell`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmsim_fuzz::shell(data));
