//! Figures as PNG and SVG: a [`Figure`] is a grid of [`Panel`]s of line and
//! marker [`Series`], drawn by one renderer for both formats.
//!
//! Text is laid out with the bundled Go Regular font (BSD-3, see
//! `assets/fonts/LICENSE`) through plotters' `ab_glyph` feature, so nothing
//! depends on the fonts or font libraries of the machine.

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;

use crate::data::files::AtomicFile;

/// The bundled font.
static FONT: &[u8] = include_bytes!("../../assets/fonts/Go-Regular.ttf");

/// Registers the bundled font as `sans-serif` (once per process).
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font (tested); if ab_glyph ever
        // refused them, text would be missing, not the figure.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// The colours series cycle through (Tableau 10).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Light grey, for background lines such as contours.
pub const GREY: RGBColor = RGBColor(200, 200, 200);

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A solid line.
    Line,
    /// A dashed line.
    Dashed,
    /// A solid line with a dot at each point.
    LineMarkers,
    /// Dots only.
    Markers,
}

/// One line of a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text (`None`: not in the legend).
    pub label: Option<String>,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Colour.
    pub color: RGBColor,
    /// Line or markers.
    pub style: Style,
    /// Line width in pixels.
    pub width: u32,
}

impl Series {
    /// A solid line in palette colour `index`.
    pub fn line(label: impl Into<String>, index: usize, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: Some(label.into()),
            points,
            color: PALETTE[index % PALETTE.len()],
            style: Style::Line,
            width: 2,
        }
    }

    /// The same series drawn with `style`.
    pub fn styled(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// A thin grey line outside the legend (a contour, a reference line).
    pub fn background(points: Vec<(f64, f64)>) -> Self {
        Series {
            label: None,
            points,
            color: GREY,
            style: Style::Line,
            width: 1,
        }
    }
}

/// One chart: axes, title and series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    /// Title above the chart.
    pub title: String,
    /// X-axis description.
    pub x_label: String,
    /// Y-axis description.
    pub y_label: String,
    /// Logarithmic x axis.
    pub x_log: bool,
    /// Logarithmic y axis.
    pub y_log: bool,
    /// X range (`None`: fitted to the data).
    pub x_range: Option<(f64, f64)>,
    /// Y range (`None`: fitted to the data).
    pub y_range: Option<(f64, f64)>,
    /// The series.
    pub series: Vec<Series>,
    /// Where the legend goes.
    pub legend: Legend,
}

/// The corner of a panel that holds its legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Top right.
    #[default]
    UpperRight,
    /// Top left.
    UpperLeft,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

impl Panel {
    /// An empty panel with a title and axis labels.
    pub fn new(title: impl Into<String>, x: impl Into<String>, y: impl Into<String>) -> Self {
        Panel {
            title: title.into(),
            x_label: x.into(),
            y_label: y.into(),
            ..Panel::default()
        }
    }
}

/// Panels in a grid, with an optional title over all.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Title over the whole figure.
    pub title: Option<String>,
    /// Panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// Pixels of one panel.
    pub panel_size: (u32, u32),
}

impl Figure {
    /// `panels` side by side, each 560x420 pixels.
    pub fn row(title: Option<String>, panels: Vec<Panel>) -> Self {
        let columns = panels.len().max(1);
        Figure {
            title,
            panels,
            columns,
            panel_size: (560, 420),
        }
    }

    /// Total size in pixels.
    pub fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.columns.max(1)).max(1) as u32;
        let title = if self.title.is_some() { 40 } else { 0 };
        (
            self.panel_size.0 * self.columns.max(1) as u32,
            self.panel_size.1 * rows + title,
        )
    }

    /// Writes `<stem>.png` and, if `svg`, `<stem>.svg` (the suffix is
    /// added: a stem `run.v2` gives `run.v2.png`); returns the paths.
    ///
    /// # Errors
    /// If a file can't be written.
    pub fn write(&self, stem: &Path, svg: bool) -> Result<Vec<PathBuf>> {
        register_font();
        let png = with_suffix(stem, "png");
        {
            let file = AtomicFile::create(&png)?;
            let root = BitMapBackend::new(file.temporary_path(), self.size()).into_drawing_area();
            self.draw(&root)?;
            root.present()
                .map_err(|e| anyhow!("cannot write {}: {e}", png.display()))?;
            drop(root);
            file.commit()?;
        }
        let mut written = vec![png];
        if svg {
            let path = with_suffix(stem, "svg");
            {
                let file = AtomicFile::create(&path)?;
                let root = SVGBackend::new(file.temporary_path(), self.size()).into_drawing_area();
                self.draw(&root)?;
                root.present()
                    .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
                drop(root);
                file.commit()?;
            }
            written.push(path);
        }
        Ok(written)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let area = match &self.title {
            Some(t) => root
                .titled(t, ("sans-serif", 24).into_font())
                .map_err(err)?,
            None => root.clone(),
        };
        let rows = self.panels.len().div_ceil(self.columns.max(1)).max(1);
        let cells = area.split_evenly((rows, self.columns.max(1)));
        for (panel, cell) in self.panels.iter().zip(&cells) {
            draw_panel(cell, panel)?;
        }
        Ok(())
    }
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing failed: {e}")
}

