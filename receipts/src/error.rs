//! The one error type of the crate.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why a receipt could not be built, rendered or printed.
///
/// Printer errors ([`ReceiptError::is_printer_problem`]) leave the sale
/// untouched: it is already recorded, so the caller shows the message and
/// offers to print again. The `Display` text is English; the cashier's
/// screen shows [`ReceiptError::message_zh`], and [`ReceiptError::code`] is
/// a stable name for logs and translations.
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
    /// The printer closed or reset the connection before it had taken the
    /// whole receipt: what printed may be cut short.
    #[error(
        "printer {printer} closed the connection before taking the whole receipt: check the paper, then print again"
    )]
    Incomplete {
        /// The printer.
        printer: String,
    },
    /// The printer reports an error such as a cutter jam or overheating.
    #[error(
        "printer {printer} reports an error (cutter jam or overheating): switch it off and on, then print again"
    )]
    Fault {
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
                | ReceiptError::Incomplete { .. }
                | ReceiptError::Fault { .. }
                | ReceiptError::PermissionDenied { .. }
                | ReceiptError::Io { .. }
        )
    }

    /// A stable code for the error, for logs and for a terminal that shows
    /// its own translation: `printer_timeout`, `printer_out_of_paper`…
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::Overflow => "amount_overflow",
            ReceiptError::Encode(_) => "encode_failed",
            ReceiptError::FontFile { .. } => "font_file_unreadable",
            ReceiptError::BadFont { .. } => "font_unusable",
            ReceiptError::MissingGlyph(_) => "font_lacks_chinese",
            ReceiptError::Qr(_) => "qr_code_failed",
            ReceiptError::Png(_) => "png_preview_failed",
            ReceiptError::BadAddress(_) => "printer_bad_address",
            ReceiptError::Unreachable { .. } => "printer_unreachable",
            ReceiptError::Timeout { .. } => "printer_timeout",
            ReceiptError::OutOfPaper { .. } => "printer_out_of_paper",
            ReceiptError::Incomplete { .. } => "printer_incomplete",
            ReceiptError::Fault { .. } => "printer_fault",
            ReceiptError::CoverOpen { .. } => "printer_cover_open",
            ReceiptError::PermissionDenied { .. } => "printer_permission_denied",
            ReceiptError::Io { .. } => "printer_io",
        }
    }

    /// The message in Chinese, for the cashier: what happened and what to
    /// do. The English one is the `Display` text.
    pub fn message_zh(&self) -> String {
        match self {
            ReceiptError::Overflow => "金额过大，无法打印小票".to_string(),
            ReceiptError::Encode(why) => format!("无法为打印机生成小票数据：{why}"),
            ReceiptError::FontFile { path, source } => format!(
                "无法读取小票字体 {}（{source}）：请用 apt-get install fonts-wqy-microhei 安装，或设置其他字体路径",
                path.display()
            ),
            ReceiptError::BadFont { path, index } => {
                format!(
                    "{} 的第 {index} 个字体不是可用的 TrueType/OpenType 字体",
                    path.display()
                )
            }
            ReceiptError::MissingGlyph(c) => {
                format!("小票字体没有“{c}”字：请选择含中文的字体")
            }
            ReceiptError::Qr(why) => format!("无法生成二维码：{why}"),
            ReceiptError::Png(why) => format!("无法生成 PNG 预览：{why}"),
            ReceiptError::BadAddress(text) => format!(
                "“{text}”不是打印机地址：请填写 IP 地址，例如 192.168.1.50 或 192.168.1.50:9100"
            ),
            ReceiptError::Unreachable { printer, .. } => {
                format!("无法连接打印机 {printer}：请检查打印机是否开机，网线或 USB 线是否接好")
            }
            ReceiptError::Timeout { printer, timeout } => format!(
                "打印机 {printer} 在 {} 毫秒内没有响应：请检查打印机是否开机、有纸、纸仓盖已合上，然后重新打印",
                timeout.as_millis()
            ),
            ReceiptError::OutOfPaper { printer } => {
                format!("打印机 {printer} 缺纸：请装上新纸卷，然后重新打印")
            }
            ReceiptError::Incomplete { printer } => format!(
                "打印机 {printer} 没有收完小票就断开了连接，小票可能不完整：请检查纸张，然后重新打印"
            ),
            ReceiptError::Fault { printer } => {
                format!("打印机 {printer} 报告故障（切刀卡纸或过热）：请关机再开机，然后重新打印")
            }
            ReceiptError::CoverOpen { printer } => {
                format!("打印机 {printer} 的纸仓盖没有合上：请合上后重新打印")
            }
            ReceiptError::PermissionDenied { printer, .. } => {
                format!("没有使用打印机 {printer} 的权限：请把收银终端的用户加入 lp 组")
            }
            ReceiptError::Io { printer, source } => {
                format!("打印机 {printer} 出错（{source}）：请检查打印机，然后重新打印")
            }
        }
    }
}

impl From<escpos::errors::PrinterError> for ReceiptError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        ReceiptError::Encode(e.to_string())
    }
}
