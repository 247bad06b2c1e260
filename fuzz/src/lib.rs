//! The bodies of the fuzz targets, as plain functions that panic on a finding (libFuzzer
//! reports the panic as a crash and saves the input).
//!
//! - [`shell`]: arbitrary bytes as a script for either machine's shell; it must not panic, the
//!   kernel's `check()` must hold after every line, and running the same bytes through the
//!   buffered script reader must print exactly what line-by-line execution printed.
//! - [`ops`]: an `arbitrary`-derived sequence of kernel operations run in lock step with the
//!   naive model (`model::run_with`): every outcome, byte read and refusal must agree, and
//!   `check()` must hold after every step; on the demand-paged machines
//!   ([`demand_machines`]) also every swap slot, absent entry, policy hand and paging count.

use std::cell::RefCell;
use std::io::BufReader;

use arbitrary::{Arbitrary, Unstructured};
use cli::{Flow, Machine, Shell};
use kernel::{ForkPolicy, Kernel, Profile};
use model::{DemandSetup, Op, RunOptions};

/// The longest op sequence [`ops`] runs: long enough for fork chains and exhaustion on the
/// small machines, short enough to keep executions fast.
pub const MAX_OPS: usize = 256;

/// How a [`shell`] input's first byte configures the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShellConfig {
    /// Which machine and command language.
    pub machine: Machine,
    /// Interactive behaviour (error lines without line numbers, `show` of invalid entries).
    pub interactive: bool,
    /// `ajou`'s `-t` TLB mode.
    pub tlb: bool,
    /// A fork policy set before the first line, as `--fork-policy` does.
    pub fork_policy: Option<ForkPolicy>,
}

impl ShellConfig {
    /// The configuration byte `b` stands for: bit 0 the machine, bit 1 interactive, bit 2 TLB
    /// (ajou only), bits 3-4 the fork policy (none, eager, copy-on-write, none).
    pub fn from_byte(b: u8) -> Self {
        let machine = if b & 1 == 0 { Machine::Ajou } else { Machine::Mtl458 };
        let fork_policy = match (b >> 3) & 3 {
            1 => Some(ForkPolicy::Eager),
            2 => Some(ForkPolicy::CopyOnWrite),
            _ => None,
        };
        ShellConfig { machine, interactive: b & 2 != 0, tlb: b & 4 != 0 && machine == Machine::Ajou, fork_policy }
    }

    /// Runs `f` on a shell of this configuration as [`Shell::new`] builds it. Building the
    /// 200 MiB `mtl458` machine for every input held the target to ~30 executions a second, so
    /// one shell per (machine, interactive) pair is kept per thread and [`Shell::reset`] before
    /// each use (the reset is tested to be indistinguishable from a fresh machine).
    fn with_shell<R>(self, f: impl FnOnce(&mut Shell) -> R) -> R {
        thread_local! {
            static SHELLS: RefCell<Vec<(Machine, bool, Shell)>> = const { RefCell::new(Vec::new()) };
        }
        SHELLS.with_borrow_mut(|shells| {
            let i = match shells.iter().position(|(m, i, _)| *m == self.machine && *i == self.interactive) {
                Some(i) => {
                    shells[i].2.reset();
                    i
                }
                None => {
                    // No base directory of its own: relative `create_ps` files resolve against
                    // the fuzzer's working directory, where a random name almost never exists.
                    let sh = Shell::new(self.machine, self.interactive, None).expect("both machines build");
                    shells.push((self.machine, self.interactive, sh));
                    shells.len() - 1
                }
            };
            let sh = &mut shells[i].2;
            self.configure(sh);
            f(sh)
        })
    }

    fn configure(self, sh: &mut Shell) {
        if self.tlb {
            sh.enable_tlb().expect("ajou has a TLB mode");
        }
        if let Some(p) = self.fork_policy {
            sh.set_fork_policy(p);
        }
    }
}

