//! The readable text of a message: HTML turned into plain text (scripts and
//! styles dropped, blocks on their own lines) and the earlier messages a
//! reply quotes trimmed away. It never decides what the text means.

use regex::Regex;
use std::sync::LazyLock;

/// Block-level tags that end a line in a mail client's rendering.
static BLOCK_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)</(?:div|li|tr|h[1-6]|blockquote|table|ul|ol)\s*>|<hr\s*/?>")
        .expect("valid regex")
});

/// HTML to readable text. The conversion itself is mail-parser's (it
/// drops `<head>`, `<script>`, `<style>` and decodes entities); line
/// breaks are added after block elements first.
pub fn html_to_text(html: &str) -> String {
    let with_breaks = BLOCK_END.replace_all(html, "$0<br>");
    let text = mail_parser::decoders::html::html_to_text(&with_breaks);
    tidy(&text.replace('\u{a0}', " "))
}

/// Trims trailing spaces of each line and collapses runs of blank lines.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}

/// A line that introduces quoted earlier mail: "On ... wrote:", "Pada ...
/// menulis:", Outlook's "-----Original Message-----" and its Indonesian form.
static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:
            (?:on|pada)\b.{0,200}\b(?:wrote|menulis)\s*:\s*$
          | -{2,}\s*(?:original\s+message|pesan\s+asli)\s*-{2,}\s*$
        )",
    )
    .expect("valid regex")
});

/// Outlook's separator line, a quote only when a `From:` block follows.
static SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*_{10,}\s*$").expect("valid regex"));

/// Outlook's header block for quoted mail ("From: ...", "Dari: ...").
static OUTLOOK_FROM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:from|dari)\s*:\s*\S").expect("valid regex"));

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// The new text of a reply: everything before the quoted earlier mail.
/// A forwarded message is kept whole (its marker is not a quote), and a
/// message that is nothing but quotes keeps them rather than becoming empty.
pub fn trim_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    // rest_quoted[i]: every non-empty line after line i is quoted;
    // next_text[i]: the first non-empty line after line i.
    let mut rest_quoted = vec![true; lines.len() + 1];
    let mut next_text: Vec<Option<&str>> = vec![None; lines.len() + 1];
    for i in (0..lines.len()).rev() {
        let after = lines[i];
        let blank = after.trim().is_empty();
        if i > 0 {
            rest_quoted[i - 1] = rest_quoted[i] && (blank || is_quoted(after));
            next_text[i - 1] = if blank { next_text[i] } else { Some(after) };
        }
    }
    let mut cut = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let rest_quoted = rest_quoted[i];
        let next_is_outlook_block = next_text[i].is_some_and(|l| OUTLOOK_FROM.is_match(l));
        let starts_quote = ATTRIBUTION.is_match(line)
            || (SEPARATOR.is_match(line) && next_is_outlook_block)
            || (is_quoted(line) && rest_quoted);
        if starts_quote {
            cut = i;
            break;
        }
    }
    // Interleaved quotes above the cut are context the citizen answered
    // inline; only the quoted lines themselves go.
    let kept: Vec<&str> = lines[..cut]
        .iter()
        .copied()
        .filter(|l| !is_quoted(l))
        .collect();
    let trimmed = tidy(&kept.join("\n"));
    if trimmed.is_empty() {
        tidy(text)
    } else {
        trimmed
    }
}

/// Drops a signature that follows the standard `-- ` delimiter line.
pub fn trim_signature(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    match lines.iter().rposition(|l| *l == "-- " || *l == "--") {
        Some(0) | None => text.to_string(),
        Some(i) => tidy(&lines[..i].join("\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_replies_are_trimmed_in_every_client_style() {
        let cases = [
            (
                "gmail, English",
                "Still broken.\n\nOn Sat, 22 Nov 2026 at 09:20, Pengaduan <p@x.id> wrote:\n> Thank you\n> code X",
                "Still broken.",
            ),
            (
                "gmail, Indonesian",
                "Belum diperbaiki.\n\nPada Sab, 22 Nov 2026 09.20, Pengaduan Kota Padang menulis:\n> Terima kasih",
                "Belum diperbaiki.",
            ),
            (
                "outlook",
                "Mohon dicek.\r\n\r\n-----Original Message-----\r\nFrom: Pengaduan\r\nSent: Sabtu\r\n\r\nTerima kasih",
                "Mohon dicek.",
            ),
            (
                "outlook underscores",
                "Sudah 3 hari.\n\n________________________________\nDari: Pengaduan <p@x.id>\nTerkirim: Sabtu",
                "Sudah 3 hari.",
            ),
            (
                "bare quote block",
                "Ini fotonya.\n\n> Pengaduan Anda sudah diterima\n>\n> Kode: X",
                "Ini fotonya.",
            ),
            (
                "inline answers keep the answers",
                "> Di mana lokasinya?\nDi depan pasar.\n> Sejak kapan?\nSejak Senin.",
                "Di depan pasar.\nSejak Senin.",
            ),
            (
                "forward kept whole",
                "Mohon ditindaklanjuti.\n\n---------- Forwarded message ---------\nFrom: Warga <w@x.id>\nJalan rusak.",
                "Mohon ditindaklanjuti.\n\n---------- Forwarded message ---------\nFrom: Warga <w@x.id>\nJalan rusak.",
            ),
            ("only quotes stay", "> hanya kutipan", "> hanya kutipan"),
            ("no quote", "Lampu jalan mati.", "Lampu jalan mati."),
        ];
        for (label, input, want) in cases {
            assert_eq!(trim_quoted(input), want, "{label}");
        }
    }

    #[test]
    fn html_becomes_readable_text_without_scripts() {
        let html = "<html><head><style>p{}</style></head><body><div>Lampu&nbsp;mati</div>\
                    <div>di <b>Simpang</b></div><p>Satu</p><p>Dua</p><script>alert(1)</script></body></html>";
        let text = html_to_text(html);
        assert_eq!(text, "Lampu mati\ndi Simpang\nSatu\nDua", "{text:?}");
    }

    #[test]
    fn signatures_after_the_delimiter_go() {
        assert_eq!(
            trim_signature("Jalan rusak.\n-- \nDikirim dari ponsel"),
            "Jalan rusak."
        );
        assert_eq!(
            trim_signature("-- \nhanya tanda tangan"),
            "-- \nhanya tanda tangan"
        );
        assert_eq!(trim_signature("Tidak ada"), "Tidak ada");
    }
}
