//! SMS length: which alphabet a text needs (GSM 03.38 7-bit or UCS-2),
//! how many segments it takes, and how to cut it into concatenated parts.
//! Pure counting; nothing here sends or knows a provider.

/// The GSM 03.38 basic character set: one septet each.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: an escape septet plus one, so two each.
const EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Septets in one GSM-7 message, and per part of a concatenated one (the
/// 6-octet concatenation header takes 7 septets).
pub const GSM7_SINGLE: usize = 160;
pub const GSM7_PART: usize = 153;
/// UTF-16 code units in one UCS-2 message, and per concatenated part.
pub const UCS2_SINGLE: usize = 70;
pub const UCS2_PART: usize = 67;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// How a text travels as SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub segments: usize,
}

/// Septets a character takes in GSM-7, or `None` when it has none.
fn gsm7_septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

pub fn encoding(text: &str) -> Encoding {
    if text.chars().all(|c| gsm7_septets(c).is_some()) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// Units one character takes in `encoding`.
fn units(c: char, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    }
}

fn capacities(encoding: Encoding) -> (usize, usize) {
    match encoding {
        Encoding::Gsm7 => (GSM7_SINGLE, GSM7_PART),
        Encoding::Ucs2 => (UCS2_SINGLE, UCS2_PART),
    }
}

pub fn count(text: &str) -> Count {
    let encoding = encoding(text);
    let total: usize = text.chars().map(|c| units(c, encoding)).sum();
    let segments = split_with(text, encoding).len();
    Count {
        encoding,
        units: total,
        segments,
    }
}

/// True when the text goes out as one SMS.
pub fn fits_one(text: &str) -> bool {
    count(text).segments <= 1
}

/// Cuts `text` into the parts of a concatenated SMS, filling each part
/// (153 septets or 67 UCS-2 units) without cutting an escaped GSM-7
/// character or a surrogate pair in two. A text that fits one SMS is one
/// part; the parts joined give the text back.
pub fn split(text: &str) -> (Encoding, Vec<String>) {
    let encoding = encoding(text);
    (encoding, split_with(text, encoding))
}

fn split_with(text: &str, encoding: Encoding) -> Vec<String> {
    let (single, part) = capacities(encoding);
    let total: usize = text.chars().map(|c| units(c, encoding)).sum();
    if total <= single {
        return vec![text.to_string()];
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for c in text.chars() {
        let n = units(c, encoding);
        if used + n > part {
            parts.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(c);
        used += n;
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Case {
        label: &'static str,
        text: String,
        encoding: Encoding,
        units: usize,
        segments: usize,
    }

    fn case(
        label: &'static str,
        text: String,
        encoding: Encoding,
        units: usize,
        segments: usize,
    ) -> Case {
        Case {
            label,
            text,
            encoding,
            units,
            segments,
        }
    }

    #[test]
    fn table_of_lengths() {
        use Encoding::*;
        let cases = vec![
            case("empty", String::new(), Gsm7, 0, 1),
            case("plain", "Jalan rusak".into(), Gsm7, 11, 1),
            case("160 basic", "a".repeat(160), Gsm7, 160, 1),
            case("161 basic", "a".repeat(161), Gsm7, 161, 2),
            case("306 basic", "a".repeat(306), Gsm7, 306, 2),
            case("307 basic", "a".repeat(307), Gsm7, 307, 3),
            case("euro counts two", "€".repeat(80), Gsm7, 160, 1),
            case("81 euros", "€".repeat(81), Gsm7, 162, 2),
            case(
                "brackets count two",
                format!("{}[]", "a".repeat(157)),
                Gsm7,
                161,
                2,
            ),
            case("basic accents", "èéùìòÇØøÅåÄÖÑÜäöñüà".into(), Gsm7, 19, 1),
            case("greek capitals are basic", "ΔΦΓΛΩΠΨΣΘΞ".into(), Gsm7, 10, 1),
            case("newline is basic", "a\nb".into(), Gsm7, 3, 1),
            case(
                "one emoji turns UCS-2",
                format!("{}🙏", "a".repeat(10)),
                Ucs2,
                12,
                1,
            ),
            case("70 ucs2", format!("{}ā", "a".repeat(69)), Ucs2, 70, 1),
            case("71 ucs2", format!("{}ā", "a".repeat(70)), Ucs2, 71, 2),
            case("134 ucs2", format!("{}ā", "a".repeat(133)), Ucs2, 134, 2),
            case("135 ucs2", format!("{}ā", "a".repeat(134)), Ucs2, 135, 3),
            case("curly quote is not GSM", "“cek”".into(), Ucs2, 5, 1),
            case("lower-case ç is not GSM", "ç".into(), Ucs2, 1, 1),
        ];
        for c in cases {
            let got = count(&c.text);
            assert_eq!(got.encoding, c.encoding, "{}", c.label);
            assert_eq!(got.units, c.units, "{}", c.label);
            assert_eq!(got.segments, c.segments, "{}", c.label);
        }
    }

    #[test]
    fn parts_rejoin_and_respect_capacity() {
        let texts = [
            "a".repeat(500),
            format!("{}€{}", "a".repeat(152), "b".repeat(200)),
            format!("{}🙏{}", "a".repeat(66), "b".repeat(100)),
            "Status pengaduan ABCDE23456: Sedang ditindaklanjuti. Keterangan: petugas Dinas PUPR sudah meninjau lokasi dan perbaikan dijadwalkan minggu depan, mohon bersabar {catatan}.".repeat(2),
        ];
        for text in texts {
            let (encoding, parts) = split(&text);
            assert_eq!(parts.concat(), text);
            assert!(parts.len() > 1);
            let (_, capacity) = capacities(encoding);
            for p in &parts {
                let n: usize = p.chars().map(|c| units(c, encoding)).sum();
                assert!(n <= capacity, "{n} > {capacity}");
            }
        }
    }

    #[test]
    fn an_escaped_character_is_never_cut() {
        // 152 septets, then a two-septet euro: it moves whole to part two.
        let text = format!("{}€{}", "a".repeat(152), "b".repeat(10));
        let (_, parts) = split(&text);
        assert_eq!(parts[0], "a".repeat(152));
        assert_eq!(parts[1], format!("€{}", "b".repeat(10)));
    }

    #[test]
    fn a_surrogate_pair_is_never_cut() {
        let text = format!("{}🙏{}", "a".repeat(66), "b".repeat(10));
        let (encoding, parts) = split(&text);
        assert_eq!(encoding, Encoding::Ucs2);
        assert_eq!(parts[0], "a".repeat(66));
        assert!(parts[1].starts_with('🙏'));
    }
}
