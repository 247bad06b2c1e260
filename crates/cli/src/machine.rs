//! `--machine` and the custom-geometry options: which machine the shell runs.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use kernel::{Preset, Profile};
use machines::{Spec, build, custom_format, from_toml, parse_size};

use crate::{Machine, Shell, script_dir};

/// The options that choose a general machine instead of `--profile`'s course machine.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MachineArgs {
    /// A machine by name, in any case (x86-32, x86-64, x86-64-5level, sv32, sv39, sv48, sv57,
    /// aarch64-4k, and the course machines ajou, mtl458) or a TOML machine file, its path as
    /// given (see docs/machines.md).
    /// Every machine but ajou runs the mtl458 command language, with `walk PID ADDR`.
    #[arg(long, value_name = "NAME|FILE.toml", conflicts_with_all = ["levels", "profile"])]
    pub machine: Option<String>,

    /// A custom machine's index bits per level, root first (1 to 5 levels).
    #[arg(long, value_name = "BITS,...", value_delimiter = ',', conflicts_with = "profile")]
    pub levels: Option<Vec<u8>>,

    /// A custom machine's page size (the kernel runs 4 KiB pages).
    #[arg(long, value_name = "SIZE", requires = "levels", default_value = "4K")]
    pub page_size: Option<String>,

    /// A custom machine's entry width in bytes: 1, 2, 4 or 8.
    #[arg(long, value_name = "BYTES", requires = "levels", default_value = "8")]
    pub entry_size: Option<u8>,

    /// A general machine's memory (default 256M, or the machine file's).
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
}

impl MachineArgs {
    /// The profile these options choose, or `None` for `--profile`'s machine.
    ///
    /// # Errors
    /// A bad name, file, size or geometry, said in one line.
    pub fn profile(&self) -> anyhow::Result<Option<Profile>> {
        let memory = self.memory.as_deref().map(parse_size).transpose().context("--memory")?;
        if let Some(levels) = &self.levels {
            let page = parse_size(self.page_size.as_deref().unwrap_or("4K")).context("--page-size")?;
            let format = custom_format(levels, page, self.entry_size.unwrap_or(8)).context("--levels")?;
            return Ok(Some(build(&Spec::Format { name: "custom", format }, memory)?));
        }
        let Some(name) = &self.machine else {
            if memory.is_some() {
                anyhow::bail!("--memory is for the machines of --machine or --levels");
            }
            return Ok(None);
        };
        // A file keeps its name as given; only its extension is read in any case (`M.TOML`).
        if name.to_ascii_lowercase().ends_with(".toml") || name.contains('/') {
            let path = PathBuf::from(name);
            // A machine file is a few lines; a bound keeps `/dev/zero` from exhausting memory.
            let cannot = |why: String| anyhow::anyhow!("cannot read machine file {name}: {why}");
            let file = std::fs::File::open(&path).map_err(|e| cannot(crate::io_why(&e)))?;
            let text = crate::read_text_capped(file, 1 << 20).map_err(cannot)?;
            let (file_name, format, file_memory) = from_toml(&text).with_context(|| name.clone())?;
            // Profiles name their machine for the life of the program: one name per run.
            let leaked: &'static str = Box::leak(file_name.into_boxed_str());
            return Ok(Some(build(&Spec::Format { name: leaked, format }, memory.or(file_memory))?));
        }
        let preset: Preset = name.parse()?;
        Ok(Some(build(&Spec::Preset(preset), memory)?))
    }
}

/// The command language of a profile, for messages and `--tlb`.
pub fn language(profile: &Profile) -> Machine {
    if *profile == Profile::AJOU { Machine::Ajou } else { Machine::Mtl458 }
}

/// Runs `input` as a script on the machine `machine` names (a preset or a machine file, as
/// `--machine` takes it): [`crate::run_script`] for any machine.
///
/// # Errors
/// An unknown machine, or errors reading `input` or writing `out` or `err`.
pub fn run_script<R: BufRead, O: Write, E: Write>(
    machine: &str,
    input: R,
    script_path: Option<&Path>,
    out: &mut O,
    err: &mut E,
) -> io::Result<i32> {
    let args = MachineArgs { machine: Some(machine.to_owned()), ..MachineArgs::default() };
    let profile = args.profile().map_err(|e| io::Error::other(format!("{e:#}")))?.unwrap_or(Profile::AJOU);
    let base = script_path.map(script_dir);
    let mut shell = Shell::with_profile(profile, false, base).map_err(io::Error::other)?;
    shell.run_script(input, script_path, out, err)
}
