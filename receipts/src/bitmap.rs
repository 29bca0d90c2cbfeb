//! Bitmap mode: the layout drawn with a CJK font into a 1-bit raster at the
//! paper's dot width, for printers that have no Chinese font, and the same
//! raster as a PNG preview.
//!
//! Text is drawn on the same grid as text mode (12 dots a column, a
//! Chinese character two columns, 24-dot glyphs, 30-dot lines), so both
//! modes print the same receipt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use ab_glyph::{Font, FontVec, GlyphId, PxScale, ScaleFont, point};
use image::{ExtendedColorType, ImageEncoder};

use crate::error::ReceiptError;
use crate::layout::{Layout, Line, Style, char_columns};

/// Where Debian's `fonts-wqy-microhei` puts its font collection.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// Face 1 of that collection is "WenQuanYi Micro Hei Mono": half-width
/// Latin and full-width Chinese, which fits the column grid exactly.
pub const DEFAULT_FONT_INDEX: u32 = 1;

/// Fonts tried, in this order, for a character the main font lacks, when
/// they are installed (see [`BitmapRenderer::load_default`]): Noto Sans CJK
/// SC (`fonts-noto-cjk`), HanaMin A and B (`fonts-hanazono`, which has the
/// rare ideographs of CJK Extensions A and B, such as 𠈌) and DejaVu Sans
/// (`fonts-dejavu-core`, Latin letters such as ǹ and ḿ).
pub const DEFAULT_FALLBACKS: [(&str, u32); 4] = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", 0),
    ("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
];

/// Dots per column, on both paper widths (384 / 32 = 576 / 48 = 12).
const CELL: u32 = 12;
/// Height of a normal text line in dots: a 24-dot glyph and 6 dots of space.
const LINE: u32 = 30;
/// Height of a double-size line.
const LINE_DOUBLE: u32 = 56;
/// Coverage at which an anti-aliased pixel prints black.
const THRESHOLD: f32 = 0.5;
/// Quiet zone above and below a QR code, in modules.
const QR_QUIET: u32 = 2;

/// Which font file, and which face in it, to draw receipts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontSpec {
    /// A TrueType/OpenType font or collection (.ttf, .otf, .ttc).
    pub path: PathBuf,
    /// The face in a collection; 0 for a single font.
    pub index: u32,
}

impl Default for FontSpec {
    /// WenQuanYi Micro Hei Mono, from `apt-get install fonts-wqy-microhei`.
    fn default() -> Self {
        FontSpec {
            path: PathBuf::from(DEFAULT_FONT_PATH),
            index: DEFAULT_FONT_INDEX,
        }
    }
}

impl FontSpec {
    /// The first face of the font file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> FontSpec {
        FontSpec {
            path: path.into(),
            index: 0,
        }
    }

    /// The [`DEFAULT_FALLBACKS`] that are installed on this machine.
    pub fn installed_fallbacks() -> Vec<FontSpec> {
        DEFAULT_FALLBACKS
            .iter()
            .filter(|(path, _)| Path::new(path).is_file())
            .map(|&(path, index)| FontSpec {
                path: PathBuf::from(path),
                index,
            })
            .collect()
    }
}

/// A 1-bit image, one bit a dot, rows packed most significant bit first
/// (the layout of ESC/POS raster data); a set bit prints black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

impl Raster {
    fn new(width: u32, height: u32) -> Raster {
        let stride = width.div_ceil(8) as usize;
        Raster {
            width,
            height,
            bits: vec![0; stride * height as usize],
        }
    }

    /// Width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row.
    pub fn stride(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    /// The packed rows, top to bottom.
    pub fn bits(&self) -> &[u8] {
        &self.bits
    }

    /// True when the dot at (x, y) prints black; false outside the image.
    pub fn is_black(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let i = y as usize * self.stride() + (x / 8) as usize;
        self.bits[i] & (0x80 >> (x % 8)) != 0
    }

    fn set(&mut self, x: i64, y: i64) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let (x, y) = (x as u32, y as usize);
        let i = y * self.stride() + (x / 8) as usize;
        self.bits[i] |= 0x80 >> (x % 8);
    }

    fn fill(&mut self, x0: u32, y0: u32, w: u32, h: u32) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                self.set(i64::from(x), i64::from(y));
            }
        }
    }

    /// The raster as an 8-bit greyscale PNG: what the printer will print.
    pub fn to_png(&self) -> Result<Vec<u8>, ReceiptError> {
        let mut grey = Vec::with_capacity(self.width as usize * self.height as usize);
        for y in 0..self.height {
            for x in 0..self.width {
                grey.push(if self.is_black(x, y) { 0 } else { 255 });
            }
        }
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&grey, self.width, self.height, ExtendedColorType::L8)
            .map_err(|e| ReceiptError::Png(e.to_string()))?;
        Ok(png)
    }
}

/// A glyph's black dots, relative to the top-left corner of its cell.
#[derive(Debug)]
struct GlyphDots(Vec<(i16, i16)>);

