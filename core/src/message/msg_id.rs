//! Message ids (REMOTING.md §5.4).
//!
//! - The **offset msgId** names where a record is stored: upper-case hex of
//!   the store host's address bytes (4 or 16), its port as an i32 and the
//!   record's commit-log position as an i64, all big-endian: 32 characters
//!   for IPv4, 56 for IPv6. Clients decode it to reach the broker
//!   (VIEW_MESSAGE_BY_ID, END_TRANSACTION), so the store host must be the
//!   broker's reachable `ip:listenPort`.
//! - The **UNIQ_KEY** is a client message id, Java `MessageClientIDSetter`:
//!   hex of `ip (4|16) + i16 pid + i32 salt` then `i32 ms since the start of
//!   the month + i16 counter`. The broker makes one for a message that lacks
//!   it; [`UniqKeyGenerator`] builds the same shape from explicit inputs.
//!
//! Both are returned as a [`HexId`], a fixed inline buffer: no allocation.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use crate::DecodeError;

/// Characters of an IPv4 offset msgId: (4 + 4 + 8) bytes in hex.
pub const OFFSET_MSG_ID_V4_LENGTH: usize = 2 * (4 + 4 + 8);
/// Characters of an IPv6 offset msgId: (16 + 4 + 8) bytes in hex.
pub const OFFSET_MSG_ID_V6_LENGTH: usize = 2 * (16 + 4 + 8);
/// Characters of an IPv4 UNIQ_KEY: (4 + 2 + 4 + 4 + 2) bytes in hex.
pub const UNIQ_KEY_V4_LENGTH: usize = 2 * (4 + 2 + 4 + 4 + 2);
/// Characters of an IPv6 UNIQ_KEY: (16 + 2 + 4 + 4 + 2) bytes in hex.
pub const UNIQ_KEY_V6_LENGTH: usize = 2 * (16 + 2 + 4 + 4 + 2);
/// Capacity of a [`HexId`]: the longest id above.
pub const HEX_ID_LENGTH_MAX: usize = OFFSET_MSG_ID_V6_LENGTH;

const _: () = assert!(OFFSET_MSG_ID_V4_LENGTH == 32 && OFFSET_MSG_ID_V6_LENGTH == 56);
const _: () = assert!(UNIQ_KEY_V4_LENGTH == 32 && UNIQ_KEY_V6_LENGTH == 56);

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// An upper-case hex id of at most [`HEX_ID_LENGTH_MAX`] characters, inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HexId {
    text: [u8; HEX_ID_LENGTH_MAX],
    length: usize,
}

impl HexId {
    fn new() -> Self {
        HexId {
            text: [b'0'; HEX_ID_LENGTH_MAX],
            length: 0,
        }
    }

    /// Appends the hex of `bytes`; the callers' inputs are sized by the consts
    /// above, so running out of room is our bug.
    fn push_bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            for nibble in [byte >> 4, byte & 0x0F] {
                let digit = HEX_DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
                let slot = self.text.get_mut(self.length);
                assert!(
                    slot.is_some(),
                    "HexId: more than {HEX_ID_LENGTH_MAX} characters"
                );
                if let Some(slot) = slot {
                    *slot = digit;
                }
                self.length = self.length.saturating_add(1);
            }
        }
    }

    pub fn as_str(&self) -> &str {
        let text = self.text.get(..self.length).unwrap_or_default();
        // Only ASCII hex digits are ever written.
        std::str::from_utf8(text).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }
}

impl fmt::Display for HexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexId({})", self.as_str())
    }
}

impl AsRef<str> for HexId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

fn ip_octets(ip: IpAddr) -> ([u8; 16], usize) {
    let mut out = [0u8; 16];
    match ip {
        IpAddr::V4(ip) => {
            if let Some(slot) = out.get_mut(..4) {
                slot.copy_from_slice(&ip.octets());
            }
            (out, 4)
        }
        IpAddr::V6(ip) => (ip.octets(), 16),
    }
}

/// Where a record is stored: what an offset msgId encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffsetMsgId {
    pub store_host: SocketAddr,
    pub physical_offset: i64,
}

impl OffsetMsgId {
    pub fn new(store_host: SocketAddr, physical_offset: i64) -> Self {
        OffsetMsgId {
            store_host,
            physical_offset,
        }
    }