/// The data range of a panel's axis, widened a little; positive values only
/// for a log axis.
fn auto_range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        if hi <= lo {
            return (lo / 2.0, hi * 2.0);
        }
        let pad = (hi / lo).powf(0.03);
        (lo / pad, hi * pad)
    } else {
        if hi <= lo {
            return (lo - 1.0, hi + 1.0);
        }
        let pad = (hi - lo) * 0.03;
        (lo - pad, hi + pad)
    }
}

/// The parts of a series inside the box: each run of points inside, with
/// the border crossings of the segments that leave or enter it (a segment
/// with both ends outside is dropped). Non-finite points, and non-positive
/// ones on a log axis, break the line.
fn clip(
    points: &[(f64, f64)],
    x: (f64, f64),
    y: (f64, f64),
    x_log: bool,
    y_log: bool,
) -> Vec<Vec<(f64, f64)>> {
    let valid = |&(a, b): &(f64, f64)| {
        a.is_finite() && b.is_finite() && (!x_log || a > 0.0) && (!y_log || b > 0.0)
    };
    let inside = |p: &(f64, f64)| valid(p) && p.0 >= x.0 && p.0 <= x.1 && p.1 >= y.0 && p.1 <= y.1;
    // The point where the segment from `a` (inside) towards `b` meets the border.
    let crossing = |a: (f64, f64), b: (f64, f64)| {
        let mut t = 1.0f64;
        for (lo, hi, from, to) in [(x.0, x.1, a.0, b.0), (y.0, y.1, a.1, b.1)] {
            if to > hi {
                t = t.min((hi - from) / (to - from));
            } else if to < lo {
                t = t.min((lo - from) / (to - from));
            }
        }
        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
    };
    let mut pieces = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut previous: Option<(f64, f64)> = None;
    for &p in points {
        if inside(&p) {
            if current.is_empty()
                && let Some(q) = previous.filter(valid)
            {
                current.push(crossing(p, q));
            }
            current.push(p);
        } else {
            if let Some(&last) = current.last()
                && valid(&p)
            {
                current.push(crossing(last, p));
            }
            if !current.is_empty() {
                pieces.push(std::mem::take(&mut current));
            }
        }
        previous = Some(p);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> Result<()> {
    let xs = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1));
    let x = panel.x_range.unwrap_or_else(|| auto_range(xs, panel.x_log));
    let y = panel.y_range.unwrap_or_else(|| auto_range(ys, panel.y_log));
    match (panel.x_log, panel.y_log) {
        (false, false) => chart(area, panel, x.0..x.1, y.0..y.1, (x, y)),
        (false, true) => chart(area, panel, x.0..x.1, (y.0..y.1).log_scale(), (x, y)),
        (true, false) => chart(area, panel, (x.0..x.1).log_scale(), y.0..y.1, (x, y)),
        (true, true) => chart(
            area,
            panel,
            (x.0..x.1).log_scale(),
            (y.0..y.1).log_scale(),
            (x, y),
        ),
    }
}