/// A loaded font face and its scale.
struct Face {
    font: FontVec,
    /// The `PxScale` that makes its em square 24 dots.
    em_scale: f32,
}

impl Face {
    fn load(spec: &FontSpec) -> Result<Face, ReceiptError> {
        let data = std::fs::read(&spec.path).map_err(|source| ReceiptError::FontFile {
            path: spec.path.clone(),
            source,
        })?;
        Face::from_bytes(data, spec.index, &spec.path)
    }

    fn from_bytes(data: Vec<u8>, index: u32, path: &Path) -> Result<Face, ReceiptError> {
        let font =
            FontVec::try_from_vec_and_index(data, index).map_err(|_| ReceiptError::BadFont {
                path: path.to_path_buf(),
                index,
            })?;
        let units = font.units_per_em().unwrap_or(1000.0);
        // ab_glyph scales so that ascent − descent spans the PxScale; we
        // want the em square to span 24 dots.
        let em_scale = 24.0 * font.height_unscaled() / units;
        Ok(Face { font, em_scale })
    }

    fn has(&self, c: char) -> bool {
        self.font.glyph_id(c) != GlyphId(0)
    }
}

/// Draws layouts with a loaded font, and fallback fonts for characters it
/// lacks. Load it once and keep it: loading a CJK font takes milliseconds,
/// drawing a receipt far less. Glyphs are cached, so it is cheap to share
/// (`Send + Sync`).
pub struct BitmapRenderer {
    /// The main font first, then the fallbacks in the order given.
    faces: Vec<Face>,
    /// Baseline below the top of a normal line, in dots.
    baseline: f32,
    cache: Mutex<HashMap<(char, bool), Arc<GlyphDots>>>,
}

impl std::fmt::Debug for BitmapRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitmapRenderer")
            .field("faces", &self.faces.len())
            .field("baseline", &self.baseline)
            .finish_non_exhaustive()
    }
}

impl BitmapRenderer {
    /// Loads the font described by `spec`, with no fallbacks.
    pub fn load(spec: &FontSpec) -> Result<BitmapRenderer, ReceiptError> {
        BitmapRenderer::with_faces(Face::load(spec)?, Vec::new())
    }

    /// Loads the main font `spec` and the `fallbacks`, tried in order for
    /// a character the main font lacks. Every file must be there.
    pub fn load_with_fallbacks(
        spec: &FontSpec,
        fallbacks: &[FontSpec],
    ) -> Result<BitmapRenderer, ReceiptError> {
        let faces = fallbacks
            .iter()
            .map(Face::load)
            .collect::<Result<Vec<_>, _>>()?;
        BitmapRenderer::with_faces(Face::load(spec)?, faces)
    }

    /// The default font (WenQuanYi Micro Hei Mono) with the
    /// [`DEFAULT_FALLBACKS`] that are installed.
    pub fn load_default() -> Result<BitmapRenderer, ReceiptError> {
        BitmapRenderer::load_with_fallbacks(&FontSpec::default(), &FontSpec::installed_fallbacks())
    }

    /// Loads a font from its bytes; `path` only names it in errors.
    pub fn from_bytes(
        data: Vec<u8>,
        index: u32,
        path: &Path,
    ) -> Result<BitmapRenderer, ReceiptError> {
        BitmapRenderer::with_faces(Face::from_bytes(data, index, path)?, Vec::new())
    }

