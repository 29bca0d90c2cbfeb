//! Where receipt bytes go: a network printer, a device file, a file, or
//! memory, all behind [`PrinterOutput`].
//!
//! Every output gives up within its timeout with a clear
//! [`ReceiptError`]; nothing here retries on its own. The sale is already
//! recorded before a receipt is printed, so the caller shows the error and
//! sends the same bytes again when the cashier asks.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::ReceiptError;

/// The raw TCP port of network receipt printers ("JetDirect").
pub const DEFAULT_PORT: u16 = 9100;

/// How long a printer may take to connect, take the bytes or answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// `DLE EOT 4`: transmit the paper roll sensor status (real time).
pub const DLE_EOT_PAPER: [u8; 3] = [0x10, 0x04, 0x04];
/// `DLE EOT 2`: transmit the offline cause status (real time).
pub const DLE_EOT_OFFLINE: [u8; 3] = [0x10, 0x04, 0x02];

/// Something that prints receipt bytes.
pub trait PrinterOutput: Send {
    /// Sends one whole receipt. On error nothing is retried; calling again
    /// with the same bytes prints it again.
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

/// Opens the printer a configuration line names:
///
/// - `192.168.1.50`, `192.168.1.50:9100` or `tcp://192.168.1.50:9100`: a
///   [`NetworkPrinter`];
/// - a path under `/dev/`, such as `/dev/usb/lp0`: a [`DevicePrinter`];
/// - `file:/var/lib/canteen/receipts.bin`: a [`FilePrinter`];
/// - `memory`: a [`MemoryPrinter`] (for demos).
///
/// `timeout` applies to network and device printers.
pub fn from_config(text: &str, timeout: Duration) -> Result<Box<dyn PrinterOutput>, ReceiptError> {
    let t = text.trim();
    if t == "memory" {
        return Ok(Box::new(MemoryPrinter::new()));
    }
    if let Some(path) = t.strip_prefix("file:") {
        return Ok(Box::new(FilePrinter::new(path)));
    }
    if t.starts_with("/dev/") {
        return Ok(Box::new(DevicePrinter::new(t).with_timeout(timeout)));
    }
    let addr = t.strip_prefix("tcp://").unwrap_or(t);
    match NetworkPrinter::parse(addr) {
        Ok(p) => Ok(Box::new(p.with_timeout(timeout))),
        Err(_) => Err(ReceiptError::BadAddress(text.to_string())),
    }
}

/// A printer on the network, raw TCP (port 9100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPrinter {
    addr: SocketAddr,
    timeout: Duration,
    check_status: bool,
}

impl NetworkPrinter {
    /// The printer at `addr`, with the default timeout and no status check.
    pub fn new(addr: SocketAddr) -> NetworkPrinter {
        NetworkPrinter {
            addr,
            timeout: DEFAULT_TIMEOUT,
            check_status: false,
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

    /// The time allowed to connect, and again to send the receipt (and to
    /// answer the status request).
    pub fn with_timeout(mut self, timeout: Duration) -> NetworkPrinter {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Before each receipt, ask the printer for its paper and cover status
    /// (`DLE EOT 4`, `DLE EOT 2`) and refuse to send when it is out of paper
    /// or open. Printers that do not answer status requests then always
    /// time out, so this is off by default.
    pub fn with_status_check(mut self, on: bool) -> NetworkPrinter {
        self.check_status = on;
        self
    }

    /// The printer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn error(&self, e: io::Error) -> ReceiptError {
        io_error(self.describe(), self.timeout, e)
    }

    fn ask_status(&self, stream: &mut TcpStream, deadline: Instant) -> Result<(), ReceiptError> {
        let paper = self.status_byte(stream, &DLE_EOT_PAPER, deadline)?;
        if paper & 0x60 != 0 {
            return Err(ReceiptError::OutOfPaper {
                printer: self.describe(),
            });
        }
        let offline = self.status_byte(stream, &DLE_EOT_OFFLINE, deadline)?;
        if offline & 0x04 != 0 {
            return Err(ReceiptError::CoverOpen {
                printer: self.describe(),
            });
        }
        if offline & 0x20 != 0 {
            return Err(ReceiptError::OutOfPaper {
                printer: self.describe(),
            });
        }
        Ok(())
    }

    fn status_byte(
        &self,
        stream: &mut TcpStream,
        request: &[u8],
        deadline: Instant,
    ) -> Result<u8, ReceiptError> {
        write_before(stream, request, deadline).map_err(|e| self.error(e))?;
        let mut byte = [0u8; 1];
        loop {
            let left = remaining(deadline).map_err(|e| self.error(e))?;
            stream
                .set_read_timeout(Some(left))
                .map_err(|e| self.error(e))?;
            match stream.read(&mut byte) {
                Ok(0) => {
                    return Err(self.error(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the printer closed the connection",
                    )));
                }
                Ok(_) => return Ok(byte[0]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.error(e)),
            }
        }
    }
}

impl PrinterOutput for NetworkPrinter {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ReceiptError> {
        let mut stream =
            TcpStream::connect_timeout(&self.addr, self.timeout).map_err(|e| self.error(e))?;
        // Receipts are small and sent whole: no need to wait for Nagle.
        stream.set_nodelay(true).map_err(|e| self.error(e))?;
        let deadline = Instant::now() + self.timeout;
        if self.check_status {
            self.ask_status(&mut stream, deadline)?;
        }
        write_before(&mut stream, bytes, deadline).map_err(|e| self.error(e))?;
        // Tell the printer the job is complete; a printer that closes first is fine.
        let _ = stream.shutdown(Shutdown::Write);
        Ok(())
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

/// Writes all of `bytes` before `deadline`, however slowly the peer reads:
/// each write may only wait for the time that is left.
fn write_before(stream: &mut TcpStream, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        match stream.write(bytes) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePrinter {
    path: PathBuf,
    timeout: Duration,
}

impl DevicePrinter {
    /// The device at `path`, with the default timeout.
    pub fn new(path: impl Into<PathBuf>) -> DevicePrinter {
        DevicePrinter {
            path: path.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The time allowed to take the whole receipt.
    pub fn with_timeout(mut self, timeout: Duration) -> DevicePrinter {
        self.timeout = timeout;
        self
    }
}

/// Poll interval while a non-blocking device is full.
const DEVICE_POLL: Duration = Duration::from_millis(10);

impl PrinterOutput for DevicePrinter {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ReceiptError> {
        let err = |e| io_error(self.describe(), self.timeout, e);
        let mut options = OpenOptions::new();
        options.write(true);
        #[cfg(unix)]
        options.custom_flags(libc::O_NONBLOCK);
        let mut device = options.open(&self.path).map_err(err)?;
        let deadline = Instant::now() + self.timeout;
        let mut rest = bytes;
        while !rest.is_empty() {
            match device.write(rest) {
                Ok(0) => return Err(err(io::Error::from(io::ErrorKind::WriteZero))),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let left = remaining(deadline).map_err(err)?;
                    std::thread::sleep(DEVICE_POLL.min(left));
                }
                Err(e) => return Err(err(e)),
            }
        }
        device.flush().map_err(err)
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
