//! Where receipt bytes go: a network printer, a device file, a file, or
//! memory, all behind [`PrinterOutput`].
//!
//! Every output gives up within its timeout with a clear
//! [`ReceiptError`]; nothing here retries on its own. The sale is already
//! recorded before a receipt is printed, so the caller shows the error and
//! sends the same bytes again when the cashier asks.
//!
//! # How a caller learns that a receipt did not print
//!
//! Only from the `Err` of [`PrinterOutput::send`]. `Ok` from a
//! [`NetworkPrinter`] means: the printer answered the status request with
//! paper loaded and its cover closed (when it answers status requests at
//! all, see [`StatusCheck`]), took every byte of the receipt, cut included,
//! and then closed the connection, all within one deadline. A printer that
//! stops reading (empty roll, jam) gives [`ReceiptError::Timeout`]; one that
//! drops the connection half way gives [`ReceiptError::Incomplete`]. A roll
//! that runs out in the middle of a receipt is only seen by the cashier:
//! printers report it after they have taken the bytes.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ::escpos::utils::{RealTimeStatusRequest, RealTimeStatusResponse};

use crate::error::ReceiptError;

/// The raw TCP port of network receipt printers ("JetDirect").
pub const DEFAULT_PORT: u16 = 9100;

/// The whole job's deadline: connecting, the status check, taking the
/// bytes and closing.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// `DLE EOT 4`: transmit the paper roll sensor status (real time).
pub const DLE_EOT_PAPER: [u8; 3] = [0x10, 0x04, 0x04];
/// `DLE EOT 2`: transmit the offline cause status (real time).
pub const DLE_EOT_OFFLINE: [u8; 3] = [0x10, 0x04, 0x02];

/// With [`StatusCheck::Auto`], how long to wait for a status answer
/// before taking the printer for one that does not answer (at most a
/// quarter of the deadline). Printers answer in a few milliseconds.
pub const STATUS_PROBE: Duration = Duration::from_millis(800);

/// Bytes a printer sent before we ask (a greeting, automatic status) are
/// read and dropped until the line has been quiet this long.
pub const STALE_QUIET: Duration = Duration::from_millis(100);

/// Something that prints receipt bytes.
pub trait PrinterOutput: Send {
    /// Sends one whole receipt. `Ok` only when the printer took all of it;
    /// on error nothing is retried, and calling again with the same bytes
    /// prints it again.
    fn send(&mut self, bytes: &[u8]) -> Result<(), ReceiptError>;

    /// The printer in words, for messages: `192.168.1.50:9100`, `/dev/usb/lp0`.
    fn describe(&self) -> String;
}

impl<P: PrinterOutput + ?Sized> PrinterOutput for Box<P> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ReceiptError> {
        (**self).send(bytes)
    }

    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Whether to ask the printer for its paper and cover status (`DLE EOT 4`,
/// `DLE EOT 2`) before each receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StatusCheck {
    /// Never ask.
    Off,
    /// Ask. A printer that answers is refused the receipt when it is out
    /// of paper, open or in error. One that gives no answer within
    /// [`STATUS_PROBE`] gets the receipt anyway (it may be a printer that
    /// does not answer status requests), and is not asked again once it
    /// has taken a receipt without answering. The default.
    #[default]
    Auto,
    /// Ask, and fail with [`ReceiptError::Timeout`] when no answer comes:
    /// for printers known to answer.
    Required,
}

impl std::str::FromStr for StatusCheck {
    type Err = String;

    /// Parses `off`, `auto` or `required` (also `on`).
    fn from_str(s: &str) -> Result<StatusCheck, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "no" | "false" => Ok(StatusCheck::Off),
            "auto" => Ok(StatusCheck::Auto),
            "required" | "on" | "yes" | "true" => Ok(StatusCheck::Required),
            _ => Err(format!(
                "'{s}' is not a status check: write off, auto or required"
            )),
        }
    }
}

