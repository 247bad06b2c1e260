//! A grid of policies by memory sizes over one reference string, run in parallel (rayon); LRU
//! for every size from one stack-distance pass; Belady anomalies found; CSV and an SVG curve.

use std::fmt::Write;

use rayon::prelude::*;

use policy::Spec;

use crate::error::ReplayError;
use crate::memory::{check_frames, simulate};
use crate::refs::PageRef;
use crate::stack::StackDistances;

/// One cell of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// The policy.
    pub policy: Spec,
    /// Frames.
    pub frames: usize,
    /// Page faults (cold misses included).
    pub page_faults: u64,
    /// Disk writes (dirty evictions); `None` for LRU, whose faults come from stack distances.
    pub disk_writes: Option<u64>,
}

/// The grid: every policy at every size, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// References in the string.
    pub references: u64,
    /// Distinct pages (the faults of an infinite memory).
    pub distinct_pages: u64,
    /// Sizes, ascending.
    pub frames: Vec<usize>,
    /// Policies, as given.
    pub policies: Vec<Spec>,
    /// `cells[p * frames.len() + f]`.
    pub cells: Vec<Cell>,
}

/// A Belady anomaly: more faults with more frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anomaly {
    /// The policy.
    pub policy: Spec,
    /// The smaller memory and its faults.
    pub smaller: (usize, u64),
    /// The larger memory, with more faults.
    pub larger: (usize, u64),
}

/// Runs every policy of `policies` at every size of `frames` over `refs`, in parallel.
///
/// # Errors
/// [`ReplayError::NoFrames`], [`ReplayError::TooManyFrames`] for a bad size.
pub fn sweep(refs: &[PageRef], policies: &[Spec], frames: &[usize]) -> Result<Sweep, ReplayError> {
    let mut sizes = frames.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    for &f in &sizes {
        check_frames(f)?;
    }
    let stack = policies.contains(&Spec::Lru).then(|| StackDistances::new(refs));
    let jobs: Vec<(Spec, usize)> = policies.iter().flat_map(|&p| sizes.iter().map(move |&f| (p, f))).collect();
    let cells = jobs
        .par_iter()
        .map(|&(policy, frames)| match (&stack, policy) {
            (Some(s), Spec::Lru) => Ok(Cell { policy, frames, page_faults: s.lru_faults(frames), disk_writes: None }),
            _ => simulate(refs, policy, frames).map(|c| Cell {
                policy,
                frames,
                page_faults: c.page_faults,
                disk_writes: Some(c.disk_writes),
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let distinct = {
        let mut pages: Vec<u64> = refs.iter().map(|r| r.page).collect();
        pages.sort_unstable();
        pages.dedup();
        pages.len() as u64
    };
    Ok(Sweep {
        references: refs.len() as u64,
        distinct_pages: distinct,
        frames: sizes,
        policies: policies.to_vec(),
        cells,
    })
}

impl Sweep {
    /// The cells of policy number `p`, by ascending size.
    #[must_use]
    pub fn row(&self, p: usize) -> &[Cell] {
        let n = self.frames.len();
        &self.cells[p * n..(p + 1) * n]
    }

    /// Every Belady anomaly: a larger size with more faults than the next smaller size swept.
    #[must_use]
    pub fn anomalies(&self) -> Vec<Anomaly> {
        let mut v = Vec::new();
        for p in 0..self.policies.len() {
            for w in self.row(p).windows(2) {
                if w[1].page_faults > w[0].page_faults {
                    v.push(Anomaly {
                        policy: w[0].policy,
                        smaller: (w[0].frames, w[0].page_faults),
                        larger: (w[1].frames, w[1].page_faults),
                    });
                }
            }
        }
        v
    }

    /// The grid as CSV: `policy,frames,page_faults,miss_ratio,disk_writes` (disk writes empty
    /// for LRU).
    #[must_use]
    pub fn csv(&self) -> String {
        let mut s = String::from("policy,frames,page_faults,miss_ratio,disk_writes\n");
        for c in &self.cells {
            let w = c.disk_writes.map(|w| w.to_string()).unwrap_or_default();
            // Writing to a String cannot fail.
            let _ = writeln!(s, "{},{},{},{:.6},{}", c.policy, c.frames, c.page_faults, self.ratio(c.page_faults), w);
        }
        s
    }

    /// `faults / references` (0 for an empty string).
    #[must_use]
    pub fn ratio(&self, faults: u64) -> f64 {
        if self.references == 0 { 0.0 } else { faults as f64 / self.references as f64 }
    }
}

/// The miss-ratio curve as an SVG document: page faults against frames (log scale of frames
/// when the sizes span more than a factor of 8), one line per policy, anomalies marked.
///
/// # Errors
/// [`ReplayError::Plot`] if the plotting library refuses the data.
pub fn svg(sweep: &Sweep, title: &str) -> Result<String, ReplayError> {
    use plotters::prelude::*;

    let plot = |e: &dyn std::fmt::Display| ReplayError::Plot(e.to_string());
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (800, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot(&e))?;
        let (lo, hi) = (*sweep.frames.first().unwrap_or(&1), *sweep.frames.last().unwrap_or(&1));
        let max_faults = sweep.cells.iter().map(|c| c.page_faults).max().unwrap_or(1).max(1);
        let colours = [&RED, &BLUE, &GREEN, &MAGENTA, &CYAN, &BLACK];
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                (lo as f64..(hi as f64).max(lo as f64 + 1.0)).log_scale(),
                0f64..max_faults as f64 * 1.05,
            )
            .map_err(|e| plot(&e))?;
        chart.configure_mesh().x_desc("frames").y_desc("page faults").draw().map_err(|e| plot(&e))?;
        for (p, policy) in sweep.policies.iter().enumerate() {
            let colour = colours[p % colours.len()];
            let points: Vec<(f64, f64)> =
                sweep.row(p).iter().map(|c| (c.frames as f64, c.page_faults as f64)).collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(|e| plot(&e))?
                .label(policy.to_string())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            chart.draw_series(points.iter().map(|&xy| Circle::new(xy, 3, colour.filled()))).map_err(|e| plot(&e))?;
        }
        let marks: Vec<(f64, f64)> = sweep.anomalies().iter().map(|a| (a.larger.0 as f64, a.larger.1 as f64)).collect();
        chart.draw_series(marks.iter().map(|&xy| Cross::new(xy, 8, BLACK.stroke_width(2)))).map_err(|e| plot(&e))?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| plot(&e))?;
        root.present().map_err(|e| plot(&e))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn belady_anomaly_is_flagged_and_drawn() {
        let refs: Vec<PageRef> = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5].map(PageRef::read).to_vec();
        let s = sweep(&refs, &[Spec::Fifo, Spec::Lru], &[4, 3, 5]).unwrap();
        assert_eq!(s.frames, vec![3, 4, 5]);
        let fifo: Vec<u64> = s.row(0).iter().map(|c| c.page_faults).collect();
        let lru: Vec<u64> = s.row(1).iter().map(|c| c.page_faults).collect();
        assert_eq!((fifo, lru), (vec![9, 10, 5], vec![10, 8, 5]));
        assert_eq!(s.anomalies(), vec![Anomaly { policy: Spec::Fifo, smaller: (3, 9), larger: (4, 10) }]);
        assert!(s.csv().starts_with("policy,frames,page_faults,miss_ratio,disk_writes\nfifo,3,9,0.750000,0\n"));
        let svg = svg(&s, "belady").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("fifo"));
    }
}
