//! Receipts for the canteen counter: lays out a sale, a void slip or a
//! shift report for 58 mm or 80 mm paper and renders it to ESC/POS bytes
//! (GB18030 text mode or a raster bitmap) or to plain text for previews.
//!
//! It never decides a price or records a sale: the receipt is a copy of a
//! sale that is already durable elsewhere.
//!
//! # How it fits together
//!
//! 1. [`model`]: [`Receipt`], [`VoidSlip`] and [`ShiftReport`] hold
//!    display-ready data, built from canteen-core records with
//!    [`Receipt::from_sale`], [`VoidSlip::from_void`] and
//!    [`ShiftReport::from_sales`] plus a [`SaleContext`] (names the
//!    terminal knows).
//! 2. [`layout`]: `.layout(Paper::Mm58)` turns one into a [`Layout`] — lines
//!    already aligned for 32 or 48 columns, a Chinese character counting
//!    two — with styles (bold, double size), rules and QR codes. Pure.
//! 3. Renderers: [`text::render`] (plain text), [`escpos::text_mode`]
//!    (`FS &` + GB18030), [`escpos::bitmap_mode`] with a
//!    [`BitmapRenderer`] (`GS v 0` raster drawn with a CJK font) and
//!    [`BitmapRenderer::preview_png`].
//! 4. [`printer`]: [`PrinterOutput`] for a network printer (TCP 9100), a
//!    device file, a file or memory. `send` returns `Ok` only when the
//!    printer took the whole receipt (and, when it answers status requests,
//!    had paper and a closed cover: [`StatusCheck`], on by default); else it
//!    fails within one deadline with a [`ReceiptError`] the cashier can act
//!    on ([`ReceiptError::message_zh`], [`ReceiptError::code`]), and the
//!    same bytes can be sent again.
//!
//! ```
//! use receipts::{Paper, text};
//! # fn demo(receipt: &receipts::Receipt) -> Result<(), receipts::ReceiptError> {
//! let layout = receipt.layout(Paper::Mm58);
//! let preview = text::render(&layout);
//! let bytes = receipts::escpos::text_mode(&layout)?;
//! # let _ = (preview, bytes); Ok(()) }
//! ```
//!
//! It must never print a whole resident ID number (only the masked form
//! reaches a receipt), never let text from outside reach the printer as a
//! command, and never be the only record of a sale.

#![warn(missing_docs)]

pub mod bitmap;
mod error;
pub mod escpos;
pub mod layout;
pub mod model;
pub mod printer;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod text;

pub use bitmap::{BitmapRenderer, FontSpec, Raster};
pub use error::ReceiptError;
pub use escpos::Mode;
pub use layout::{Layout, Line, Paper, Style};
pub use model::{
    BasisTally, DinerLabel, ExtraLine, MealLine, PriceBasis, Receipt, Refund, SaleContext,
    ShiftClose, ShiftReport, VoidSlip,
};
pub use printer::{
    DevicePrinter, FilePrinter, MemoryPrinter, NetworkPrinter, PrinterOutput, StatusCheck,
};