/// The shell target. Panics if a line panics the shell, breaks a kernel invariant, or if the
/// buffered reader and line-by-line execution disagree.
pub fn shell(data: &[u8]) {
    let Some((&config, script)) = data.split_first() else { return };
    let config = ShellConfig::from_byte(config);

    // Line by line, as `Shell::run_script` splits them: each line keeps its newline; a last
    // line without one still runs.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = config.with_shell(|sh| {
        let mut rest = script;
        let mut line_no = 0;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
            let (line, tail) = rest.split_at(end);
            rest = tail;
            line_no += 1;
            let flow = sh.execute(line, line_no, &mut out, &mut err).expect("writing to a Vec cannot fail");
            if let Err(e) = sh.kernel().check() {
                panic!("{config:?}: after line {line_no} {:?}: Kernel::check: {e}", String::from_utf8_lossy(line));
            }
            if flow == Flow::Stop {
                break;
            }
        }
        sh.status()
    });

    // The same bytes through the buffered reader, with a buffer small enough that lines
    // straddle its refills: the output must be the same, byte for byte.
    let (mut out2, mut err2) = (Vec::new(), Vec::new());
    config.with_shell(|sh| {
        let reader = BufReader::with_capacity(7, script);
        let status2 = sh.run_script(reader, None, &mut out2, &mut err2).expect("reading a slice cannot fail");
        assert_eq!(status, status2, "{config:?}: exit status line by line vs buffered");
        assert!(out == out2, "{config:?}: standard output differs between line-by-line and buffered runs");
        assert!(err == err2, "{config:?}: standard error differs between line-by-line and buffered runs");
        if let Err(e) = sh.kernel().check() {
            panic!("{config:?}: after the buffered run: Kernel::check: {e}");
        }
    });
}

/// The machines the [`ops`] target runs on, chosen by an input's first byte (modulo their
/// number): small machines where frames, table frames and process slots run out within a few
/// ops (mtl458-like in both fork policies), the real `ajou` machine, and small general
/// machines ([`general_profiles`]). The real `mtl458`
/// machine is left to the soak, the isolation runs and the lock-step property tests: its
/// `check()` walks 51,200 frames, which after every op would make executions 100 times slower.
pub fn ops_profiles() -> Vec<Profile> {
    vec![
        model::ajou_16(),
        model::mtl458_64(),
        Profile { fork_policy: ForkPolicy::CopyOnWrite, ..model::mtl458_64() },
        model::small_ajou(6, 4),
        model::small_mtl458(10, 3, 3),
        Profile { fork_policy: ForkPolicy::CopyOnWrite, ..model::small_mtl458(10, 3, 3) },
        Profile::AJOU,
    ]
    .into_iter()
    .chain(general_profiles())
    .collect()
}

/// Small general machines for the [`ops`] target, each a few frames so that table frames run
/// out: `x86-32` (eager fork) and `sv32` (copy-on-write) on 96 KiB, and two custom geometries
/// in `machines`' default layouts: 3 levels of 3, 2 and 4 bits with 2-byte entries on 128 KiB,
/// and 5 levels of 2, 1, 3, 2, 2 bits with 1-byte entries (every page readable and
/// executable) on the 64 KiB its 4-bit frame field names, copy-on-write.
pub fn general_profiles() -> Vec<Profile> {
    use kernel::{Format, Preset};
    let build = |name: &'static str, format: kernel::MachineFormat, frames: u64, policy: ForkPolicy| {
        let format = Format::general(format).expect("the fuzz formats have software bits");
        let p = Profile::machine(name, format, frames * 4096).expect("the fuzz machines build");
        Profile { fork_policy: policy, ..p }
    };
    let custom = |bits: &[u8], width: u8| machines::custom_format(bits, 4096, width).expect("a valid geometry");
    vec![
        build("x86-32-small", Preset::X86_32.format(), 24, ForkPolicy::Eager),
        build("sv32-small", Preset::Sv32.format(), 24, ForkPolicy::CopyOnWrite),
        build("3-level-2-byte", custom(&[3, 2, 4], 2), 32, ForkPolicy::Eager),
        build("5-level-1-byte", custom(&[2, 1, 3, 2, 2], 1), 16, ForkPolicy::CopyOnWrite),
    ]
}

