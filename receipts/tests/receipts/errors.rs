//! Every error speaks to the cashier in Chinese as well as English, with a
//! stable code a terminal can translate itself.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use receipts::ReceiptError;

/// One of each variant. The match below has no wildcard, so a new variant
/// does not compile until it is listed here.
fn every_error() -> Vec<ReceiptError> {
    let printer = || "192.168.1.50:9100".to_string();
    let os = || io::Error::other("boom");
    let all = vec![
        ReceiptError::Overflow,
        ReceiptError::Encode("bad".into()),
        ReceiptError::FontFile {
            path: PathBuf::from("/x.ttc"),
            source: os(),
        },
        ReceiptError::BadFont {
            path: PathBuf::from("/x.ttc"),
            index: 3,
        },
        ReceiptError::MissingGlyph('￥'),
        ReceiptError::Qr("too long".into()),
        ReceiptError::Png("no".into()),
        ReceiptError::BadAddress("printer.local".into()),
        ReceiptError::Unreachable {
            printer: printer(),
            source: os(),
        },
        ReceiptError::Timeout {
            printer: printer(),
            timeout: Duration::from_secs(5),
        },
        ReceiptError::OutOfPaper { printer: printer() },
        ReceiptError::Incomplete { printer: printer() },
        ReceiptError::Fault { printer: printer() },
        ReceiptError::CoverOpen { printer: printer() },
        ReceiptError::PermissionDenied {
            printer: printer(),
            source: os(),
        },
        ReceiptError::Io {
            printer: printer(),
            source: os(),
        },
    ];
    for e in &all {
        match e {
            ReceiptError::Overflow
            | ReceiptError::Encode(_)
            | ReceiptError::FontFile { .. }
            | ReceiptError::BadFont { .. }
            | ReceiptError::MissingGlyph(_)
            | ReceiptError::Qr(_)
            | ReceiptError::Png(_)
            | ReceiptError::BadAddress(_)
            | ReceiptError::Unreachable { .. }
            | ReceiptError::Timeout { .. }
            | ReceiptError::OutOfPaper { .. }
            | ReceiptError::Incomplete { .. }
            | ReceiptError::Fault { .. }
            | ReceiptError::CoverOpen { .. }
            | ReceiptError::PermissionDenied { .. }
            | ReceiptError::Io { .. } => {}
        }
    }
    all
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

#[test]
fn every_error_has_a_chinese_message_and_a_stable_code() {
    let mut codes = HashSet::new();
    for e in every_error() {
        let english = e.to_string();
        let chinese = e.message_zh();
        let code = e.code();
        assert!(!has_chinese(&english), "{english}");
        assert!(has_chinese(&chinese), "{code}: {chinese}");
        assert!(
            code.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !code.is_empty(),
            "{code}"
        );
        assert!(codes.insert(code), "{code} is used twice");
        if e.is_printer_problem() {
            assert!(code.starts_with("printer_"), "{code}");
            assert!(chinese.contains("192.168.1.50:9100"), "{chinese}");
            assert!(chinese.contains("打印"), "{chinese}");
        }
    }
}

#[test]
fn printer_errors_tell_the_cashier_what_to_do() {
    let out = ReceiptError::OutOfPaper {
        printer: "/dev/usb/lp0".into(),
    };
    assert_eq!(out.code(), "printer_out_of_paper");
    assert_eq!(
        out.message_zh(),
        "打印机 /dev/usb/lp0 缺纸：请装上新纸卷，然后重新打印"
    );
    let late = ReceiptError::Timeout {
        printer: "192.168.1.50:9100".into(),
        timeout: Duration::from_millis(2500),
    };
    assert!(
        late.message_zh().contains("2500 毫秒"),
        "{}",
        late.message_zh()
    );
}