/// Opens the printer a configuration line names:
///
/// - `192.168.1.50`, `192.168.1.50:9100` or `tcp://192.168.1.50:9100`: a
///   [`NetworkPrinter`];
/// - a path under `/dev/`, such as `/dev/usb/lp0`: a [`DevicePrinter`];
/// - `file:/var/lib/canteen/receipts.bin`: a [`FilePrinter`];
/// - `memory`: a [`MemoryPrinter`] (for demos).
///
/// Network and device printers take `?status=off`, `?status=auto` (the
/// default) or `?status=required` at the end, e.g.
/// `192.168.1.50?status=off` for a printer that never answers status
/// requests. `timeout` is the whole job's deadline for network and device
/// printers.
pub fn from_config(text: &str, timeout: Duration) -> Result<Box<dyn PrinterOutput>, ReceiptError> {
    let t = text.trim();
    if t == "memory" {
        return Ok(Box::new(MemoryPrinter::new()));
    }
    if let Some(path) = t.strip_prefix("file:") {
        return Ok(Box::new(FilePrinter::new(path)));
    }
    let bad = || ReceiptError::BadAddress(text.to_string());
    let (t, status) = match t.split_once('?') {
        Some((place, query)) => {
            let value = query.trim().strip_prefix("status=").ok_or_else(bad)?;
            (
                place.trim(),
                value.parse::<StatusCheck>().map_err(|_| bad())?,
            )
        }
        None => (t, StatusCheck::default()),
    };
    if t.starts_with("/dev/") {
        return Ok(Box::new(
            DevicePrinter::new(t)
                .with_timeout(timeout)
                .with_status(status),
        ));
    }
    let addr = t.strip_prefix("tcp://").unwrap_or(t);
    match NetworkPrinter::parse(addr) {
        Ok(p) => Ok(Box::new(p.with_timeout(timeout).with_status(status))),
        Err(_) => Err(bad()),
    }
}

/// A printer on the network, raw TCP (port 9100).
///
/// [`PrinterOutput::send`] connects, asks the status ([`StatusCheck`]),
/// writes the receipt, shuts down its side of the connection, reads and
/// drops whatever the printer sends until the printer closes its side, and
/// only then closes: closing with unread bytes would make the system reset
/// the connection and lose the end of the receipt. All of it shares one
/// deadline ([`NetworkPrinter::with_timeout`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPrinter {
    addr: SocketAddr,
    timeout: Duration,
    status: StatusCheck,
    /// Learned under [`StatusCheck::Auto`]: it took a receipt without
    /// answering the status request.
    silent: bool,
}

impl NetworkPrinter {
    /// The printer at `addr`, with the default timeout and status check.
    pub fn new(addr: SocketAddr) -> NetworkPrinter {
        NetworkPrinter {
            addr,
            timeout: DEFAULT_TIMEOUT,
            status: StatusCheck::default(),
            silent: false,
        }
    }

    /// Parses `192.168.1.50` (port 9100) or `192.168.1.50:9100`.
    ///
    /// Only IP addresses: a host name would need a DNS lookup that no
    /// timeout bounds, and shop networks seldom have DNS for printers.
    pub fn parse(text: &str) -> Result<NetworkPrinter, ReceiptError> {
        let t = text.trim();
        let addr = t
            .parse::<SocketAddr>()
            .or_else(|_| {
                t.parse::<IpAddr>()
                    .map(|ip| SocketAddr::new(ip, DEFAULT_PORT))
            })
            .map_err(|_| ReceiptError::BadAddress(text.to_string()))?;
        Ok(NetworkPrinter::new(addr))
    }

    /// The deadline of a whole job: connecting, the status check, sending
    /// the receipt and the printer closing the connection.
    pub fn with_timeout(mut self, timeout: Duration) -> NetworkPrinter {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How to check the printer's status before each receipt.
    pub fn with_status(mut self, status: StatusCheck) -> NetworkPrinter {
        self.status = status;
        self.silent = false;
        self
    }

    /// `true`: [`StatusCheck::Required`]; `false`: [`StatusCheck::Off`].
    pub fn with_status_check(self, on: bool) -> NetworkPrinter {
        self.with_status(if on {
            StatusCheck::Required
        } else {
            StatusCheck::Off
        })
    }

    /// The printer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn error(&self, e: io::Error) -> ReceiptError {
        io_error(self.describe(), self.timeout, e)
    }

    fn job(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), ReceiptError> {
        let printer = self.describe();
        let first = remaining(deadline).map_err(|e| self.error(e))?;
        let stream = TcpStream::connect_timeout(&self.addr, first).map_err(|e| self.error(e))?;
        // Receipts are sent whole: no need to wait for Nagle.
        stream.set_nodelay(true).map_err(|e| self.error(e))?;
        let mut stream = stream;
        let ask = match self.status {
            StatusCheck::Off => false,
            StatusCheck::Auto => !self.silent,
            StatusCheck::Required => true,
        };
        let mut answered = true;
        if ask {
            answered = check_status(&mut stream, &printer, self.status, self.timeout, deadline)?;
        }
        write_all(&mut stream, bytes, deadline).map_err(|e| self.send_error(e))?;
        stream
            .shutdown(Shutdown::Write)
            .map_err(|e| self.send_error(e))?;
        wait_for_close(&mut stream, deadline).map_err(|e| self.send_error(e))?;
        if ask && !answered {
            // It took the receipt without answering: not a printer that answers.
            self.silent = true;
        }
        Ok(())
    }

