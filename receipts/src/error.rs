//! The one error type of the crate.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why a receipt could not be built, rendered or printed.
///
/// Printer errors ([`ReceiptError::is_printer_problem`]) leave the sale
/// untouched: it is already recorded, so the caller shows the message and
/// offers to print again.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The sale's amounts overflow (no real sale does this).
    #[error("the sale's amounts are too large to print")]
    Overflow,
    /// The ESC/POS encoder refused the data.
    #[error("cannot encode the receipt for the printer: {0}")]
    Encode(String),
    /// The font file could not be read.
    #[error(
        "cannot read the receipt font {path}: {source} (install it with `apt-get install fonts-wqy-microhei` or set another font path)"
    )]
    FontFile {
        /// Where the font was looked for.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The font file is not a font, or has no such face.
    #[error("{path} face {index} is not a usable TrueType/OpenType font")]
    BadFont {
        /// The font file.
        path: PathBuf,
        /// The face asked for in the collection.
        index: u32,
    },
    /// The font has no glyph for most characters of the receipt (not a CJK font).
    #[error("the receipt font has no glyph for '{0}': choose a font with Chinese characters")]
    MissingGlyph(char),
    /// The QR code could not be made.
    #[error("cannot make the QR code: {0}")]
    Qr(String),
    /// The PNG preview could not be encoded.
    #[error("cannot write the PNG preview: {0}")]
    Png(String),
    /// The printer address is not `IP` or `IP:port`.
    #[error(
        "'{0}' is not a printer address: write an IP address such as 192.168.1.50 or 192.168.1.50:9100"
    )]
    BadAddress(String),
    /// The printer could not be reached: connection refused, no route, no
    /// such device.
    #[error("printer {printer} cannot be reached ({source}): is it switched on and connected?")]
    Unreachable {
        /// The printer, as [`crate::printer::PrinterOutput::describe`] names it.
        printer: String,
        /// What the system said.
        source: io::Error,
    },
    /// The printer did not take the data or answer in time.
    #[error(
        "printer {printer} did not respond within {} ms: check that it is switched on, has paper and its cover is closed, then print again",
        timeout.as_millis()
    )]
    Timeout {
        /// The printer.
        printer: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// The printer reports that its paper has run out.
    #[error("printer {printer} is out of paper: load a new roll, then print again")]
    OutOfPaper {
        /// The printer.
        printer: String,
    },
    /// The printer reports that its cover is open.
    #[error("printer {printer} has its cover open: close it, then print again")]
    CoverOpen {
        /// The printer.
        printer: String,
    },
    /// The operating system refused access to the printer device.
    #[error(
        "no permission to use printer {printer}: add the terminal's user to the `lp` group ({source})"
    )]
    PermissionDenied {
        /// The printer.
        printer: String,
        /// What the system said.
        source: io::Error,
    },
    /// Another input/output error while printing.
    #[error("printer {printer} failed: {source}")]
    Io {
        /// The printer.
        printer: String,
        /// What the system said.
        source: io::Error,
    },
}

impl ReceiptError {
    /// True for errors of the printer or its connection, after which the
    /// same bytes can be sent again once the printer is fixed.
    pub fn is_printer_problem(&self) -> bool {
        matches!(
            self,
            ReceiptError::Unreachable { .. }
                | ReceiptError::Timeout { .. }
                | ReceiptError::OutOfPaper { .. }
                | ReceiptError::CoverOpen { .. }
                | ReceiptError::PermissionDenied { .. }
                | ReceiptError::Io { .. }
        )
    }
}

impl From<escpos::errors::PrinterError> for ReceiptError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        ReceiptError::Encode(e.to_string())
    }
}