    /// The upper-case hex id: 32 characters for IPv4, 56 for IPv6.
    pub fn encode(&self) -> HexId {
        let (octets, octets_len) = ip_octets(self.store_host.ip());
        let mut id = HexId::new();
        id.push_bytes(octets.get(..octets_len).unwrap_or_default());
        id.push_bytes(&i32::from(self.store_host.port()).to_be_bytes());
        id.push_bytes(&self.physical_offset.to_be_bytes());
        assert!(id.len() == OFFSET_MSG_ID_V4_LENGTH || id.len() == OFFSET_MSG_ID_V6_LENGTH);
        id
    }

    /// Decodes a 32- or 56-character hex id, either case (Java upper-cases
    /// before decoding).
    ///
    /// # Errors
    /// [`DecodeError::InvalidLength`] for any other length,
    /// [`DecodeError::Malformed`] for a non-hex character or a port outside
    /// 0..=65535.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        let mut bytes = [0u8; OFFSET_MSG_ID_V6_LENGTH / 2];
        let ip_len = match text.len() {
            OFFSET_MSG_ID_V4_LENGTH => 4,
            OFFSET_MSG_ID_V6_LENGTH => 16,
            other => {
                return Err(DecodeError::InvalidLength {
                    what: "offset msgId (32 or 56 hex characters)",
                    length: other as i64,
                    available: text.len() as u64,
                })
            }
        };
        let byte_len = text.len() / 2;
        let bytes = bytes.get_mut(..byte_len).unwrap_or_default();
        decode_hex(text.as_bytes(), bytes, "offset msgId")?;
        // Both lengths were matched above: 16 = 4 + 4 + 8 and 28 = 16 + 4 + 8.
        let (ip_bytes, rest) = bytes.split_at_checked(ip_len).unwrap_or_default();
        let (port_bytes, offset_bytes) = rest.split_at_checked(4).unwrap_or_default();
        let ip = match <[u8; 16]>::try_from(ip_bytes) {
            Ok(v6) => IpAddr::V6(Ipv6Addr::from(v6)),
            Err(_) => IpAddr::V4(Ipv4Addr::from(
                <[u8; 4]>::try_from(ip_bytes).unwrap_or_default(),
            )),
        };
        let port = i32::from_be_bytes(port_bytes.try_into().unwrap_or_default());
        let port = u16::try_from(port).map_err(|_| DecodeError::Malformed {
            what: "offset msgId",
            message: format!("port {port} outside 0..=65535"),
        })?;
        let physical_offset = i64::from_be_bytes(offset_bytes.try_into().unwrap_or_default());
        let store_host = match ip {
            IpAddr::V4(ip) => SocketAddr::new(IpAddr::V4(ip), port),
            IpAddr::V6(ip) => SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)),
        };
        Ok(OffsetMsgId {
            store_host,
            physical_offset,
        })
    }
}

/// Decodes hex `text` (either case) into `out`, which is exactly half as long.
fn decode_hex(text: &[u8], out: &mut [u8], what: &'static str) -> Result<(), DecodeError> {
    assert_eq!(text.len(), out.len().saturating_mul(2));
    for (index, (pair, byte)) in text.chunks_exact(2).zip(out.iter_mut()).enumerate() {
        let mut value = 0u8;
        for (half, digit) in pair.iter().enumerate() {
            let nibble = char::from(*digit)
                .to_digit(16)
                .ok_or_else(|| DecodeError::Malformed {
                    what,
                    message: format!(
                        "byte {digit:#04x} at position {} is not a hex digit",
                        index.saturating_mul(2).saturating_add(half)
                    ),
                })?;
            // `to_digit(16)` is below 16, so the shift keeps it in a nibble.
            value = (value << 4) | (nibble as u8);
        }
        *byte = value;
    }
    Ok(())
}

/// Largest epoch millisecond the month computation accepts (9999-12-31);
/// later (or negative) clocks are clamped, which only makes ids less spread.
const EPOCH_MS_MAX: i64 = 253_402_300_799_999;
const DAY_MS: i64 = 86_400_000;

