//! Proving a request comes from Meta: the `X-Hub-Signature-256` HMAC over
//! the raw body, and the `hub.verify_token` of the subscription handshake.
//! Both comparisons take constant time; nothing here parses the body.

use super::error::WebhookError;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `sha256=<hex>` of HMAC-SHA256(`app_secret`, `body`), as Meta sends it.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks the signature header against the raw body. A missing header, a
/// header that is not `sha256=<64 hex>`, and a wrong value are all refused.
pub fn verify(app_secret: &[u8], header: Option<&str>, body: &[u8]) -> Result<(), WebhookError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(WebhookError::missing_signature)?;
    let hex_part = header
        .strip_prefix("sha256=")
        .ok_or_else(WebhookError::bad_signature)?;
    let mut given = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut given).map_err(|_| WebhookError::bad_signature())?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&given)
        .map_err(|_| WebhookError::bad_signature())
}

/// The query of `GET /webhooks/whatsapp` Meta sends when a webhook is
/// subscribed.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

impl Handshake {
    /// Reads the raw query string; anything unreadable is an empty
    /// handshake, which is refused.
    pub fn from_query(query: Option<&str>) -> Handshake {
        query
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default()
    }
}

/// Answers the handshake: the challenge to echo when the mode is
/// `subscribe` and the token is ours, otherwise a 403 naming the field.
pub fn answer_handshake(query: &Handshake, verify_token: &str) -> Result<String, WebhookError> {
    if query.mode.as_deref() != Some("subscribe") {
        return Err(WebhookError::forbidden("hub.mode"));
    }
    let given = query.verify_token.as_deref().unwrap_or("");
    // Hashing first keeps the comparison constant-time in the length too.
    let same: bool = Sha256::digest(given.as_bytes())
        .ct_eq(&Sha256::digest(verify_token.as_bytes()))
        .into();
    if !same || given.is_empty() {
        return Err(WebhookError::forbidden("hub.verify_token"));
    }
    match query.challenge.as_deref() {
        Some(c) if !c.is_empty() && c.len() <= 256 && c.chars().all(|ch| !ch.is_control()) => {
            Ok(c.to_string())
        }
        _ => Err(WebhookError::forbidden("hub.challenge")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_computation() {
        // printf '{"a":1}' | openssl dgst -sha256 -hmac rahasia
        assert_eq!(
            sign(b"rahasia", br#"{"a":1}"#),
            "sha256=08836e62b4f33c64dcda4ca602ea06519a05339dcda19c9f03451d6097a6083b"
        );
    }

    #[rustfmt::skip]
    #[test]
    fn table_of_signatures() {
        let body = br#"{"object":"whatsapp_business_account"}"#;
        let good = sign(b"rahasia", body);
        // (label, header, body, refusal code)
        type Row<'a> = (&'a str, Option<String>, &'a [u8], Option<&'a str>);
        let cases: Vec<Row> = vec![
            ("good", Some(good.clone()), body, None),
            ("upper-case hex", Some(good.to_uppercase().replace("SHA256=", "sha256=")), body, None),
            ("missing", None, body, Some("missing_signature")),
            ("empty", Some(String::new()), body, Some("missing_signature")),
            ("sha1 prefix", Some(good.replace("sha256=", "sha1=")), body, Some("bad_signature")),
            ("not hex", Some("sha256=zz".into()), body, Some("bad_signature")),
            ("short", Some(good[..40].to_string()), body, Some("bad_signature")),
            ("other body", Some(good.clone()), b"{}", Some("bad_signature")),
            ("other secret", Some(sign(b"lain", body)), body, Some("bad_signature")),
        ];
        for (label, header, body, want) in cases {
            let got = verify(b"rahasia", header.as_deref(), body);
            assert_eq!(got.err().map(|e| e.code), want, "{label}");
        }
    }

    #[test]
    fn handshake_echoes_the_challenge_only_for_our_token() {
        let q = |mode: &str, token: &str, challenge: &str| Handshake {
            mode: Some(mode.into()),
            verify_token: Some(token.into()),
            challenge: Some(challenge.into()),
        };
        assert_eq!(
            answer_handshake(&q("subscribe", "tok", "1158201444"), "tok").unwrap(),
            "1158201444"
        );
        let from_url = Handshake::from_query(Some(
            "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=t%C3%B6k%20en",
        ));
        assert_eq!(
            answer_handshake(&from_url, "t\u{f6}k en").unwrap(),
            "1158201444"
        );
        assert!(answer_handshake(&Handshake::from_query(None), "tok").is_err());
        for (label, query, field) in [
            (
                "wrong token",
                q("subscribe", "tik", "1"),
                "hub.verify_token",
            ),
            (
                "token prefix",
                q("subscribe", "to", "1"),
                "hub.verify_token",
            ),
            ("wrong mode", q("unsubscribe", "tok", "1"), "hub.mode"),
            ("no challenge", q("subscribe", "tok", ""), "hub.challenge"),
            ("nothing", Handshake::default(), "hub.mode"),
        ] {
            let e = answer_handshake(&query, "tok").unwrap_err();
            assert_eq!((e.status.as_u16(), e.field), (403, Some(field)), "{label}");
        }
    }
}
