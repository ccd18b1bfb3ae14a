//! Constants and small encoders of the ZIP format (APPNOTE 6.3.x) shared by
//! the writer and the structural reader.

pub const LOCAL_SIG: u32 = 0x0403_4b50;
pub const CENTRAL_SIG: u32 = 0x0201_4b50;
pub const EOCD_SIG: u32 = 0x0605_4b50;
pub const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub const DATA_DESCRIPTOR_SIG: u32 = 0x0807_4b50;

pub const LOCAL_HEADER_LEN: usize = 30;
pub const CENTRAL_HEADER_LEN: usize = 46;
pub const EOCD_LEN: usize = 22;
pub const ZIP64_EOCD_LEN: usize = 56;
pub const ZIP64_LOCATOR_LEN: usize = 20;

pub const METHOD_STORED: u16 = 0;
pub const METHOD_DEFLATED: u16 = 8;

pub const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
pub const FLAG_UTF8: u16 = 1 << 11;

pub const EXTRA_ZIP64: u16 = 0x0001;
pub const EXTRA_TIMESTAMP: u16 = 0x5455;
pub const EXTRA_UNIX_UIDGID: u16 = 0x7875;

/// "Version made by": Unix (3) in the high byte, spec 6.3 in the low byte.
pub const VERSION_MADE_BY: u16 = (3 << 8) | 63;
pub const VERSION_NEEDED_DEFAULT: u16 = 20;
pub const VERSION_NEEDED_ZIP64: u16 = 45;

/// Values at or above this do not fit a 32-bit field and need ZIP64.
pub const U32_SENTINEL: u64 = 0xFFFF_FFFF;
pub const U16_SENTINEL: u64 = 0xFFFF;

/// MS-DOS date and time (UTC, clamped to 1980..=2107) of a Unix time.
pub fn dos_datetime(unix_secs: i64) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    let dt = chrono::DateTime::from_timestamp(unix_secs, 0)
        .unwrap_or_default()
        .naive_utc();
    let year = dt.year();
    if year < 1980 {
        return (0, (1 << 5) | 1);
    }
    if year > 2107 {
        return ((23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31);
    }
    let time = ((dt.hour() as u16) << 11) | ((dt.minute() as u16) << 5) | (dt.second() as u16 / 2);
    let date = (((year - 1980) as u16) << 9) | ((dt.month() as u16) << 5) | dt.day() as u16;
    (time, date)
}

/// Little-endian field appender.
pub trait PutLe {
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
}

impl PutLe for Vec<u8> {
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
}