    /// Errors once the receipt is on its way: a reset means part of it was lost.
    fn send_error(&self, e: io::Error) -> ReceiptError {
        use io::ErrorKind as K;
        match e.kind() {
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                ReceiptError::Incomplete {
                    printer: self.describe(),
                }
            }
            _ => self.error(e),
        }
    }
}

impl PrinterOutput for NetworkPrinter {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ReceiptError> {
        let deadline = Instant::now() + self.timeout;
        self.job(bytes, deadline)
    }

    fn describe(&self) -> String {
        self.addr.to_string()
    }
}

/// Time left before `deadline`, or a timeout error when none is left.
fn remaining(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(io::Error::from(io::ErrorKind::TimedOut))
    } else {
        Ok(left)
    }
}

/// A connection to a printer that can be read and written with a deadline.
trait Port: Read + Write {
    /// Waits for at most `wait` in the next read or write (never zero).
    fn allow(&mut self, wait: Duration) -> io::Result<()>;
}

impl Port for TcpStream {
    fn allow(&mut self, wait: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(wait))?;
        self.set_write_timeout(Some(wait))
    }
}

/// A device opened non-blocking: waiting is a short sleep between tries.
struct Device(std::fs::File);

/// Poll interval while a non-blocking device has nothing to give or take.
const DEVICE_POLL: Duration = Duration::from_millis(5);

