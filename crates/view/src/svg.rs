//! A picture of one state: every process's page-table tree and the physical frames, as SVG,
//! rendered from `templates/state.svg`. What `show --svg FILE` writes.
//!
//! The layout (where each box and cell goes) is computed here; the template only places what
//! it is given, escaped.

use kernel::Count;
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use crate::page::{RenderError, environment};
use crate::snapshot::{Snapshot, flag, flag_letters};

/// Width of the picture, in SVG units (pixels at 100%).
const WIDTH: u32 = 960;
/// Height of one text row.
const ROW: u32 = 16;
/// Width of one process box.
const BOX_W: u32 = 228;
/// Gap between boxes.
const GAP: u32 = 12;
/// Entries drawn per leaf table; the rest are counted.
const MAX_ROWS: usize = 32;
/// Frame cells drawn; a larger pool shows only its mapped frames.
const MAX_CELLS: usize = 512;
/// One frame cell.
const CELL_W: u32 = 44;
const CELL_H: u32 = 32;

/// The colour of a process: hues spread by the golden angle so that neighbours differ, the
/// same formula the step-through page uses.
pub fn pid_colour(pid: u32) -> String {
    let h = (f64::from(pid) * 137.508 + 200.0) % 360.0;
    let (s, l) = (0.70, 0.78);
    // HSL to RGB (CSS Color 3, section 4.2.4), written out so that every SVG viewer reads it.
    let c = (1.0 - (2.0 * l - 1.0f64).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

#[derive(Debug, Serialize)]
struct Text {
    x: u32,
    y: u32,
    text: String,
    class: &'static str,
}

#[derive(Debug, Serialize)]
struct ProcBox {
    pid: u32,
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    colour: String,
    current: bool,
    texts: Vec<Text>,
}

#[derive(Debug, Serialize)]
struct Stripe {
    x: u32,
    w: u32,
    colour: String,
}

#[derive(Debug, Serialize)]
struct Cell {
    x: u32,
    y: u32,
    frame: u32,
    count: u32,
    label: String,
    stripes: Vec<Stripe>,
    free: bool,
    shared: bool,
    cow: bool,
}

/// The picture of `snap`, titled `title`.
///
/// # Errors
/// [`RenderError::Template`] if the template fails (it does not for any snapshot).
pub fn render_svg(snap: &Snapshot, title: &str) -> Result<String, RenderError> {
    let mut boxes = Vec::new();
    let (mut x, mut y, mut row_h) = (GAP, 56, 0);
    for p in &snap.processes {
        let mut texts = Vec::new();
        let line = |texts: &mut Vec<Text>, dx: u32, text: String, class: &'static str| {
            let ty = (texts.len() as u32 + 1) * ROW + 4;
            texts.push(Text { x: dx, y: ty, text, class });
        };
        let current = snap.current == Some(p.pid);
        let what = if snap.machine.directory { "directory" } else { "table" };
        line(&mut texts, 8, format!("PID {}{}", p.pid, if current { " (current)" } else { "" }), "title");
        line(&mut texts, 8, format!("{what} in frame {}", p.root), "muted");
        for t in &p.tables {
            if snap.machine.directory {
                line(&mut texts, 8, format!("[{}] \u{2192} table in frame {}", t.dir_index, t.frame), "muted");
            }
            if t.entries.is_empty() {
                line(&mut texts, 16, "no valid entries".to_string(), "muted");
            }
            for e in t.entries.iter().take(MAX_ROWS) {
                let idx = if snap.machine.directory {
                    format!("{:02}:{:02}", t.dir_index, e.index)
                } else {
                    format!("{:4}", e.index)
                };
                let class = if e.flags & flag::COW != 0 { "cow" } else { "entry" };
                line(
                    &mut texts,
                    16,
                    format!("{idx} vpn {:<4} \u{2192} {:<5} {}", e.vpn, e.frame, flag_letters(e.flags)),
                    class,
                );
            }
            if t.entries.len() > MAX_ROWS {
                line(&mut texts, 16, format!("{} more valid entries", t.entries.len() - MAX_ROWS), "muted");
            }
        }
        let h = (texts.len() as u32 + 1) * ROW;
        if x + BOX_W > WIDTH {
            x = GAP;
            y += row_h + GAP;
            row_h = 0;
        }
        boxes.push(ProcBox { pid: p.pid, x, y, w: BOX_W, h, colour: pid_colour(p.pid), current, texts });
        x += BOX_W + GAP;
        row_h = row_h.max(h);
    }
    let frames_y = y + row_h + 3 * GAP + ROW;
    let per_row = (WIDTH - 2 * GAP) / (CELL_W + 4);
    let range = snap.machine.user_frames;
    let listed: Vec<u32> = if range.count as usize <= MAX_CELLS {
        (range.first..range.first + range.count).collect()
    } else {
        snap.frames.iter().map(|f| f.frame).take(MAX_CELLS).collect()
    };
    let mut cells = Vec::new();
    for (i, &frame) in listed.iter().enumerate() {
        let (col, row) = (i as u32 % per_row, i as u32 / per_row);
        let (cx, cy) = (GAP + col * (CELL_W + 4), frames_y + ROW + row * (CELL_H + 4));
        let info = snap.frames.binary_search_by_key(&frame, |f| f.frame).ok().map(|j| &snap.frames[j]);
        let (count, owners, cow) = info.map_or((0, &[][..], false), |f| (f.count, &f.owners[..], f.cow));
        let n = owners.len().max(1) as u32;
        let stripes = owners
            .iter()
            .enumerate()
            .map(|(k, &pid)| Stripe { x: cx + k as u32 * CELL_W / n, w: CELL_W / n, colour: pid_colour(pid) })
            .collect();
        let label = if count > 0 { format!("\u{d7}{count}") } else { String::new() };
        cells.push(Cell { x: cx, y: cy, frame, count, label, stripes, free: count == 0, shared: count > 1, cow });
    }
    let rows = (listed.len() as u32).div_ceil(per_row).max(1);
    let mut tlb_y = frames_y + ROW + rows * (CELL_H + 4) + 2 * GAP;
    let tlb: Vec<Text> = match &snap.tlb {
        Some(entries) => {
            tlb_y += ROW;
            let mut t = vec![Text {
                x: GAP,
                y: tlb_y,
                text: "TLB (VPN \u{2192} frame, in slot order)".into(),
                class: "heading",
            }];
            let line = entries
                .iter()
                .enumerate()
                .map(|(i, e)| format!("{i}: {} \u{2192} {}", e.vpn, e.frame))
                .collect::<Vec<_>>()
                .join("   ");
            let line = if line.is_empty() { "empty".to_string() } else { line };
            tlb_y += ROW + 4;
            t.push(Text { x: GAP, y: tlb_y, text: line, class: "entry" });
            t
        }
        None => Vec::new(),
    };
    let height = tlb_y + 2 * GAP;
    let hidden = if range.count as usize > MAX_CELLS { " (mapped frames only)" } else { "" };
    let env = environment()?;
    let svg = env.get_template("state.svg")?.render(context! {
        width => WIDTH,
        height => height,
        title => title,
        subtitle => format!(
            "machine {}: {}, {} mapped, {} of {} user frames free",
            snap.machine.profile,
            Count(snap.processes.len(), "process"),
            Count(snap.stats.pages_mapped, "page"),
            snap.stats.user_frames_free,
            range.count
        ),
        boxes => Value::from(Serde(&boxes)),
        frames_title => format!("user frames {}\u{2013}{}{hidden}", range.first, range.first + range.count.saturating_sub(1)),
        frames_y => frames_y,
        cell_w => CELL_W,
        cell_h => CELL_H,
        cells => Value::from(Serde(&cells)),
        tlb => Value::from(Serde(&tlb)),
    })?;
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use kernel::{Kernel, Perm, Pid, Profile, Vpn};

    use super::*;

    #[test]
    fn the_picture_names_every_process_entry_and_frame() {
        let mut k = Kernel::new(Profile::AJOU).unwrap();
        k.map_page(Pid::new(0), Vpn::new(2), Perm::READ | Perm::WRITE).unwrap();
        k.switch(Pid::new(1)).unwrap();
        let svg = render_svg(&Snapshot::take(&k, None), "a <test> & more").unwrap();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains("a &lt;test&gt; &amp; more"), "the title is escaped");
        assert!(svg.contains("PID 1 (current)"));
        assert!(svg.contains("00:02 vpn 2    \u{2192} 0     r cow"), "{svg}");
        assert_eq!(svg.matches("<g class=\"frame").count(), 128, "every frame of a small pool is drawn");
        assert!(svg.contains("data-frame=\"0\" data-count=\"2\""));
    }

    #[test]
    fn colours_are_hex_and_differ_between_neighbours() {
        assert_eq!(pid_colour(0).len(), 7);
        assert_ne!(pid_colour(0), pid_colour(1));
        assert_ne!(pid_colour(1), pid_colour(2));
    }
}
