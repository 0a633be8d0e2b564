//! Reply templates: `{to}`, `{to_digits}`, `{to_national}`, `{text}`,
//! `{id}`, `{account}` and `{token}` filled in one pass (a value is never
//! read as a template), each escaped for where it lands: percent-encoded
//! in a URL or a form, JSON-escaped in a JSON body, as is in a header.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub const PLACEHOLDERS: [&str; 7] = [
    "to",
    "to_digits",
    "to_national",
    "text",
    "id",
    "account",
    "token",
];

/// Characters left as they are in a URL component: RFC 3986 unreserved.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    Url,
    Json,
    Form,
    None,
}

/// The values a template can use.
pub struct Values<'a> {
    pub to: &'a str,
    pub text: &'a str,
    pub id: &'a str,
    pub account: &'a str,
    pub token: Option<&'a str>,
}

impl Values<'_> {
    fn get(&self, name: &str) -> Option<String> {
        let digits = self.to.trim_start_matches('+');
        Some(match name {
            "to" => self.to.to_string(),
            "to_digits" => digits.to_string(),
            "to_national" => match digits.strip_prefix("62") {
                Some(rest) => format!("0{rest}"),
                None => self.to.to_string(),
            },
            "text" => self.text.to_string(),
            "id" => self.id.to_string(),
            "account" => self.account.to_string(),
            "token" => self.token?.to_string(),
            _ => return None,
        })
    }
}

fn escape(value: &str, how: Escape) -> String {
    match how {
        Escape::Url | Escape::Form => utf8_percent_encode(value, COMPONENT).to_string(),
        Escape::Json => {
            let quoted = serde_json::to_string(value).expect("a string serialises");
            quoted[1..quoted.len() - 1].to_string()
        }
        Escape::None => value.to_string(),
    }
}

/// Fills `template`; braces that do not name a placeholder stay as they
/// are (a JSON body's own braces).
pub fn render(template: &str, values: &Values, how: Escape) -> String {
    let mut out = String::with_capacity(template.len() + values.text.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_end = after.find('}');
        let name = name_end.map(|end| &after[..end]);
        match name
            .filter(|n| PLACEHOLDERS.contains(n))
            .and_then(|n| values.get(n))
        {
            Some(value) => {
                out.push_str(&escape(&value, how));
                rest = &after[name_end.expect("found") + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// True when the template uses `{token}`.
pub fn uses_token(template: &str) -> bool {
    template.contains("{token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(text: &'a str) -> Values<'a> {
        Values {
            to: "+6281374567890",
            text,
            id: "k1",
            account: "wa",
            token: Some("s3cr3t"),
        }
    }

    #[test]
    fn table_of_renderings() {
        let cases = [
            (
                "json body",
                r#"{"target":"{to_digits}","message":"{text}"}"#,
                "Kode \"AB\"\n{token}",
                Escape::Json,
                r#"{"target":"6281374567890","message":"Kode \"AB\"\n{token}"}"#,
            ),
            (
                "url",
                "https://gw/send?to={to}&msg={text}&key={token}",
                "a b&c",
                Escape::Url,
                "https://gw/send?to=%2B6281374567890&msg=a%20b%26c&key=s3cr3t",
            ),
            (
                "national",
                "{to_national}",
                "",
                Escape::None,
                "081374567890",
            ),
            (
                "unknown braces stay",
                "{x} {to_digits} {",
                "",
                Escape::None,
                "{x} 6281374567890 {",
            ),
            (
                "header",
                "Bearer {token}",
                "",
                Escape::None,
                "Bearer s3cr3t",
            ),
        ];
        for (label, template, text, how, want) in cases {
            assert_eq!(render(template, &values(text), how), want, "{label}");
        }
    }
}
