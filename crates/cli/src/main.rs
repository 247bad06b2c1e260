//! The simulator shell (being written).
fn main() {}
