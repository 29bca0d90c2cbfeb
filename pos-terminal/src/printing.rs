//! Printing receipts through the `receipts` crate. A printer problem never
//! loses or blocks a sale: the sale is already stored; the cashier sees why
//! in Chinese and can print again.

use canteen_core::{Sale, Void};
use receipts::{Paper, PrinterOutput, Receipt, ReceiptError, SaleContext, ShiftReport, VoidSlip};

/// The printer and its paper, with the last document for a preview.
pub struct Printing {
    output: Box<dyn PrinterOutput>,
    paper: Paper,
    last_text: String,
}

/// A printer problem for the cashier, in Chinese.
pub fn printer_error_zh(e: &ReceiptError) -> String {
    match e {
        ReceiptError::OutOfPaper { .. } => "打印机缺纸：请装上新纸卷，再按“重打小票”".into(),
        ReceiptError::CoverOpen { .. } => "打印机盖未关好：请合上，再按“重打小票”".into(),
        ReceiptError::Timeout { .. } => {
            "打印机没有响应：请检查电源、纸卷和机盖，再按“重打小票”".into()
        }
        ReceiptError::Unreachable { .. } => {
            "连接不上打印机：请检查电源和网线，再按“重打小票”".into()
        }
        ReceiptError::PermissionDenied { .. } => "没有使用打印机的权限：请联系管理员".into(),
        other => format!("打印失败（{other}）：销售已保存，可按“重打小票”"),
    }
}

impl Printing {
    /// Prints to `output` on `paper`.
    pub fn new(output: Box<dyn PrinterOutput>, paper: Paper) -> Printing {
        Printing {
            output,
            paper,
            last_text: String::new(),
        }
    }

    /// Plain text of the last document sent, for the on-screen preview.
    pub fn last_text(&self) -> &str {
        &self.last_text
    }

    fn send(&mut self, layout: receipts::Layout) -> Result<(), String> {
        self.last_text = receipts::text::render(&layout);
        let bytes = receipts::escpos::text_mode(&layout).map_err(|e| printer_error_zh(&e))?;
        self.output.send(&bytes).map_err(|e| printer_error_zh(&e))
    }

    /// Prints a sale's receipt (`reprint` marks a copy).
    pub fn sale(&mut self, sale: &Sale, ctx: &SaleContext, reprint: bool) -> Result<(), String> {
        let mut receipt = Receipt::from_sale(sale, ctx).map_err(|e| printer_error_zh(&e))?;
        receipt.reprint = reprint;
        let layout = receipt.layout(self.paper);
        self.send(layout)
    }

    /// Prints a void slip.
    pub fn void(&mut self, void: &Void, sale: &Sale, ctx: &SaleContext) -> Result<(), String> {
        let slip = VoidSlip::from_void(void, sale, ctx).map_err(|e| printer_error_zh(&e))?;
        let layout = slip.layout(self.paper);
        self.send(layout)
    }

    /// Prints a shift report.
    pub fn shift(&mut self, report: &ShiftReport) -> Result<(), String> {
        let layout = report.layout(self.paper);
        self.send(layout)
    }
}
