//! ESC/POS rendering with the `escpos` crate, in two modes:
//!
//! - **text mode**: Chinese mode on (`FS &`) and text encoded in GB18030,
//!   for printers with a Chinese font (most sold in China);
//! - **bitmap mode**: the layout drawn by [`BitmapRenderer`] and sent as
//!   `GS v 0` raster bands, for printers without one.
//!
//! Both start with `ESC @`, kick the cash drawer when the layout asks for
//! it, and end with a full cut.

use std::borrow::Cow;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use ::escpos::driver::Driver;
use ::escpos::printer::Printer;
use ::escpos::printer_options::PrinterOptions;
use ::escpos::utils::{
    Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};
use encoding_rs::GB18030;

use crate::bitmap::{BitmapRenderer, Raster};
use crate::error::ReceiptError;
use crate::layout::{Layout, Line, Style, char_columns};

/// `FS &`: select Chinese (double-byte) character mode.
pub const FS_CHINESE_MODE: [u8; 2] = [0x1C, 0x26];

/// `ESC p 0 25 250`: pulse drawer pin 2 for 50 ms on, 500 ms off.
///
/// Sent whole because `escpos` 0.20.1's `cash_drawer()` sends only
/// `ESC p m`; the printer then takes the next two bytes (the cut command)
/// as pulse times.
pub const DRAWER_KICK: [u8; 5] = [0x1B, 0x70, 0x00, 0x19, 0xFA];

/// Rows per `GS v 0` command: small bands keep within the receive buffer
/// and the height limit of cheap printers.
pub const RASTER_BAND_ROWS: u32 = 256;

/// How to send a layout to the printer.
#[derive(Debug, Clone)]
pub enum Mode {
    /// GB18030 text with the printer's own Chinese font.
    Text,
    /// A raster drawn with our font, for printers without a Chinese font.
    Bitmap(Arc<BitmapRenderer>),
}

/// The layout as ESC/POS bytes in `mode`.
pub fn render(layout: &Layout, mode: &Mode) -> Result<Vec<u8>, ReceiptError> {
    match mode {
        Mode::Text => text_mode(layout),
        Mode::Bitmap(renderer) => bitmap_mode(layout, renderer),
    }
}

/// Writes the layout as ESC/POS bytes in `mode` to `out`.
pub fn write(layout: &Layout, mode: &Mode, mut out: impl Write) -> Result<(), ReceiptError> {
    let bytes = render(layout, mode)?;
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .map_err(|source| ReceiptError::Io {
            printer: "output".to_string(),
            source,
        })
}

/// An `escpos` driver that collects the bytes in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryDriver(Arc<Mutex<Vec<u8>>>);

impl MemoryDriver {
    /// Takes the bytes written so far.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Driver for MemoryDriver {
    fn name(&self) -> String {
        "memory".to_string()
    }

    fn write(&self, data: &[u8]) -> ::escpos::errors::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> ::escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> ::escpos::errors::Result<()> {
        Ok(())
    }
}

fn printer(layout: &Layout) -> (MemoryDriver, Printer<MemoryDriver>) {
    let driver = MemoryDriver::default();
    let columns = u8::try_from(layout.paper.columns()).unwrap_or(u8::MAX);
    // No page code: text goes through the GB18030 encoder as it is.
    let options = PrinterOptions::new(None, None, columns);
    let protocol = Protocol::new(Encoder::new(GB18030));
    (
        driver.clone(),
        Printer::new(driver, protocol, Some(options)),
    )
}

/// Characters a GBK printer font lacks (those GB18030 encodes in four
/// bytes: rare ideographs, emoji) print as □ or ?, keeping the columns.
fn printable(text: &str) -> Cow<'_, str> {
    let fits = |c: char| c.is_ascii() || in_gbk_for_sure(c) || is_double_byte(c);
    if text.chars().all(fits) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                c if fits(c) => c,
                c if char_columns(c) >= 2 => '□',
                _ => '?',
            })
            .collect(),
    )
}

/// True when GB18030 encodes `c` in two bytes (GBK).
fn is_double_byte(c: char) -> bool {
    let mut utf8 = [0u8; 4];
    let mut gb = [0u8; 8];
    let (_, _, written) = GB18030.new_encoder().encode_from_utf8_without_replacement(
        c.encode_utf8(&mut utf8),
        &mut gb,
        false,
    );
    written == 2
}

/// Blocks GBK holds whole: the common CJK ideographs, CJK punctuation and
/// full-width forms (including ￥). Others are checked with the encoder.
fn in_gbk_for_sure(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FA5}' | '\u{3001}'..='\u{3002}' | '\u{FF01}'..='\u{FF5E}' | '￥')
}

