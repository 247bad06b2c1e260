//! `--frames`, `--policy` and the other demand-paging options: a general machine with fewer
//! frames than pages, a swap area and a replacement policy (see docs/demand-paging.md).

use std::io::{self, BufRead, Write};
use std::path::Path;

use anyhow::{Context, bail};
use clap::Parser;
use kernel::DemandConfig;
use policy::{Count, Options, Parameter, Spec};

use crate::{Shell, script_dir};

/// The demand-paging options of the shell.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DemandArgs {
    /// Demand paging on a general machine (--machine or --levels): at most N user frames hold
    /// pages; a replacement policy evicts to a swap area when none is free.
    #[arg(long, value_name = "N")]
    pub frames: Option<u64>,

    /// The replacement policy (fifo, lru, clock, second, nru, aging, wsclock, lfu, mru,
    /// random, sfifo:P, sieve, 2q). opt is refused: a running machine does not know its
    /// future references.
    #[arg(long, value_name = "POLICY", requires = "frames")]
    pub policy: Option<String>,

    /// Slots of 4 KiB in the swap area (default 1024).
    #[arg(long, value_name = "SLOTS", requires = "frames")]
    pub swap: Option<u64>,

    /// allocate_pages maps nothing: a page gets its frame at its first touch (a minor fault).
    #[arg(long, requires = "frames")]
    pub lazy: bool,

    /// Replacement scope over several processes: global (one policy over every frame, the
    /// default) or local (equal shares; a process at its share replaces its own pages with
    /// its own policy).
    #[arg(long, value_name = "global|local", requires = "frames")]
    pub scope: Option<String>,

    /// nru, aging: references between two clock ticks (default 4). Refused with another
    /// policy, as --tau and --seed are.
    #[arg(long, value_name = "REFS", requires = "frames", allow_negative_numbers = true)]
    pub period: Option<u64>,

    /// wsclock: the working-set window in references (default 4).
    #[arg(long, value_name = "REFS", requires = "frames", allow_negative_numbers = true)]
    pub tau: Option<u64>,

    /// random: the seed of its generator (default 0).
    #[arg(long, value_name = "SEED", requires = "frames", allow_negative_numbers = true)]
    pub seed: Option<u64>,

    /// opt's tie rule (lru or frame). Only opt reads it, and the shell refuses opt, so it is
    /// always refused, with that reason; parsed (not left to clap) so that the message says
    /// why, and hidden from `--help` as an option that cannot be used here.
    #[arg(long, value_name = "lru|frame", requires = "frames", hide = true)]
    pub opt_ties: Option<String>,
}

/// [`DemandArgs`] alone, to read them from a scenario's `# demand:` header.
#[derive(Debug, Parser)]
#[command(no_binary_name = true)]
struct Words {
    #[command(flatten)]
    demand: DemandArgs,
}

/// The default swap area, in slots (4 MiB).
pub const DEFAULT_SWAP_SLOTS: u32 = 1024;

impl DemandArgs {
    /// The options as a scenario header writes them: `--frames 3 --policy fifo --lazy`.
    ///
    /// # Errors
    /// Words clap does not accept, in one line.
    pub fn from_words(words: &str) -> anyhow::Result<DemandArgs> {
        let parsed = Words::try_parse_from(words.split_whitespace()).map_err(|e| {
            // clap's message up to its first blank line (before `Usage:`), on one line.
            let text = e.to_string();
            let said: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            anyhow::anyhow!("{}", said.join(" ").trim_start_matches("error: "))
        })?;
        Ok(parsed.demand)
    }

