#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| warrants_fuzz::harness::constraint_set(data));
