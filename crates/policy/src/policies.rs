//! The policies, one a file, each with its exact rule (tie-breaks included) in its module
//! documentation. Costs are per reference, `n` frames.

pub mod aging;
pub mod clock;
pub mod fifo;
pub mod lfu;
pub mod lru;
pub mod mru;
pub mod nru;
pub mod opt;
pub mod random;
pub mod sfifo;
pub mod sieve;
pub mod twoq;
pub mod wsclock;