/// Demand-paged machines for the [`ops`] target: `x86-32` and `sv32` on 96 KiB and a small
/// 3-level machine of 2-byte entries on 128 KiB, with 1 to 4 frames for pages and 2 to 12 swap
/// slots, lazy or not, so that evictions, major faults,
/// shared swap slots and a full swap area come within a few ops; one machine per policy (every
/// policy but `opt`, which needs the whole reference string in advance), a third of them with
/// local replacement, each against the model's own restatement of it.
pub fn demand_machines() -> Vec<(Profile, DemandSetup)> {
    use kernel::{DemandConfig, Format, Preset};
    use policy::Spec;
    let machine = |name: &'static str, format: kernel::MachineFormat, frames: u64, policy: ForkPolicy| {
        let format = Format::general(format).expect("the fuzz formats have software bits");
        let p = Profile::machine(name, format, frames * 4096).expect("the fuzz machines build");
        Profile { fork_policy: policy, ..p }
    };
    // The 32-bit presets' 2^20 pages make a whole-space stack cost milliseconds on both sides;
    // the small geometry (3 levels of 3, 2 and 4 bits, 2-byte entries with accessed and dirty
    // bits) keeps most executions short.
    let small = || machines::custom_format(&[3, 2, 4], 4096, 2).expect("a valid geometry");
    let options = policy::Options { period: 3, tau: 2, seed: 7, ..policy::Options::default() };
    // Every policy but opt, which needs the future (the order and sfifo's share are Spec::ALL's).
    let specs = Spec::ALL.into_iter().filter(|&s| s != Spec::Opt);
    specs
        .enumerate()
        .map(|(i, spec)| {
            let profile = match i % 4 {
                0 => machine("x86-32-demand", Preset::X86_32.format(), 24, ForkPolicy::CopyOnWrite),
                2 => machine("sv32-demand", Preset::Sv32.format(), 24, ForkPolicy::Eager),
                _ => machine(
                    "3-level-demand",
                    small(),
                    32,
                    if i % 4 == 1 { ForkPolicy::Eager } else { ForkPolicy::CopyOnWrite },
                ),
            };
            let config =
                DemandConfig { frames: 1 + (i as u32 % 4), swap_slots: 2 + (i as u32 * 5) % 11, lazy: i % 3 != 2 };
            let scope = if i % 3 == 1 { kernel::Scope::Local } else { kernel::Scope::Global };
            (profile, DemandSetup { config, spec, options, scope })
        })
        .collect()
}

/// Every machine of the [`ops`] target: [`ops_profiles`] as they are, then
/// [`demand_machines`].
pub fn ops_machines() -> Vec<(Profile, Option<DemandSetup>)> {
    ops_profiles()
        .into_iter()
        .map(|p| (p, None))
        .chain(demand_machines().into_iter().map(|(p, d)| (p, Some(d))))
        .collect()
}

/// Decodes an [`ops`] input: the machine (its first byte, modulo [`ops_machines`]' number),
/// then up to [`MAX_OPS`] ops.
pub fn decode_ops(data: &[u8]) -> Option<(Profile, Option<DemandSetup>, Vec<Op>)> {
    let (&which, rest) = data.split_first()?;
    let machines = ops_machines();
    let (profile, demand) = machines[usize::from(which) % machines.len()].clone();
    let mut ops: Vec<Op> = Vec::arbitrary_take_rest(Unstructured::new(rest)).ok()?;
    ops.truncate(MAX_OPS);
    Some((profile, demand, ops))
}

/// The kernel-against-model target. Panics with the model's report on the first difference.
///
/// One machine per profile is kept per thread and [`Kernel::reset`] before each input, rather
/// than built anew (the reset is tested to be indistinguishable from a fresh machine).
pub fn ops(data: &[u8]) {
    thread_local! {
        static KERNELS: RefCell<Vec<Option<Kernel>>> = const { RefCell::new(Vec::new()) };
    }
    let Some((&which, _)) = data.split_first() else { return };
    let Some((profile, demand, ops)) = decode_ops(data) else { return };
    let index = usize::from(which) % ops_machines().len();
    KERNELS.with_borrow_mut(|kernels| {
        if kernels.len() <= index {
            kernels.resize_with(index + 1, || None);
        }
        let k = match &mut kernels[index] {
            Some(k) => {
                k.reset();
                k
            }
            slot @ None => slot.insert(Kernel::new(profile.clone()).expect("the fuzz profiles build")),
        };
        // A reset machine has demand paging off; the run turns it on again.
        if let Err(m) = model::run_on(k, &ops, RunOptions { full_compare_every: 16, demand }) {
            panic!("{} ({} ops): {m}", profile.name, ops.len());
        }
    });
}
