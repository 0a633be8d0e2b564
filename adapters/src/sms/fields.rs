//! Reading form bodies and query strings as providers send them: values
//! as raw bytes (a Kannel UDH or UCS-2 text is not UTF-8), then as text
//! where a field must be text.

use super::SmsError;
use percent_encoding::percent_decode;

/// Name/value pairs in the order received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, Vec<u8>)>);

impl Fields {
    /// Parses `application/x-www-form-urlencoded` data (a body or a query
    /// string): `+` is a space, `%XX` a byte.
    pub fn parse(raw: &[u8]) -> Fields {
        let decode = |s: &[u8]| -> Vec<u8> {
            let plus: Vec<u8> = s
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            percent_decode(&plus).collect()
        };
        let pairs = raw
            .split(|&b| b == b'&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (name, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(i) => (&pair[..i], &pair[i + 1..]),
                    None => (pair, &[][..]),
                };
                (
                    String::from_utf8_lossy(&decode(name)).into_owned(),
                    decode(value),
                )
            })
            .collect();
        Fields(pairs)
    }

    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The field as UTF-8 text, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Result<Option<String>, SmsError> {
        match self.bytes(name) {
            None => Ok(None),
            Some(b) => {
                let s = std::str::from_utf8(b).map_err(|_| SmsError::not_utf8(name))?;
                let s = s.trim();
                Ok((!s.is_empty()).then(|| s.to_string()))
            }
        }
    }

    pub fn required(&self, name: &str) -> Result<String, SmsError> {
        self.text(name)?.ok_or_else(|| SmsError::required(name))
    }

    /// The field as UTF-8 text exactly as sent (message bodies keep their
    /// spaces; a part of a long SMS may start or end with one).
    pub fn raw_text(&self, name: &str) -> Result<Option<String>, SmsError> {
        match self.bytes(name) {
            None => Ok(None),
            Some(b) => std::str::from_utf8(b)
                .map(|s| Some(s.to_string()))
                .map_err(|_| SmsError::not_utf8(name)),
        }
    }

    /// Every pair as text (lossy), for signatures and raw payloads.
    pub fn text_pairs(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_raw_bytes() {
        let f = Fields::parse(b"from=%2B6285&text=Jalan+rusak%2C+Pak&udh=%05%00%03%A7&empty=&flag");
        assert_eq!(f.text("from").unwrap().as_deref(), Some("+6285"));
        assert_eq!(f.text("text").unwrap().as_deref(), Some("Jalan rusak, Pak"));
        assert_eq!(f.bytes("udh"), Some(&[5u8, 0, 3, 0xA7][..]));
        assert_eq!(f.text("empty").unwrap(), None);
        assert_eq!(f.bytes("flag"), Some(&[][..]));
        assert!(f.text("udh").is_err());
        assert_eq!(f.required("missing").unwrap_err().code, "required");
    }
}
