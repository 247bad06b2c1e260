//! Errors of a replay.

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the trace failed (the trace error names the line).
    #[error(transparent)]
    Trace(#[from] trace::TraceError),
    /// Policy options no policy can run with (a period of 0).
    #[error(transparent)]
    Policy(#[from] policy::BuildError),
    /// `--frames 0`.
    #[error("the number of frames must be at least 1")]
    NoFrames,
    /// More frames than the simulator keeps tables for.
    #[error("{frames} frames is more than the limit of {limit}")]
    TooManyFrames {
        /// Frames asked for.
        frames: usize,
        /// The limit.
        limit: usize,
    },
    /// A page size that is not a power of two between 1 byte and 2^40 bytes.
    #[error("page size {0} is not a power of two between 1 and 2^40 bytes")]
    PageSize(u64),
    /// A TLB shape that does not divide into sets.
    #[error("a TLB of {entries} entries cannot have {ways} ways (entries must be a multiple of ways, both at least 1)")]
    TlbShape {
        /// Entries asked for.
        entries: usize,
        /// Ways asked for.
        ways: usize,
    },
    /// `--page-size` is not the machine's base page.
    #[error("--page-size {page_size} is not the {machine} machine's {page}-byte page")]
    MachinePageSize {
        /// The page size asked for.
        page_size: u64,
        /// The machine.
        machine: &'static str,
        /// Its base page size.
        page: u64,
    },
    /// The machine cannot replay a reference (its address is outside the address space, the
    /// tables outgrew their memory), or disagrees with the policy's frames.
    #[error("{}{what}", page.map(|p| format!("page {p:#x}: ")).unwrap_or_default())]
    Machine {
        /// The page referenced, if one was.
        page: Option<u64>,
        /// What went wrong.
        what: String,
    },
    /// The record on trace line `line` could not be replayed: a machine refused its reference
    /// (an address outside its address space, tables that outgrew their memory), or it covers
    /// more pages than `--straddle` references.
    #[error("line {line}: {error}")]
    AtLine {
        /// 1-based line number of the record in the (decompressed) trace.
        line: u64,
        /// What was wrong (a [`ReplayError::Machine`], [`ReplayError::Straddle`]); in the message, not the
        /// `source`, so that a chain printer says it once.
        error: Box<ReplayError>,
    },
    /// A record that covers more pages than `--straddle` references for one record (a size
    /// of gigabytes on pages of one byte would be billions of references).
    #[error("the record covers {pages} pages; --straddle references at most {limit} pages a record")]
    Straddle {
        /// Pages the record covers.
        pages: u64,
        /// [`crate::MAX_STRADDLE_PAGES`].
        limit: u64,
    },
    /// The plotting library refused to draw the curve.
    #[error("drawing the curve: {0}")]
    Plot(String),
}
