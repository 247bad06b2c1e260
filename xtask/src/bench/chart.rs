//! The fork-cost chart of `cargo xtask bench` (`docs/fork-cost.svg`): fork time against mapped
//! pages for both fork policies, log-log, drawn with `plotters`.

use std::path::Path;

use anyhow::bail;

use super::report::fmt_ns;

/// Draws fork time against mapped pages for both policies, log-log, as SVG.
///
/// # Errors
/// Writing the file.
pub fn draw_chart(path: &Path, cow: &[(u64, f64)], eager: &[(u64, f64)]) -> anyhow::Result<()> {
    use plotters::prelude::*;

    let ys = cow.iter().chain(eager).map(|p| p.1);
    let lo = ys.clone().fold(f64::INFINITY, f64::min);
    let hi = ys.fold(0.0f64, f64::max);
    if !(lo.is_finite() && lo > 0.0 && hi.is_finite() && hi >= lo) {
        bail!("no positive times to draw");
    }
    let x_hi = cow.iter().chain(eager).map(|p| p.0).max().unwrap_or(1) as f64;
    let root = SVGBackend::new(path, (820, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("fork_ps time against mapped pages (mtl458, criterion medians)", ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(84)
        .build_cartesian_2d((0.8f64..x_hi * 1.25).log_scale(), (lo / 2.0..hi * 2.0).log_scale())
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("pages mapped in the parent (log scale)")
        .y_desc("time per fork (log scale)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| fmt_ns(*v))
        .draw()
        .map_err(plot_err)?;
    for (name, data, color) in [("copy-on-write", cow, BLUE), ("eager", eager, RED)] {
        chart
            .draw_series(LineSeries::new(data.iter().map(|&(n, t)| (n as f64, t)), color.stroke_width(2)))
            .map_err(plot_err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2)));
        chart
            .draw_series(data.iter().map(|&(n, t)| Circle::new((n as f64, t), 3, color.filled())))
            .map_err(plot_err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(plot_err)?;
    root.present().map_err(plot_err)?;
    Ok(())
}

/// plotters' errors borrow nothing but are not all `Send + Sync`; keep their text.
fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {e}")
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::bench::SCALING_PAGES;

    #[test]
    fn chart_is_an_svg_with_both_series() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.svg");
        let cow: Vec<(u64, f64)> = SCALING_PAGES.iter().map(|&n| (n, 300.0 + n as f64)).collect();
        let eager: Vec<(u64, f64)> = SCALING_PAGES.iter().map(|&n| (n, 500.0 * n as f64)).collect();
        draw_chart(&path, &cow, &eager).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
        assert!(svg.contains("copy-on-write") && svg.contains("eager"));
        assert!(svg.matches("<circle").count() >= 2 * SCALING_PAGES.len());
        assert!(draw_chart(&path, &[], &[]).is_err());
    }
}