/// Builds UNIQ_KEYs in Java's layout. Deterministic: the caller passes the
/// address, process id, salt (Java: the class loader's hash code) and, per
/// id, the current time, so tests can pin every character. One per shard;
/// ids from two generators only differ if their ip/pid/salt prefix differs.
#[derive(Debug, Clone)]
pub struct UniqKeyGenerator {
    prefix: [u8; 16 + 2 + 4],
    prefix_len: usize,
    month_start_ms: i64,
    next_month_start_ms: i64,
    counter: u16,
}

impl UniqKeyGenerator {
    /// `pid` is truncated to 16 bits as Java does.
    pub fn new(ip: IpAddr, pid: u32, salt: i32) -> Self {
        let (octets, ip_len) = ip_octets(ip);
        let mut prefix = [0u8; 16 + 2 + 4];
        let mut position = 0usize;
        for part in [
            octets.get(..ip_len).unwrap_or_default(),
            &(pid as u16).to_be_bytes(),
            &salt.to_be_bytes(),
        ] {
            let end = position.saturating_add(part.len());
            if let Some(slot) = prefix.get_mut(position..end) {
                slot.copy_from_slice(part);
            }
            position = end;
        }
        assert!(
            position == 10 || position == 22,
            "prefix of {position} bytes"
        );
        UniqKeyGenerator {
            prefix,
            prefix_len: position,
            month_start_ms: 0,
            next_month_start_ms: i64::MIN,
            counter: 0,
        }
    }

    /// The next id at wall-clock time `now_ms` (ms since the epoch). The
    /// counter wraps after 65536 ids, as Java's does.
    pub fn next(&mut self, now_ms: i64) -> HexId {
        let now_ms = now_ms.clamp(0, EPOCH_MS_MAX);
        if now_ms >= self.next_month_start_ms || now_ms < self.month_start_ms {
            let (start, next) = month_bounds_utc_ms(now_ms);
            self.month_start_ms = start;
            self.next_month_start_ms = next;
        }
        assert!(self.month_start_ms <= now_ms && now_ms < self.next_month_start_ms);
        // At most 31 days of ms: over i32::MAX after ~24.8 days, where Java's
        // `(int)` cast wraps too; the truncation is the format's.
        let since_month_ms = now_ms.saturating_sub(self.month_start_ms) as i32;
        let mut id = HexId::new();
        id.push_bytes(self.prefix.get(..self.prefix_len).unwrap_or_default());
        id.push_bytes(&since_month_ms.to_be_bytes());
        id.push_bytes(&self.counter.to_be_bytes());
        self.counter = self.counter.wrapping_add(1);
        assert!(id.len() == UNIQ_KEY_V4_LENGTH || id.len() == UNIQ_KEY_V6_LENGTH);
        id
    }
}

/// The first millisecond of the UTC month holding `now_ms` and of the next
/// month. (Java uses the local time zone; any base works, ids only need to be
/// unique.) Civil-date arithmetic after Howard Hinnant's `days_from_civil`.
// Inputs are clamped to 0..=EPOCH_MS_MAX by the caller, so every intermediate
// below is far inside i64.
#[allow(clippy::arithmetic_side_effects)]
fn month_bounds_utc_ms(now_ms: i64) -> (i64, i64) {
    assert!((0..=EPOCH_MS_MAX).contains(&now_ms));
    let days = now_ms / DAY_MS;
    // civil_from_days
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let start = days_from_civil(year, month, 1) * DAY_MS;
    let next = days_from_civil(next_year, next_month, 1) * DAY_MS;
    assert!(start <= now_ms && now_ms < next);
    (start, next)
}

#[allow(clippy::arithmetic_side_effects)]
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_bounds_are_utc_month_starts() {
        // 2024-02-15T12:00:00Z; February 2024 has 29 days.
        let (start, next) = month_bounds_utc_ms(1_707_998_400_000);
        assert_eq!(start, 1_706_745_600_000); // 2024-02-01
        assert_eq!(next, 1_709_251_200_000); // 2024-03-01
        let (start, next) = month_bounds_utc_ms(1_703_980_800_000); // 2023-12-31
        assert_eq!(start, 1_701_388_800_000); // 2023-12-01
        assert_eq!(next, 1_704_067_200_000); // 2024-01-01
        assert_eq!(month_bounds_utc_ms(0), (0, 31 * DAY_MS));
    }
}