    /// Turns demand paging on in `shell`'s machine if `--frames` was given.
    ///
    /// # Errors
    /// A course profile, an unknown or refused policy (opt), a policy option the policy does
    /// not read (`--period` with fifo), an unknown scope, bad numbers: one line saying which.
    pub fn apply(&self, shell: &mut Shell) -> anyhow::Result<()> {
        let Some(frames) = self.frames else { return Ok(()) };
        let spec: Spec = self.policy.as_deref().unwrap_or("lru").parse().context("--policy")?;
        if spec == Spec::Opt {
            bail!(
                "--policy opt: opt needs the whole reference string in advance, which a running machine does not have (use `vmsim replace`)"
            );
        }
        // The shared check would say `only opt takes a tie rule, not fifo`, as if opt could be
        // chosen here; the shell refuses opt, so the reason is that.
        if self.opt_ties.is_some() {
            bail!("--opt-ties: only opt takes a tie rule, and a running machine cannot run opt (use `vmsim replace`)");
        }
        crate::check_policy_options(
            &[spec],
            [
                (Parameter::Period, self.period.is_some()),
                (Parameter::Tau, self.tau.is_some()),
                (Parameter::Seed, self.seed.is_some()),
                (Parameter::OptTies, self.opt_ties.is_some()),
            ],
        )?;
        let local = match self.scope.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("global") => false,
            Some("local") => true,
            Some(other) => bail!("--scope {other}: expected global or local"),
        };
        let mut options = Options::default();
        if let Some(p) = self.period {
            options.period = p;
        }
        if let Some(t) = self.tau {
            options.tau = t;
        }
        if let Some(s) = self.seed {
            options.seed = s;
        }
        // Read as u64 so that a count past u32 meets the machine's own bound below, said with
        // the number as given, not clap's type range (`not in 0..=4294967295` suggested 0).
        let swap = self.swap.unwrap_or(u64::from(DEFAULT_SWAP_SLOTS));
        let (frames32, swap32) = (u32::try_from(frames).unwrap_or(u32::MAX), u32::try_from(swap).unwrap_or(u32::MAX));
        let config = DemandConfig { frames: frames32, swap_slots: swap32, lazy: self.lazy };
        let k = shell.kernel_mut();
        let enabled = if local {
            k.enable_local_demand_paging(config, spec, &options)
        } else {
            k.enable_demand_paging(config, spec, &options)
        };
        enabled.map_err(|e| {
            match e {
                kernel::DemandError::Frames { available, .. } if u64::from(frames32) != frames => {
                    return anyhow::anyhow!("--frames: demand paging needs 1 to {available} frames, not {frames}");
                }
                kernel::DemandError::Slots { max, .. } if u64::from(swap32) != swap => {
                    return anyhow::anyhow!("--swap: a swap area on this machine has 1 to {max} slots, not {swap}");
                }
                _ => {}
            }
            // Name the option the kernel refused.
            let flag = match e {
                kernel::DemandError::Slots { .. } => "--swap",
                kernel::DemandError::Policy(policy::BuildError::ZeroPeriod) => "--period",
                kernel::DemandError::NeedsFuture | kernel::DemandError::Policy(_) => "--policy",
                _ => "--frames",
            };
            anyhow::Error::new(e).context(flag)
        })?;
        Ok(())
    }
}

/// Runs `input` as a script on the general machine `machine` with the demand-paging options
/// `words` (a scenario's `# demand:` header).
///
/// # Errors
/// An unknown machine, bad options, or errors reading `input` or writing `out` or `err`.
pub fn run_script<R: BufRead, O: Write, E: Write>(
    machine: &str,
    words: &str,
    input: R,
    script_path: Option<&Path>,
    out: &mut O,
    err: &mut E,
) -> io::Result<i32> {
    let args = crate::machine::MachineArgs { machine: Some(machine.to_owned()), ..Default::default() };
    let profile = args.profile().map_err(|e| io::Error::other(format!("{e:#}")))?.unwrap_or(kernel::Profile::AJOU);
    let mut shell = Shell::with_profile(profile, false, script_path.map(script_dir)).map_err(io::Error::other)?;
    let demand = DemandArgs::from_words(words).map_err(|e| io::Error::other(format!("{e:#}")))?;
    demand.apply(&mut shell).map_err(|e| io::Error::other(format!("{e:#}")))?;
    shell.run_script(input, script_path, out, err)
}

