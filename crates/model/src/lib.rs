//! A naive model of the whole simulated machine, and a harness that runs the kernel and the
//! model in lock step and reports the first difference.
//!
//! The model ([`Model`]) restates `spec/mtl458.md` and `spec/ajou-2021.md` over plain
//! collections: a `BTreeSet` of free frames, a `BTreeMap` of pages per process, reference
//! counts and bytes per frame. [`run`] feeds the same [`Op`]s to a [`kernel::Kernel`] and to
//! the model and compares outcomes, invariants, statistics and bytes after every step.
//!
//! ```
//! use model::{Op, PageSel, PidSel, run};
//!
//! let ops = [
//!     Op::MapPage { pid: PidSel::Current, vpn: PageSel::Vpn(2), perm: 3 },
//!     Op::Switch { pid: PidSel::Raw(1) },
//!     Op::Touch { pid: PidSel::Current, vpn: PageSel::Mapped(0), write: true },
//! ];
//! let report = run(kernel::Profile::AJOU, &ops)?;
//! assert_eq!((report.forks, report.cow_copies), (1, 1));
//! # Ok::<(), model::Mismatch>(())
//! ```

mod harness;
mod model;
mod op;
mod profiles;
pub mod replacement;

pub use harness::{
    DemandSetup, Mismatch, Outcome, Refusal, RefusalClass, RunOptions, RunReport, Value, run, run_on, run_pair,
    run_with,
};
pub use model::{AbsentPage, FrameBytes, Model, PageModel, ProcModel};
pub use op::{Action, AddrSel, DATA_PERIOD, DataSource, Op, PageSel, PidSel, Policy, create_data, data_byte};
pub use profiles::{ajou_16, mtl458_64, small_ajou, small_mtl458};
