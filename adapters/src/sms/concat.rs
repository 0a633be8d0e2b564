//! Concatenated SMS: reading the part marker (reference, total, sequence)
//! from a user data header, and writing one for outgoing parts. Joining
//! parts needs storage, so it is the gateway's job, not this module's.

/// One part of a long SMS that arrived on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// The sender's reference for the whole message (8 or 16 bits).
    pub reference: u16,
    pub total: u8,
    /// 1-based position of this part.
    pub seq: u8,
}

/// The UDH as providers pass it: raw bytes (Kannel's `%u`, URL-encoded)
/// or hex digits (`050003A70201`).
pub fn udh_bytes(raw: &[u8]) -> Vec<u8> {
    let hex_digits =
        !raw.is_empty() && raw.len() % 2 == 0 && raw.iter().all(|b| b.is_ascii_hexdigit());
    if hex_digits {
        if let Ok(bytes) = hex::decode(raw) {
            return bytes;
        }
    }
    raw.to_vec()
}

/// The concatenation element of a UDH (8-bit IEI 0x00 or 16-bit IEI 0x08),
/// when the header has one and it is coherent; a single-part marker is none.
pub fn part_from_udh(udh: &[u8]) -> Option<Part> {
    let (&len, rest) = udh.split_first()?;
    let mut ies = rest.get(..len as usize)?;
    while ies.len() >= 2 {
        let (iei, iedl) = (ies[0], ies[1] as usize);
        let data = ies.get(2..2 + iedl)?;
        let part = match (iei, iedl) {
            (0x00, 3) => Some(Part {
                reference: data[0] as u16,
                total: data[1],
                seq: data[2],
            }),
            (0x08, 4) => Some(Part {
                reference: u16::from_be_bytes([data[0], data[1]]),
                total: data[2],
                seq: data[3],
            }),
            _ => None,
        };
        if let Some(p) = part {
            return (p.total > 1 && p.seq >= 1 && p.seq <= p.total).then_some(p);
        }
        ies = &ies[2 + iedl..];
    }
    None
}

/// The 6-octet header of part `seq` of `total` with an 8-bit reference.
pub fn udh_for(reference: u8, total: u8, seq: u8) -> [u8; 6] {
    [0x05, 0x00, 0x03, reference, total, seq]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_headers() {
        let cases: Vec<(&str, &[u8], Option<Part>)> = vec![
            (
                "8-bit hex",
                b"050003A70201",
                Some(Part {
                    reference: 0xA7,
                    total: 2,
                    seq: 1,
                }),
            ),
            (
                "8-bit raw",
                &[5, 0, 3, 0xA7, 2, 2],
                Some(Part {
                    reference: 0xA7,
                    total: 2,
                    seq: 2,
                }),
            ),
            (
                "16-bit",
                &[6, 8, 4, 0x12, 0x34, 3, 1],
                Some(Part {
                    reference: 0x1234,
                    total: 3,
                    seq: 1,
                }),
            ),
            (
                "after another element",
                &[8, 0x0A, 1, 0, 0, 3, 9, 2, 1],
                Some(Part {
                    reference: 9,
                    total: 2,
                    seq: 1,
                }),
            ),
            ("single part", &[5, 0, 3, 1, 1, 1], None),
            ("seq beyond total", &[5, 0, 3, 1, 2, 3], None),
            ("seq zero", &[5, 0, 3, 1, 2, 0], None),
            ("truncated", &[5, 0, 3, 1], None),
            ("no concatenation", &[3, 0x0A, 1, 0], None),
            ("empty", b"", None),
        ];
        for (label, raw, want) in cases {
            assert_eq!(part_from_udh(&udh_bytes(raw)), want, "{label}");
        }
    }

    #[test]
    fn written_headers_read_back() {
        let h = udh_for(0x11, 3, 2);
        assert_eq!(
            part_from_udh(&h),
            Some(Part {
                reference: 0x11,
                total: 3,
                seq: 2
            })
        );
    }
}