/// A short number for tick labels: 0.001, 1e-5, 2000, 1.5e6.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.0e}");
        if s.parse::<f64>().is_ok_and(|p| (p - v).abs() <= 1e-9 * a) {
            s
        } else {
            format!("{v:.1e}")
        }
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn chart<DB, XR, YR>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    x_spec: XR,
    y_spec: YR,
    (x, y): ((f64, f64), (f64, f64)),
) -> Result<()>
where
    DB: DrawingBackend,
    XR: AsRangedCoord<Value = f64>,
    YR: AsRangedCoord<Value = f64>,
    XR::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    YR::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut c = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 18).into_font())
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(62)
        .build_cartesian_2d(x_spec, y_spec)
        .map_err(err)?;
    c.configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(err)?;
    let mut labelled = false;
    for s in &panel.series {
        let pieces = clip(&s.points, x, y, panel.x_log, panel.y_log);
        let color = s.color;
        let style = ShapeStyle::from(&color).stroke_width(s.width);
        let mut anno = None;
        for points in &pieces {
            let markers = || {
                points
                    .iter()
                    .filter(|p| s.points.contains(p))
                    .map(|&p| Circle::new(p, 3, color.filled()))
            };
            anno = Some(match s.style {
                Style::Line | Style::LineMarkers => {
                    if s.style == Style::LineMarkers {
                        c.draw_series(markers()).map_err(err)?;
                    }
                    c.draw_series(LineSeries::new(points.iter().copied(), style))
                        .map_err(err)?
                }
                Style::Dashed => c
                    .draw_series(DashedLineSeries::new(points.iter().copied(), 8, 5, style))
                    .map_err(err)?,
                Style::Markers => c.draw_series(markers()).map_err(err)?,
            });
        }
        if let (Some(anno), Some(label)) = (anno, &s.label) {
            labelled = true;
            let dashed = s.style == Style::Dashed;
            anno.label(label.as_str()).legend(move |(lx, ly)| {
                let style = ShapeStyle::from(&color).stroke_width(2);
                if dashed {
                    PathElement::new(vec![(lx, ly), (lx + 7, ly)], style)
                } else {
                    PathElement::new(vec![(lx, ly), (lx + 18, ly)], style)
                }
            });
        }
    }
    if labelled {
        c.configure_series_labels()
            .position(match panel.legend {
                Legend::UpperRight => SeriesLabelPosition::UpperRight,
                Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
                Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
                Legend::LowerRight => SeriesLabelPosition::LowerRight,
            })
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// `stem` with `.<extension>` appended (not replacing what follows a dot
/// already in the name).
fn with_suffix(stem: &Path, extension: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// The PNG a `--plot PATH` names: `PATH` itself when it ends in `.png`,
/// else `PATH.png`; and the stem [`Figure::write`] takes for it.
///
/// ```
/// use std::path::Path;
/// use microprop_sim::report::plot::plot_file;
/// assert_eq!(plot_file(Path::new("curves.png")).0, Path::new("curves.png"));
/// assert_eq!(plot_file(Path::new("run.v2")).0, Path::new("run.v2.png"));
/// assert_eq!(plot_file(Path::new("run.v2")).1, Path::new("run.v2"));
/// ```
pub fn plot_file(path: &Path) -> (PathBuf, PathBuf) {
    let is_png = path.extension().is_some_and(|e| e == "png");
    let stem = if is_png {
        path.with_extension("")
    } else {
        path.to_path_buf()
    };
    (with_suffix(&stem, "png"), stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_parses_and_figures_are_written() {
        assert!(plotters::style::register_font("check", FontStyle::Normal, FONT).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let mut lin = Panel::new("linear η, w₁", "x", "y");
        lin.series
            .push(Series::line("a", 0, vec![(0.0, 1.0), (1.0, 2.0)]));
        lin.series
            .push(Series::line("b", 1, vec![(0.0, 2.0), (1.0, 0.5)]).styled(Style::Dashed));
        let mut log = Panel::new("log", "x", "y");
        log.y_log = true;
        log.series.push(Series::line(
            "c",
            2,
            vec![(0.0, 1e-3), (1.0, 10.0), (2.0, 0.0)],
        ));
        let paths = Figure::row(Some("t".into()), vec![lin, log])
            .write(&dir.path().join("fig"), true)
            .unwrap();
        assert_eq!(paths.len(), 2);
        for p in paths {
            assert!(
                std::fs::metadata(&p).unwrap().len() > 1000,
                "{}",
                p.display()
            );
        }
    }

    #[test]
    fn clipping_stops_at_the_border() {
        let pts = [
            (0.0, 0.0),
            (1.0, 1.0),
            (3.0, 3.0),
            (4.0, 0.0),
            (1.0, 0.0),
            (1.5, 0.0),
        ];
        let c = clip(&pts, (0.0, 2.0), (0.0, 2.0), false, false);
        assert_eq!(
            c,
            vec![
                vec![(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)],
                vec![(2.0, 0.0), (1.0, 0.0), (1.5, 0.0)]
            ]
        );
        let log = clip(
            &[(1.0, 1.0), (2.0, 0.0), (3.0, 1.0)],
            (0.0, 5.0),
            (0.1, 5.0),
            false,
            true,
        );
        assert_eq!(log, vec![vec![(1.0, 1.0)], vec![(3.0, 1.0)]]);
        assert_eq!(tick(0.001), "0.001");
        assert_eq!(tick(1e-5), "1e-5");
        assert_eq!(tick(2000.0), "2000");
        assert_eq!(tick(0.25), "0.25");
    }
}