/// The layout as ESC/POS text-mode bytes: `ESC @`, `FS &`, GB18030 text,
/// `ESC E` for bold, `GS !` for double size, `GS ( k` for QR codes.
pub fn text_mode(layout: &Layout) -> Result<Vec<u8>, ReceiptError> {
    let (driver, mut p) = printer(layout);
    p.init()?.custom(&FS_CHINESE_MODE)?;
    if layout.open_drawer {
        p.custom(&DRAWER_KICK)?;
    }
    let rule = "-".repeat(layout.paper.columns());
    let mut current = Style::NORMAL;
    // Lines of one style go out as one text run ending each line with LF:
    // fewer instructions for the `escpos` printer to copy.
    let mut run = String::with_capacity(1024);
    for line in &layout.lines {
        let (text, style) = match line {
            Line::Text { text, style } => (printable(text), *style),
            Line::Rule => (Cow::Borrowed(rule.as_str()), Style::NORMAL),
            Line::Qr(payload) => {
                flush_run(&mut p, &mut run)?;
                let option = QRCodeOption::new(
                    QRCodeModel::Model2,
                    layout.paper.qr_module_dots(),
                    QRCodeCorrectionLevel::M,
                );
                p.justify(JustifyMode::CENTER)?
                    .qrcode_option(payload, option)?
                    .justify(JustifyMode::LEFT)?;
                continue;
            }
        };
        if style != current {
            flush_run(&mut p, &mut run)?;
            set_style(&mut p, &mut current, style)?;
        }
        run.push_str(&text);
        run.push('\n');
    }
    flush_run(&mut p, &mut run)?;
    set_style(&mut p, &mut current, Style::NORMAL)?;
    p.print_cut()?;
    Ok(driver.take())
}

fn flush_run(p: &mut Printer<MemoryDriver>, run: &mut String) -> Result<(), ReceiptError> {
    if !run.is_empty() {
        p.write(run)?;
        run.clear();
    }
    Ok(())
}

fn set_style(
    p: &mut Printer<MemoryDriver>,
    current: &mut Style,
    want: Style,
) -> Result<(), ReceiptError> {
    if current.bold != want.bold {
        p.bold(want.bold)?;
    }
    if current.double != want.double {
        if want.double {
            p.size(2, 2)?;
        } else {
            p.reset_size()?;
        }
    }
    *current = want;
    Ok(())
}

/// The layout as ESC/POS bitmap-mode bytes: `ESC @`, then the raster in
/// `GS v 0` bands of at most [`RASTER_BAND_ROWS`] rows.
pub fn bitmap_mode(layout: &Layout, renderer: &BitmapRenderer) -> Result<Vec<u8>, ReceiptError> {
    let raster = renderer.render(layout)?;
    raster_bytes(&raster, layout.open_drawer)
}

/// A raster as ESC/POS bytes, with an optional drawer kick and a cut.
pub fn raster_bytes(raster: &Raster, open_drawer: bool) -> Result<Vec<u8>, ReceiptError> {
    let driver = MemoryDriver::default();
    let mut p = Printer::new(driver.clone(), Protocol::default(), None);
    p.init()?;
    if open_drawer {
        p.custom(&DRAWER_KICK)?;
    }
    let stride = raster.stride();
    let width_bytes = u16::try_from(stride).map_err(|e| ReceiptError::Encode(e.to_string()))?;
    let mut top = 0u32;
    while top < raster.height() {
        let rows = RASTER_BAND_ROWS.min(raster.height() - top);
        let start = top as usize * stride;
        let data = &raster.bits()[start..start + rows as usize * stride];
        let [xl, xh] = width_bytes.to_le_bytes();
        let [yl, yh] = u16::try_from(rows)
            .map_err(|e| ReceiptError::Encode(e.to_string()))?
            .to_le_bytes();
        let mut cmd = Vec::with_capacity(8 + data.len());
        cmd.extend_from_slice(&[0x1D, b'v', b'0', 0, xl, xh, yl, yh]);
        cmd.extend_from_slice(data);
        p.custom(&cmd)?;
        top += rows;
    }
    p.print_cut()?;
    Ok(driver.take())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_byte_characters_are_replaced() {
        assert_eq!(printable("王秀英"), "王秀英");
        assert_eq!(printable("𠈌明 ŵ"), "□明 ?");
        assert_eq!(printable("￥"), "￥");
    }
}