impl Read for Device {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Device {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Port for Device {
    fn allow(&mut self, _wait: Duration) -> io::Result<()> {
        Ok(())
    }
}

fn is_wait(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Writes all of `bytes` before `deadline`, however slowly the printer
/// takes them: each write may only wait for the time that is left.
fn write_all(port: &mut impl Port, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        let left = remaining(deadline)?;
        port.allow(left)?;
        match port.write(bytes) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if is_wait(&e) => std::thread::sleep(DEVICE_POLL.min(left)),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads one byte, waiting until `until` at most; `Ok(None)` when none
/// came, an `UnexpectedEof` error when the printer closed its side.
fn read_byte(port: &mut impl Port, until: Instant) -> io::Result<Option<u8>> {
    let mut byte = [0u8; 1];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        port.allow(left)?;
        match port.read(&mut byte) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            Ok(_) => return Ok(Some(byte[0])),
            Err(e) if is_wait(&e) => std::thread::sleep(DEVICE_POLL.min(left)),
            Err(e) => return Err(e),
        }
    }
}

/// After our side is shut down: reads and drops what the printer sends
/// until it closes its side, which it does once it has read everything.
fn wait_for_close(stream: &mut TcpStream, deadline: Instant) -> io::Result<()> {
    let mut sink = [0u8; 512];
    loop {
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_wait(&e) => return Err(io::Error::from(io::ErrorKind::TimedOut)),
            Err(e) => return Err(e),
        }
    }
    match stream.take_error()? {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Reads and drops what the printer sent before we ask anything, until
/// the line has been quiet for [`STALE_QUIET`].
fn drain_stale(port: &mut impl Port, deadline: Instant) -> io::Result<()> {
    loop {
        let quiet = (Instant::now() + STALE_QUIET).min(deadline);
        if read_byte(port, quiet)?.is_none() {
            return Ok(());
        }
    }
}

/// A status answer: which conditions are set.
type Status = HashMap<RealTimeStatusResponse, bool>;

/// Sends the real-time status requests at once and reads their answers in
/// order: each is the next byte that has the fixed pattern of an answer
/// (`0xx1xx10`); any other byte (automatic status blocks, noise) is
/// skipped. Returns the answers that came by `until`, maybe fewer than asked.
fn ask(
    port: &mut impl Port,
    requests: &[([u8; 3], RealTimeStatusRequest)],
    until: Instant,
) -> io::Result<Vec<Status>> {
    let all: Vec<u8> = requests.iter().flat_map(|(r, _)| *r).collect();
    match write_all(port, &all, until) {
        Ok(()) => {}
        // A printer that stopped reading cannot take even this.
        Err(e) if is_wait(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    let mut answers = Vec::with_capacity(requests.len());
    for &(_, kind) in requests {
        loop {
            let byte = match read_byte(port, until) {
                Ok(Some(byte)) => byte,
                Ok(None) => return Ok(answers),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(e),
                // A device that cannot be read (a one-way usblp printer)
                // gives no answer; a broken connection shows when writing.
                Err(_) => return Ok(answers),
            };
            if let Ok(status) = RealTimeStatusResponse::parse(kind, byte) {
                answers.push(status);
                break;
            }
        }
    }
    Ok(answers)
}

/// Asks for the paper and offline status. An error when an answer says
/// the printer cannot print, or when none came and `mode` requires one;
/// otherwise whether the printer answered at all.
fn check_status(
    port: &mut impl Port,
    printer: &str,
    mode: StatusCheck,
    timeout: Duration,
    deadline: Instant,
) -> Result<bool, ReceiptError> {
    use RealTimeStatusResponse as R;
    let err = |e: io::Error| io_error(printer.to_string(), timeout, e);
    let named = |e: fn(String) -> ReceiptError| Err(e(printer.to_string()));
    match drain_stale(port, deadline) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(err(e)),
        // Nothing to read, or it cannot be read: the answers will tell.
        Ok(()) | Err(_) => {}
    }
    let until = match mode {
        StatusCheck::Auto => deadline.min(Instant::now() + STATUS_PROBE.min(timeout / 4)),
        StatusCheck::Off | StatusCheck::Required => deadline,
    };
    let answers = ask(
        port,
        &[
            (DLE_EOT_PAPER, RealTimeStatusRequest::RollPaperSensor),
            (DLE_EOT_OFFLINE, RealTimeStatusRequest::OfflineCause),
        ],
        until,
    )
    .map_err(err)?;
    let is = |i: usize, key: R| answers.get(i).and_then(|a| a.get(&key)).copied();
    if is(0, R::RollPaperEndSensorPaperPresent) == Some(false) {
        return named(|printer| ReceiptError::OutOfPaper { printer });
    }
    if is(1, R::CoverClosed) == Some(false) {
        return named(|printer| ReceiptError::CoverOpen { printer });
    }
    if is(1, R::PrintingStopsDueToPaperEnd) == Some(true) {
        return named(|printer| ReceiptError::OutOfPaper { printer });
    }
    if is(1, R::ErrorOccurred) == Some(true) {
        return named(|printer| ReceiptError::Fault { printer });
    }
    match (answers.len(), mode) {
        (2, _) => Ok(true),
        (_, StatusCheck::Required) => Err(ReceiptError::Timeout {
            printer: printer.to_string(),
            timeout,
        }),
        // Half an answer still shows a printer that answers.
        (n, StatusCheck::Off | StatusCheck::Auto) => Ok(n > 0),
    }
}

/// Maps an I/O error to what the cashier can do about it.
fn io_error(printer: String, timeout: Duration, e: io::Error) -> ReceiptError {
    use io::ErrorKind as K;
    match e.kind() {
        K::TimedOut | K::WouldBlock => ReceiptError::Timeout { printer, timeout },
        K::ConnectionRefused
        | K::NotFound
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::AddrNotAvailable
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::BrokenPipe
        | K::NotConnected => ReceiptError::Unreachable { printer, source: e },
        K::UnexpectedEof => ReceiptError::Incomplete { printer },
        K::PermissionDenied => ReceiptError::PermissionDenied { printer, source: e },
        K::StorageFull => ReceiptError::OutOfPaper { printer },
        _ if e.raw_os_error() == Some(libc::ENODEV) || e.raw_os_error() == Some(libc::ENXIO) => {
            ReceiptError::Unreachable { printer, source: e }
        }
        _ => ReceiptError::Io { printer, source: e },
    }
}

/// A printer device file such as `/dev/usb/lp0` (Linux `usblp`) or a
/// parallel port.
///
/// Opened non-blocking, so a printer that stops taking data (out of paper,
/// cover open) gives a timeout instead of a hung write; `usblp` reports an
/// empty roll as "no space left", which becomes [`ReceiptError::OutOfPaper`].
/// A character device is opened for reading too, to ask the printer's
/// status ([`StatusCheck`], on by default); when it cannot be read, it is
/// opened for writing only and not asked. A FIFO (a spooler) is never asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePrinter {
    path: PathBuf,
    timeout: Duration,
    status: StatusCheck,
    silent: bool,
}

impl DevicePrinter {
    /// The device at `path`, with the default timeout and status check.
    pub fn new(path: impl Into<PathBuf>) -> DevicePrinter {
        DevicePrinter {
            path: path.into(),
            timeout: DEFAULT_TIMEOUT,
            status: StatusCheck::default(),
            silent: false,
        }
    }

    /// The deadline of a whole job: opening, the status check and taking
    /// the receipt.
    pub fn with_timeout(mut self, timeout: Duration) -> DevicePrinter {
        self.timeout = timeout;
        self
    }

    /// How to check the printer's status before each receipt.
    pub fn with_status(mut self, status: StatusCheck) -> DevicePrinter {
        self.status = status;
        self.silent = false;
        self
    }

    fn open(&self) -> io::Result<(std::fs::File, bool)> {
        let open = |read: bool| {
            let mut options = OpenOptions::new();
            options
                .read(read)
                .write(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
            options.open(&self.path)
        };
        let wants_status = match self.status {
            StatusCheck::Off => false,
            StatusCheck::Auto => !self.silent,
            StatusCheck::Required => true,
        };
        // A FIFO opened for reading too would always open, reader or not,
        // and read back our own requests.
        let char_device = std::fs::metadata(&self.path)
            .map(|m| m.file_type().is_char_device())
            .unwrap_or(false);
        if wants_status && char_device {
            match open(true) {
                Ok(f) => return Ok((f, true)),
                Err(e) if self.status == StatusCheck::Required => return Err(e),
                Err(_) => {}
            }
        }
        open(false).map(|f| (f, false))
    }
}

impl PrinterOutput for DevicePrinter {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ReceiptError> {
        let printer = self.describe();
        let err = |e| io_error(printer.clone(), self.timeout, e);
        let deadline = Instant::now() + self.timeout;
        let (device, readable) = self.open().map_err(err)?;
        let mut device = Device(device);
        let mut answered = true;
        if readable {
            answered = check_status(&mut device, &printer, self.status, self.timeout, deadline)?;
        } else if self.status == StatusCheck::Required {
            return Err(ReceiptError::Timeout {
                printer,
                timeout: self.timeout,
            });
        }
        write_all(&mut device, bytes, deadline).map_err(err)?;
        device.flush().map_err(err)?;
        if readable && !answered {
            self.silent = true;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// A file that receipts are appended to (created when missing): for a
/// printer shared through a spooler, or to keep what was printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePrinter {
    path: PathBuf,
}

impl FilePrinter {
    /// Appends to the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> FilePrinter {
        FilePrinter { path: path.into() }
    }
}

impl PrinterOutput for FilePrinter {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ReceiptError> {
        let err = |e| io_error(self.describe(), DEFAULT_TIMEOUT, e);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(err)?;
        file.write_all(bytes)
            .and_then(|()| file.flush())
            .map_err(err)
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// Keeps receipts in memory: for tests and previews. Clones share the
/// same buffer.
#[derive(Debug, Clone, Default)]
pub struct MemoryPrinter {
    buf: Arc<Mutex<Vec<u8>>>,
}

impl MemoryPrinter {
    /// An empty printer.
    pub fn new() -> MemoryPrinter {
        MemoryPrinter::default()
    }

    /// Everything sent so far.
    pub fn contents(&self) -> Vec<u8> {
        self.buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl PrinterOutput for MemoryPrinter {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ReceiptError> {
        self.buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_printer_addresses() {
        assert_eq!(
            NetworkPrinter::parse("192.168.1.50").unwrap().addr(),
            "192.168.1.50:9100".parse().unwrap()
        );
        assert_eq!(
            NetworkPrinter::parse(" 10.0.0.7:9101 ").unwrap().addr(),
            "10.0.0.7:9101".parse().unwrap()
        );
        assert!(matches!(
            NetworkPrinter::parse("printer.local"),
            Err(ReceiptError::BadAddress(_))
        ));
    }

    #[test]
    fn opens_the_printer_a_config_names() {
        let t = Duration::from_secs(2);
        let describe = |text: &str| from_config(text, t).map(|p| p.describe());
        assert_eq!(describe("192.168.1.50").unwrap(), "192.168.1.50:9100");
        assert_eq!(describe("tcp://10.0.0.7:9101").unwrap(), "10.0.0.7:9101");
        assert_eq!(describe("/dev/usb/lp0").unwrap(), "/dev/usb/lp0");
        assert_eq!(describe("file:/tmp/r.bin").unwrap(), "/tmp/r.bin");
        assert_eq!(describe("memory").unwrap(), "memory");
        assert!(matches!(describe("lp0"), Err(ReceiptError::BadAddress(_))));
    }

    #[test]
    fn a_missing_device_is_unreachable() {
        let err = DevicePrinter::new("/dev/usb/does-not-exist")
            .send(b"x")
            .unwrap_err();
        assert!(matches!(err, ReceiptError::Unreachable { .. }), "{err:?}");
        assert!(err.is_printer_problem());
    }
}
