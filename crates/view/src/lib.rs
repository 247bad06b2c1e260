//! Pictures of the machine: serialisable snapshots of its state, a step-through HTML page of a
//! whole run, and an SVG picture of one moment.
//!
//! Everything here reads the machine through the kernel's inspection API ([`Kernel::processes`],
//! [`Kernel::leaf_tables`], [`Kernel::stats`], the map counts of [`Kernel::mem`]); nothing is
//! parsed back from printed text. Pages and pictures come from templates (`templates/`,
//! compiled in) with the data serialised by `serde`; no markup is assembled by hand.
//!
//! ```
//! use kernel::{Kernel, Perm, Pid, Profile, Vpn};
//! use view::{Recorder, Snapshot, render_page, render_svg};
//!
//! let mut k = Kernel::new(Profile::AJOU)?;
//! let mut rec = Recorder::new("example", &k, None, Vec::new());
//! k.map_page(Pid::new(0), Vpn::new(3), Perm::READ | Perm::WRITE)?;
//! rec.step(b"alloc 3 rw", Vec::new(), &k, None)?;
//! let page = render_page(&rec.finish())?;
//! assert!(page.contains("<script type=\"application/json\" id=\"vmsim-data\">"));
//! let svg = render_svg(&Snapshot::take(&k, None), "after alloc 3 rw")?;
//! assert!(svg.contains("PID 0 (current)"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Kernel::processes`]: kernel::Kernel::processes
//! [`Kernel::leaf_tables`]: kernel::Kernel::leaf_tables
//! [`Kernel::stats`]: kernel::Kernel::stats
//! [`Kernel::mem`]: kernel::Kernel::mem

mod page;
mod record;
mod snapshot;
mod svg;

pub use page::{RenderError, embedded_json, render_page};
pub use record::{
    Delta, MAX_STEPS, OUTPUT_BUDGET, OutputLine, Recorder, Recording, Step, Stream, TooManySteps, Transcript,
    TranscriptWriter,
};
pub use snapshot::{
    EntryView, FrameRange, FrameView, MachineInfo, ProcessView, Snapshot, StatsView, TableView, TlbEntry, flag,
    flag_letters, flags_of,
};
pub use svg::{pid_colour, render_svg};