    fn with_faces(main: Face, fallbacks: Vec<Face>) -> Result<BitmapRenderer, ReceiptError> {
        for probe in ['食', '堂', '￥'] {
            if !main.has(probe) {
                return Err(ReceiptError::MissingGlyph(probe));
            }
        }
        // Centre a full ideograph vertically in the 30-dot line.
        let scaled = main.font.as_scaled(PxScale::from(main.em_scale));
        let probe = scaled.scaled_glyph('国');
        let baseline = match scaled.outline_glyph(probe) {
            Some(g) => {
                let b = g.px_bounds();
                (LINE as f32 - b.height()) / 2.0 - b.min.y
            }
            None => scaled.ascent() + (LINE as f32 - scaled.height()) / 2.0,
        };
        let mut faces = vec![main];
        faces.extend(fallbacks);
        Ok(BitmapRenderer {
            faces,
            baseline: baseline.round(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// True when the main font or a fallback has a glyph for `c`; other
    /// characters print as an empty box.
    pub fn covers(&self, c: char) -> bool {
        self.faces.iter().any(|f| f.has(c))
    }

    /// Draws the layout at the paper's dot width.
    pub fn render(&self, layout: &Layout) -> Result<Raster, ReceiptError> {
        let paper = layout.paper;
        let qr_codes = layout
            .lines
            .iter()
            .filter_map(|l| match l {
                Line::Qr(payload) => Some(qr_matrix(payload)),
                _ => None,
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut qr_iter = qr_codes.iter();
        let module = u32::from(paper.qr_module_dots());
        let height: u32 = layout
            .lines
            .iter()
            .map(|l| match l {
                Line::Text { style, .. } if style.double => LINE_DOUBLE,
                Line::Text { .. } | Line::Rule => LINE,
                Line::Qr(_) => 0,
            })
            .sum::<u32>()
            + qr_codes
                .iter()
                .map(|q| (q.width + 2 * QR_QUIET) * module)
                .sum::<u32>();
        let mut raster = Raster::new(paper.dots(), height);
        let mut top = 0u32;
        for line in &layout.lines {
            match line {
                Line::Text { text, style } => {
                    self.draw_text(&mut raster, top, text, *style);
                    top += if style.double { LINE_DOUBLE } else { LINE };
                }
                Line::Rule => {
                    raster.fill(0, top + LINE / 2 - 1, paper.dots(), 2);
                    top += LINE;
                }
                Line::Qr(_) => {
                    if let Some(q) = qr_iter.next() {
                        let side = q.width * module;
                        let left = (paper.dots().saturating_sub(side)) / 2;
                        let qtop = top + QR_QUIET * module;
                        for (i, dark) in q.dark.iter().enumerate() {
                            if *dark {
                                let i = i as u32;
                                let (mx, my) = (i % q.width, i / q.width);
                                raster.fill(left + mx * module, qtop + my * module, module, module);
                            }
                        }
                        top += (q.width + 2 * QR_QUIET) * module;
                    }
                }
            }
        }
        Ok(raster)
    }

    /// Draws the layout and encodes it as a PNG preview.
    pub fn preview_png(&self, layout: &Layout) -> Result<Vec<u8>, ReceiptError> {
        self.render(layout)?.to_png()
    }

    fn draw_text(&self, raster: &mut Raster, top: u32, text: &str, style: Style) {
        let factor = if style.double { 2 } else { 1 };
        let bold_dots = if style.bold { factor } else { 0 };
        let mut col = 0u32;
        for c in text.chars() {
            let w = char_columns(c) as u32;
            if c != ' ' && w > 0 {
                let dots = self.glyph(c, style.double);
                let x0 = i64::from(col * CELL * factor);
                let y0 = i64::from(top);
                for &(dx, dy) in &dots.0 {
                    let (x, y) = (x0 + i64::from(dx), y0 + i64::from(dy));
                    for b in 0..=bold_dots {
                        raster.set(x + i64::from(b), y);
                    }
                }
            }
            col += w;
        }
    }

    /// The black dots of `c` in its cell, from the cache or drawn now.
    fn glyph(&self, c: char, double: bool) -> Arc<GlyphDots> {
        let key = (c, double);
        if let Some(dots) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Arc::clone(dots);
        }
        let dots = Arc::new(self.draw_glyph(c, double));
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&dots));
        dots
    }

    fn draw_glyph(&self, c: char, double: bool) -> GlyphDots {
        let factor = if double { 2.0 } else { 1.0 };
        let cell_w = (char_columns(c) as u32 * CELL) as f32 * factor;
        let cell_h = LINE as f32 * factor;
        let Some(face) = self.faces.iter().find(|f| f.has(c)) else {
            // No font has it: print an empty box rather than nothing.
            return tofu(cell_w, cell_h);
        };
        let font = &face.font;
        let mut scale = PxScale::from(face.em_scale * factor);
        let id = font.glyph_id(c);
        let advance = font.as_scaled(scale).h_advance(id);
        let fit = (cell_w - factor).max(1.0);
        if advance > fit {
            // A proportional font's wide Latin letter: squeeze it into its cell.
            scale.x *= fit / advance;
        }
        let advance = font.as_scaled(scale).h_advance(id);
        let origin = point(((cell_w - advance) / 2.0).max(0.0), self.baseline * factor);
        let glyph = id.with_scale_and_position(scale, origin);
        let mut dots = Vec::new();
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|x, y, coverage| {
                if coverage >= THRESHOLD {
                    let px = b.min.x as i32 + x as i32;
                    let py = b.min.y as i32 + y as i32;
                    if let (Ok(px), Ok(py)) = (i16::try_from(px), i16::try_from(py)) {
                        dots.push((px, py));
                    }
                }
            });
        }
        GlyphDots(dots)
    }
}

fn tofu(cell_w: f32, cell_h: f32) -> GlyphDots {
    let (w, h) = (cell_w as i16, cell_h as i16);
    let (x0, x1, y0, y1) = (2, w - 3, h / 5, h - h / 5);
    let mut dots = Vec::new();
    for x in x0..=x1 {
        dots.push((x, y0));
        dots.push((x, y1));
    }
    for y in y0..=y1 {
        dots.push((x0, y));
        dots.push((x1, y));
    }
    GlyphDots(dots)
}

/// A QR code's modules, row by row.
struct QrMatrix {
    width: u32,
    dark: Vec<bool>,
}

fn qr_matrix(payload: &str) -> Result<QrMatrix, ReceiptError> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ReceiptError::Qr(e.to_string()))?;
    let width = u32::try_from(code.width()).map_err(|e| ReceiptError::Qr(e.to_string()))?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok(QrMatrix { width, dark })
}
