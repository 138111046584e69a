//! Writing the charts: SVG and PNG files, the embedded font, and the PNG
//! text rasteriser (plotters' bitmap backend with glyphs placed properly).

use super::*;

pub(super) fn write_all(dir: &Path, data: &ChartData<'_>) -> Result<Vec<PathBuf>, ChartError> {
    let charts: Vec<Chart> = ChartKind::ALL
        .iter()
        .filter_map(|&k| prepare(k, data))
        .collect();
    if charts.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(dir).map_err(|source| ChartError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for chart in &charts {
        let name = chart.kind.name();
        let svg = dir.join(format!("{name}.svg"));
        write_file(&svg, render_svg(chart)?.as_bytes())?;
        written.push(svg);
        let png = dir.join(format!("{name}.png"));
        write_file(&png, &render_png(chart)?)?;
        written.push(png);
    }
    Ok(written)
}

/// Through `write_atomic`, like every other output file: a planted symlink is
/// replaced, never followed, and a failed write leaves no truncated chart.
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ChartError> {
    crate::report::export::out_dir::write_atomic(path, |f| std::io::Write::write_all(f, bytes))
        .map_err(|e| match e {
            crate::report::export::out_dir::FilesError::Io { source, .. } => ChartError::Io {
                path: path.to_path_buf(),
                source,
            },
        })
}

pub(super) static FONT: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");
pub(super) const FAMILY: &str = "sans-serif";

/// The embedded font, for [`Raster`]; registered with plotters (which lays text out) on first use.
pub(super) fn glyph_font() -> Option<&'static FontRef<'static>> {
    static FONT_REF: std::sync::OnceLock<Option<FontRef<'static>>> = std::sync::OnceLock::new();
    FONT_REF
        .get_or_init(|| {
            let f = FontRef::try_from_slice(FONT).ok()?;
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).ok()?;
            Some(f)
        })
        .as_ref()
}

pub(super) fn ensure_font(chart: ChartKind) -> Result<(), ChartError> {
    glyph_font().map(|_| ()).ok_or_else(|| ChartError::Drawing {
        chart: chart.name(),
        message: "the embedded font does not load".into(),
    })
}

pub(super) type RasterError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

/// plotters' bitmap backend with text drawn here: plotters 0.3.7 puts each
/// glyph at the pen position without its side bearing, so letters huddle and
/// gaps open inside words ("REJ ECTED"). Layout (widths, anchors) stays plotters'.
pub(super) struct Raster<'a>(pub(super) BitMapBackend<'a>);

impl DrawingBackend for Raster<'_> {
    type ErrorType = RasterError;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_pixel(point, color)
    }
    fn draw_line<S: plotters_backend::BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_line(from, to, style)
    }
    fn draw_rect<S: plotters_backend::BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_path(path, style)
    }
    fn draw_circle<S: plotters_backend::BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        let color = style.color();
        let Some(font) = glyph_font() else {
            return Ok(());
        };
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let ((x0, y0), (x1, y1)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (w, h) = (x1 - x0, y1 - y0);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let size = style.size() as f32;
        let scaled = font.as_scaled(size);
        // Capitals centred in plotters' layout box.
        let cap = scaled
            .outline_glyph(scaled.scaled_glyph('H'))
            .map_or(size * 0.6, |o| o.px_bounds().height());
        let baseline = (h as f32 + cap) / 2.0;
        let transform = style.transform();
        let (bw, bh) = self.get_size();
        let mut pixels: Vec<(i32, i32, f32)> = Vec::new();
        let (mut pen, mut prev) = (0f32, None);
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(size, ab_glyph::point(pen, baseline));
            if let Some(o) = scaled.outline_glyph(glyph) {
                let b = o.px_bounds();
                o.draw(|gx, gy, cover| {
                    if cover > 0.0 {
                        pixels.push((
                            b.min.x as i32 + gx as i32,
                            b.min.y as i32 + gy as i32,
                            cover,
                        ));
                    }
                });
            }
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        for (x, y, cover) in pixels {
            let (x, y) = transform.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < bw && (y as u32) < bh {
                let c = BackendColor {
                    alpha: color.alpha * f64::from(cover.min(1.0)),
                    rgb: color.rgb,
                };
                self.0.draw_pixel((x, y), c)?;
            }
        }
        Ok(())
    }
}

pub(super) fn drawing_error(chart: ChartKind, e: impl std::fmt::Display) -> ChartError {
    ChartError::Drawing {
        chart: chart.name(),
        message: e.to_string(),
    }
}

pub(super) fn render_svg(chart: &Chart) -> Result<String, ChartError> {
    ensure_font(chart.kind)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart).map_err(|e| drawing_error(chart.kind, e))?;
        root.present().map_err(|e| drawing_error(chart.kind, e))?;
    }
    Ok(out)
}

pub(super) fn render_png(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    ensure_font(chart.kind)?;
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root =
            Raster(BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT))).into_drawing_area();
        draw(&root, chart).map_err(|e| drawing_error(chart.kind, e))?;
        root.present().map_err(|e| drawing_error(chart.kind, e))?;
    }
    // Encoded here rather than by plotters, so that a failed write is an I/O error with its path.
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Default);
    let mut w = enc
        .write_header()
        .map_err(|e| drawing_error(chart.kind, e))?;
    w.write_image_data(&rgb)
        .map_err(|e| drawing_error(chart.kind, e))?;
    w.finish().map_err(|e| drawing_error(chart.kind, e))?;
    Ok(out)
}
