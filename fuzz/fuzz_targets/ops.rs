//! Fuzz target: kernel operation sequences against the naive model (see `vmsim_fuzz::ops`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmsim_fuzz::ops(data));