impl Shell {
    /// `stats`' demand-paging lines, when demand paging is on: the machine's counts, then one
    /// line per live process.
    pub(crate) fn print_paging_stats<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let k = self.kernel();
        let (Some(c), Some(s)) = (k.demand_config(), k.paging_stats()) else { return Ok(()) };
        let lazy = if c.lazy { ", lazy" } else { "" };
        let local = if k.demand_scope() == Some(kernel::Scope::Local) { ", local" } else { "" };
        writeln!(
            w,
            "demand paging: {}, {} of {} in use{lazy}{local}",
            Count(c.frames, "frame"),
            k.swap_slots_used(),
            Count(c.swap_slots, "swap slot")
        )?;
        writeln!(w, "paging: {s}")?;
        for p in k.processes() {
            if let Ok(s) = k.process_paging_stats(p.pid()) {
                writeln!(w, "pid {}: {s}", p.pid())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(machine: &str) -> Shell {
        let args = crate::machine::MachineArgs { machine: Some(machine.into()), ..Default::default() };
        Shell::with_profile(args.profile().unwrap().unwrap(), false, None).unwrap()
    }

    #[track_caller]
    fn refused(machine: &str, words: &str, reason: &str) {
        let mut sh = shell(machine);
        let e = DemandArgs::from_words(words).and_then(|d| d.apply(&mut sh)).unwrap_err();
        assert!(format!("{e:#}").contains(reason), "{words}: {e:#}");
        assert_eq!(sh.kernel().demand_config(), None);
    }

    #[test]
    fn options_are_refused_with_their_reason() {
        refused("x86-64", "--frames 3 --policy opt", "whole reference string");
        refused("x86-64", "--frames 3 --scope nearby", "--scope nearby: expected global or local");
        refused("x86-64", "--frames 3 --scope local --policy opt", "whole reference string");
        refused("x86-64", "--frames 3 --policy nope", "--policy");
        refused("x86-64", "--frames 0", "--frames: demand paging needs 1 to");
        refused("x86-64", "--frames 3 --swap 0", "--swap: a swap area on this machine has 1 to");
        // Past u32: the machine's bound and the number as given, not the type's range.
        refused("x86-64", "--frames 99999999999", "--frames: demand paging needs 1 to 49152 frames, not 99999999999");
        refused(
            "x86-64",
            "--frames 3 --swap 4294967296",
            "--swap: a swap area on this machine has 1 to 1048576 slots, not 4294967296",
        );
        refused("ajou", "--frames 3", "general machines only");
        refused("x86-64", "--lazy", "--frames");
        // An option the policy does not read would silently do nothing.
        refused(
            "x86-64",
            "--frames 3 --policy fifo --period 5",
            "--period: only nru and aging take a tick period, not fifo",
        );
        refused("x86-64", "--frames 3 --period 5", "--period: only nru and aging take a tick period, not lru");
        refused("x86-64", "--frames 3 --policy nru --tau 5", "--tau: only wsclock takes a working-set window, not nru");
        refused("x86-64", "--frames 3 --policy aging --seed 5", "--seed: only random takes a seed, not aging");
        refused(
            "x86-64",
            "--frames 3 --policy lru --opt-ties frame",
            "--opt-ties: only opt takes a tie rule, and a running machine cannot run opt (use `vmsim replace`)",
        );
        // A negative number is the option's bad value, not a stray argument (clap said
        // `unexpected argument '-1' found` and suggested `-- -1`).
        refused("x86-64", "--frames 3 --policy random --seed -1", "invalid value '-1' for '--seed <SEED>'");
        refused("x86-64", "--frames 3 --policy nru --period -4", "invalid value '-4' for '--period <REFS>'");
        refused("x86-64", "--frames 3 --policy wsclock --tau -4", "invalid value '-4' for '--tau <REFS>'");
    }

    #[test]
    fn options_reach_the_kernel() {
        let mut sh = shell("sv39");
        DemandArgs::from_words("--frames 4 --policy Clock --lazy --swap 32 --scope global")
            .and_then(|d| d.apply(&mut sh))
            .unwrap();
        assert_eq!(sh.kernel().demand_config(), Some(DemandConfig { frames: 4, swap_slots: 32, lazy: true }));
        assert_eq!(sh.kernel().demand_scope(), Some(kernel::Scope::Global));
        let mut sh = shell("sv39");
        DemandArgs::from_words("--frames 4 --scope LOCAL").and_then(|d| d.apply(&mut sh)).unwrap();
        assert_eq!(sh.kernel().demand_scope(), Some(kernel::Scope::Local));
        for words in [
            "--policy nru --period 5",
            "--policy AGING --period 1",
            "--policy wsclock --tau 9",
            "--policy random --seed 3",
        ] {
            let mut sh = shell("sv39");
            DemandArgs::from_words(&format!("--frames 4 {words}")).and_then(|d| d.apply(&mut sh)).unwrap();
            assert!(sh.kernel().demand_config().is_some(), "{words}");
        }
        let mut sh = shell("sv39");
        DemandArgs::from_words("").and_then(|d| d.apply(&mut sh)).unwrap();
        assert_eq!(sh.kernel().demand_config(), None);
    }
}
