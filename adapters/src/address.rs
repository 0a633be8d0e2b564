//! Addresses a citizen can be reached at. Each newtype has one checking
//! constructor, so a value once held is valid and already normalised.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("phone number `{0}` is not a valid number")]
    Phone(String),
    #[error("e-mail address `{0}` is not valid")]
    Email(String),
    #[error("WhatsApp user id `{0}` is not valid")]
    WhatsappUser(String),
}

/// A phone number in E.164 form (`+6281234567890`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneE164(String);

/// Indonesia's country calling code, the default for national numbers.
pub const DEFAULT_COUNTRY_CODE: &str = "62";

impl PhoneE164 {
    /// Parses a number as a person types it: `0812-3456-7890`, `62812...`,
    /// `+62 812 ...`, `(0751) 123456`. A leading `0` is a national number
    /// of `country_code`; a leading `+` or `00` is international.
    pub fn parse_with_country(input: &str, country_code: &str) -> Result<Self, AddressError> {
        let bad = || AddressError::Phone(input.to_string());
        let trimmed = input.trim();
        let mut digits = String::with_capacity(trimmed.len());
        for (i, ch) in trimmed.chars().enumerate() {
            match ch {
                '0'..='9' => digits.push(ch),
                '+' if i == 0 => {}
                ' ' | '-' | '.' | '(' | ')' | '/' => {}
                _ => return Err(bad()),
            }
        }
        let international = if trimmed.starts_with('+') {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = digits.strip_prefix('0') {
            format!("{country_code}{rest}")
        } else if digits.starts_with(country_code) {
            digits
        } else if country_code == DEFAULT_COUNTRY_CODE && digits.starts_with('8') {
            // Indonesian mobile numbers are often written without the 0.
            format!("{country_code}{digits}")
        } else {
            return Err(bad());
        };
        Self::from_international_digits(&international).map_err(|_| bad())
    }

    /// Parses a number written the Indonesian way (see [`Self::parse_with_country`]).
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        Self::parse_with_country(input, DEFAULT_COUNTRY_CODE)
    }

    /// Takes digits that already carry their country code, as providers
    /// send them (WhatsApp `wa_id`, Twilio `From` without `+`).
    pub fn from_international_digits(input: &str) -> Result<Self, AddressError> {
        let digits = input.strip_prefix('+').unwrap_or(input);
        let ok = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(PhoneE164(format!("+{digits}")))
        } else {
            Err(AddressError::Phone(input.to_string()))
        }
    }
}

checked_string!(
    PhoneE164,
    PhoneE164::from_international_digits,
    AddressError
);

/// An e-mail address with its domain lower-cased (the local part is kept
/// as written: RFC 5321 leaves its case to the receiving server).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let bad = || AddressError::Email(input.to_string());
        let trimmed = input.trim();
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control());
        let domain_ok = domain.len() <= 253
            && domain.contains('.')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && label.len() <= 63)
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local_ok && domain_ok {
            Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
        } else {
            Err(bad())
        }
    }
}

checked_string!(EmailAddress, EmailAddress::parse, AddressError);

/// A WhatsApp business-scoped user id (BSUID): how WhatsApp names a user
/// to one business, and the only address of a citizen who hides their
/// number behind a username. Two capital letters (the country), a
/// period, then up to 128 letters and digits (`ID.1502576394655843`); a
/// parent id shared by a business's portfolios has `ENT.` after the
/// country (`US.ENT.11815799212886844830`). Kept exactly as WhatsApp sent
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WhatsappUserId(String);

impl WhatsappUserId {
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let bad = || AddressError::WhatsappUser(input.to_string());
        let (country, rest) = input.split_once('.').ok_or_else(bad)?;
        let id = rest.strip_prefix("ENT.").unwrap_or(rest);
        let ok = country.len() == 2
            && country.bytes().all(|b| b.is_ascii_uppercase())
            && (1..=128).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(WhatsappUserId(input.to_string()))
        } else {
            Err(bad())
        }
    }
}

checked_string!(WhatsappUserId, WhatsappUserId::parse, AddressError);

/// Where a citizen can be reached; the kind names the address space.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "address", rename_all = "lowercase")]
pub enum Address {
    Phone(PhoneE164),
    Email(EmailAddress),
    Telegram(i64),
    #[serde(rename = "whatsapp_user")]
    WhatsappUser(WhatsappUserId),
}

impl Address {
    pub fn kind(&self) -> &'static str {
        match self {
            Address::Phone(_) => "phone",
            Address::Email(_) => "email",
            Address::Telegram(_) => "telegram",
            Address::WhatsappUser(_) => "whatsapp_user",
        }
    }

    pub fn value(&self) -> String {
        match self {
            Address::Phone(p) => p.to_string(),
            Address::Email(e) => e.to_string(),
            Address::Telegram(id) => id.to_string(),
            Address::WhatsappUser(u) => u.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_numbers_in_every_spelling_are_one_number() {
        let want = "+6281234567890";
        for input in [
            "081234567890",
            "0812-3456-7890",
            "62812 3456 7890",
            "+62 812-3456-7890",
            "+6281234567890",
            "006281234567890",
            "81234567890",
            " (0812) 3456.7890 ",
        ] {
            assert_eq!(PhoneE164::parse(input).unwrap().as_str(), want, "{input}");
        }
    }

    #[test]
    fn foreign_numbers_keep_their_country() {
        assert_eq!(
            PhoneE164::parse("+1 415 555 2671").unwrap().as_str(),
            "+14155552671"
        );
        assert_eq!(
            PhoneE164::from_international_digits("16315555555")
                .unwrap()
                .as_str(),
            "+16315555555"
        );
    }

    #[test]
    fn bad_numbers_are_refused() {
        for input in [
            "",
            "abc",
            "0812abc",
            "123",
            "+0812345678",
            "12345678901234567",
            "0812+345",
            "5551234567",
        ] {
            assert!(PhoneE164::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn email_domain_is_lower_cased_local_part_kept() {
        assert_eq!(
            EmailAddress::parse(" Budi.Santoso@Padang.GO.ID ")
                .unwrap()
                .as_str(),
            "Budi.Santoso@padang.go.id"
        );
        for bad in [
            "",
            "budi",
            "@padang.go.id",
            "budi@",
            "budi@padang",
            "bu di@x.id",
            "a@b..id",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn whatsapp_user_ids_are_kept_as_sent() {
        for good in [
            "ID.1502576394655843",
            "US.13491208655302741918",
            "US.ENT.11815799212886844830",
            "BR.abcDEF123",
        ] {
            assert_eq!(WhatsappUserId::parse(good).unwrap().as_str(), good);
        }
        let long = format!("ID.{}", "7".repeat(129));
        for bad in [
            "",
            "1502576394655843",
            "id.1502576394655843",
            "IDN.1502576394655843",
            "ID.",
            "ID.ENT.",
            "ID.15025-76394",
            "ID.1502 576",
            "foo_bar",
            long.as_str(),
        ] {
            assert!(WhatsappUserId::parse(bad).is_err(), "{bad}");
        }
        let address = Address::WhatsappUser(WhatsappUserId::parse("ID.42").unwrap());
        assert_eq!(
            (address.kind(), address.value()),
            ("whatsapp_user", "ID.42".into())
        );
    }
}
