//! Phone numbers in any common written form, normalised to E.164 (`+447911123456`), the form
//! the API stores in `device.phone` and expects in `phone` fields.

use std::fmt;

/// Why a string could not be read as a phone number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// A character that no phone format uses.
    #[error("{input:?} is not a phone number: unexpected character {found:?}")]
    InvalidCharacter {
        /// The input.
        input: String,
        /// The character.
        found: char,
    },
    /// A national number (leading trunk `0`) with no country code to complete it.
    #[error(
        "{input:?} is a national number: write it with its country code (+44 …) or set a default country code"
    )]
    MissingCountryCode {
        /// The input.
        input: String,
    },
    /// Too few or too many digits for E.164 (7 to 15 digits, not starting with 0).
    #[error("{input:?} is not a valid international number: E.164 allows 7 to 15 digits")]
    InvalidLength {
        /// The input.
        input: String,
    },
}

/// A phone number in E.164 form. Built only through [`E164::parse`], so it is always valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    /// Reads a phone number written in any common way:
    ///
    /// - international: `+44 7911 123456`, `+1 (555) 123-4567`, `0044 7911 123456`;
    /// - WhatsApp IDs: `447911123456@c.us`, `447911123456@s.whatsapp.net`;
    /// - `tel:+44-7911-123456`;
    /// - bare digits with their country code, as WhatsApp writes them: `447911123456`;
    /// - national numbers with a trunk `0` (`07911 123456`) when `default_country_code` is
    ///   given (`"44"`, with or without `+`).
    pub fn parse(input: &str, default_country_code: Option<&str>) -> Result<Self, PhoneError> {
        let raw = input.trim();
        let mut rest = raw.strip_prefix("tel:").unwrap_or(raw);
        if let Some((user, server)) = rest.split_once('@') {
            // A WhatsApp ID's user part is the international number without `+`; a device
            // suffix (`447…:12@s.whatsapp.net`) is dropped.
            if !server.is_empty() {
                rest = user.split(':').next().unwrap_or(user);
            }
        }
        // "+44 (0)20 …" marks a trunk 0 that is dialled only nationally: it is not part of the
        // international number.
        let owned;
        if rest.starts_with('+') || rest.starts_with("00") {
            owned = rest.replace("(0)", "");
            rest = &owned;
        }
        let mut digits = String::with_capacity(rest.len());
        let mut plus = false;
        for (i, c) in rest.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
                other => {
                    return Err(PhoneError::InvalidCharacter {
                        input: input.to_owned(),
                        found: other,
                    });
                }
            }
        }
        let international = if plus {
            digits
        } else if let Some(stripped) = digits.strip_prefix("00") {
            stripped.to_owned()
        } else if let Some(national) = digits.strip_prefix('0') {
            match default_country_code {
                Some(code) => {
                    let code: String = code.chars().filter(char::is_ascii_digit).collect();
                    format!("{code}{national}")
                }
                None => {
                    return Err(PhoneError::MissingCountryCode {
                        input: input.to_owned(),
                    });
                }
            }
        } else {
            digits
        };
        if !(7..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(PhoneError::InvalidLength {
                input: input.to_owned(),
            });
        }
        Ok(Self(format!("+{international}")))
    }

    /// The number with its `+`, such as `+447911123456`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits only, as in WhatsApp IDs (`447911123456`).
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// The WhatsApp ID of a user with this number (`447911123456@c.us`).
    pub fn wid(&self) -> String {
        format!("{}@c.us", self.digits())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for E164 {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for E164 {
    type Err = PhoneError;

    /// Parses with no default country code (see [`E164::parse`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, None)
    }
}

/// Normalises `input` to E.164, as a string. See [`E164::parse`] for the forms accepted.
pub fn normalize_phone(
    input: &str,
    default_country_code: Option<&str>,
) -> Result<String, PhoneError> {
    E164::parse(input, default_country_code).map(|p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_forms_become_e164() {
        for input in [
            "+44 7911 123456",
            "+44 (0)7911 123456",
            "0044 7911 123456",
            "447911123456",
            "447911123456@c.us",
            "447911123456@s.whatsapp.net",
            "447911123456:3@s.whatsapp.net",
            "tel:+44-7911-123456",
            " +44.7911.123.456 ",
        ] {
            assert_eq!(
                normalize_phone(input, None).unwrap(),
                "+447911123456",
                "{input}"
            );
        }
        assert_eq!(
            normalize_phone("+1 (555) 123-4567", None).unwrap(),
            "+15551234567"
        );
    }

    #[test]
    fn national_numbers_need_a_country_code() {
        assert_eq!(
            normalize_phone("07911 123456", Some("+44")).unwrap(),
            "+447911123456"
        );
        assert_eq!(
            normalize_phone("07911 123456", None),
            Err(PhoneError::MissingCountryCode {
                input: "07911 123456".into()
            })
        );
    }

    #[test]
    fn garbage_is_rejected_with_a_reason() {
        assert!(matches!(
            normalize_phone("sales team", None),
            Err(PhoneError::InvalidCharacter { found: 's', .. })
        ));
        assert!(matches!(
            normalize_phone("+12", None),
            Err(PhoneError::InvalidLength { .. })
        ));
        assert!(matches!(
            normalize_phone("+1234567890123456", None),
            Err(PhoneError::InvalidLength { .. })
        ));
        assert!(matches!(
            normalize_phone("44+7911", None),
            Err(PhoneError::InvalidCharacter { found: '+', .. })
        ));
    }

    #[test]
    fn accessors() {
        let phone: E164 = "+44 7911 123456".parse().unwrap();
        assert_eq!(phone.digits(), "447911123456");
        assert_eq!(phone.wid(), "447911123456@c.us");
        assert_eq!(phone.to_string(), "+447911123456");
    }
}
