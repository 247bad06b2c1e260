//! The interactive shell on a terminal: line editing and in-memory history with `rustyline`.

use std::io::{self, Write};

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::{Flow, Shell};

/// Reads commands from the terminal until `exit` or end of input (Ctrl-D); Ctrl-C abandons
/// the line being typed. Output is flushed after every command. Returns the exit status, by
/// the same rule as a script's.
///
/// # Errors
/// If the terminal cannot be set up, read, or written.
pub fn run_interactive(shell: &mut Shell) -> anyhow::Result<i32> {
    let mut editor = DefaultEditor::new()?;
    let stdout = io::stdout();
    let stderr = io::stderr();
    stdout.lock().write_all(shell.banner().as_bytes())?;
    stdout.lock().flush()?;
    let palette = crate::colour::Palette::detect();
    let mut line_no = 0usize;
    loop {
        match editor.readline(&shell.session_prompt()) {
            Ok(line) => {
                line_no += 1;
                if !line.trim().is_empty() {
                    editor.add_history_entry(line.as_str())?;
                }
                let (mut out, mut err) = (stdout.lock(), stderr.lock());
                let flow = crate::colour::execute(shell, line.as_bytes(), line_no, palette, &mut out, &mut err)?;
                out.flush()?;
                err.flush()?;
                if flow == Flow::Stop {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(shell.status())
}
