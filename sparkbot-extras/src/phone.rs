//! Phone numbers in any common written form, normalised to E.164 (`+447911123456`), the form
//! the API stores in `device.phone` and expects in `phone` fields.
//!
//! A number is read only when its country is certain: written internationally (`+44 …`,
//! `0044 …`), as a WhatsApp user id (`447911123456@c.us`), or as a national number of the
//! configured default [`CountryCode`] (`07911 123456` with `44`). Anything that could belong to
//! two countries is an error naming what to write instead, never a guess.

use std::fmt;

pub use sparkbot_api::country::{ASSIGNED_COUNTRY_CODES, CountryCode, CountryCodeError};

/// Codes whose national numbers are dialled with no trunk prefix: what is written nationally,
/// a leading `0` included (Italy's `06 …`), is the number after the country code.
const NO_TRUNK_PREFIX: &[u16] = &[
    30, 34, 39, 45, 47, 48, 52, 56, 65, 216, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230,
    235, 236, 237, 238, 239, 240, 241, 242, 244, 245, 246, 247, 248, 253, 257, 258, 266, 267, 268,
    269, 290, 297, 298, 299, 350, 351, 352, 354, 356, 357, 371, 372, 376, 378, 420, 500, 501, 502,
    503, 504, 505, 506, 507, 509, 592, 597, 599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680,
    681, 682, 683, 685, 687, 688, 689, 690, 691, 852, 853, 960, 965, 968, 973, 974, 975, 992, 998,
];

/// Global services: codes with no national numbers at all.
const NON_GEOGRAPHIC: &[u16] = &[800, 808, 870, 878, 881, 882, 883, 888, 979];

/// The longest input read as a phone number, in bytes after trimming (a formatted number or a
/// WhatsApp id with its device suffix is well under this).
const MAX_INPUT_LEN: usize = 64;

/// How many characters of an input an error repeats.
const SHOWN_CHARS: usize = 64;

/// `text`, or its first [`SHOWN_CHARS`] characters and `…` when longer.
fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// How the national numbers of a country code are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum National {
    /// With this trunk prefix, dropped in the international form (`0` in most countries).
    Trunk(&'static str),
    /// With no prefix: the national number is the number after the country code.
    NoTrunk,
    /// There are no national numbers (global services).
    None,
}

/// How calls abroad are dialled from a country code's countries, where it is not plain `00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Idd {
    /// `00`, the ITU-recommended international prefix.
    Plain,
    /// This fixed prefix; `00 …` is still read as the international prefix it is elsewhere.
    Fixed(&'static str),
    /// `00` and a carrier or service selector (`001`, `0041`, …), or a prefix that `00 …`
    /// could be confused with: digits after `00` could belong to either, so `00 …` is ambiguous.
    Selector,
}

/// How `code`'s national numbers are written.
fn national(code: CountryCode) -> National {
    match code.value() {
        1 | 692 => National::Trunk("1"),
        7 | 375 | 993 => National::Trunk("8"),
        36 => National::Trunk("06"),
        c if NON_GEOGRAPHIC.binary_search(&c).is_ok() => National::None,
        c if NO_TRUNK_PREFIX.binary_search(&c).is_ok() => National::NoTrunk,
        _ => National::Trunk("0"),
    }
}

/// How calls abroad are dialled from `code`'s countries.
fn idd(code: CountryCode) -> Idd {
    match code.value() {
        1 | 692 => Idd::Fixed("011"),
        7 | 375 | 992 | 993 => Idd::Fixed("810"),
        81 => Idd::Fixed("010"),
        61 => Idd::Fixed("0011"),
        254 => Idd::Fixed("000"),
        55 | 57 | 62 | 65 | 66 | 82 | 234 | 255 | 256 | 592 | 855 | 886 | 976 => Idd::Selector,
        _ => Idd::Plain,
    }
}

/// Whether `national` (the digits after this code) can be a number under it. Only the two
/// zones with one fixed length are checked: `+1` (the North American Numbering Plan: ten
/// digits, the first 2 to 9) and `+7` (Russia and Kazakhstan: ten digits, or fourteen
/// starting with 8).
fn fits(code: CountryCode, national: &str) -> bool {
    match code.value() {
        1 => national.len() == 10 && !national.starts_with(['0', '1']),
        7 => national.len() == 10 || (national.len() == 14 && national.starts_with('8')),
        _ => true,
    }
}

/// What a WhatsApp id with server `server` is, for an error message.
fn describe_server(server: &str) -> String {
    match server.to_ascii_lowercase().as_str() {
        "lid" => "a WhatsApp linked-device id (@lid)".to_owned(),
        "g.us" => "a WhatsApp group id (@g.us)".to_owned(),
        "newsletter" => "a WhatsApp channel id (@newsletter)".to_owned(),
        "broadcast" => "a WhatsApp broadcast list or status id (@broadcast)".to_owned(),
        "" => "an id with nothing after @".to_owned(),
        _ => format!("an address at {server:?}, not a WhatsApp user id (@c.us or @s.whatsapp.net)"),
    }
}

/// Why a string could not be read as a phone number. Every `input` field holds the input
/// trimmed, cut to its first 64 characters and `…` when longer.
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
    /// Far longer than any written phone number.
    #[error("{input:?} ({len} bytes) is too long to be a phone number")]
    TooLong {
        /// The start of the input.
        input: String,
        /// The input's length in bytes, trimmed.
        len: usize,
    },
    /// The default country code given to [`E164::parse`] is not a country calling code.
    #[error("invalid default country code: {0}")]
    InvalidDefaultCountryCode(#[from] CountryCodeError),
    /// An international number whose first digits are no assigned country calling code.
    #[error("{input:?} does not start with an assigned country calling code")]
    UnknownCountryCode {
        /// The input.
        input: String,
    },
    /// A WhatsApp id, or an address, that is not a user's phone number: a linked-device id
    /// (`…@lid`), a group (`…@g.us`), a channel (`…@newsletter`), a broadcast list, or any
    /// server other than `c.us` and `s.whatsapp.net`.
    #[error("{input:?} is {}, not a phone number", describe_server(.server))]
    NotAPhone {
        /// The input.
        input: String,
        /// What follows the `@` (its first 64 characters).
        server: String,
    },
    /// A number starting with `0` that is not a national number of the default country code
    /// (national numbers there are written without a trunk `0`, or there are none).
    #[error("{input:?} is not a national number of {code}: write it with + and its country code")]
    NotNational {
        /// The input.
        input: String,
        /// The default country code.
        code: CountryCode,
    },
    /// An international number of the wrong shape for its country code (see [`E164::parse`]).
    #[error("{input:?} is not a valid number under the country calling code {code}")]
    InvalidForCountry {
        /// The input.
        input: String,
        /// The number's country code.
        code: CountryCode,
    },
    /// Digits with no `+`, `00` or trunk `0` that, with a default country code set, could be a
    /// national number as well as an international one (`555 123 4567` with `1` is not
    /// `+55 51 234 567`, Brazil).
    #[error(
        "{input:?} has no + or 00: with the default country code {code} it could be a national or an international number; write it with + and its country code"
    )]
    AmbiguousNumber {
        /// The input.
        input: String,
        /// The default country code.
        code: CountryCode,
    },
}

/// A phone number in E.164 form. Built only through [`E164::parse`] (or
/// [`E164::parse_with_country`]), so it is always valid: `+`, an assigned country calling code,
/// 7 to 15 digits in all.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164 {
    number: String,
    code: CountryCode,
}

impl E164 {
    /// Reads a phone number written in any common way:
    ///
    /// - international: `+44 7911 123456`, `+44 (0)7911 123456`, `+1 (555) 123-4567`,
    ///   `0044 7911 123456`;
    /// - WhatsApp user ids: `447911123456@c.us`, `447911123456@s.whatsapp.net`, with a device
    ///   suffix (`447911123456:3@s.whatsapp.net`). Other ids are [`PhoneError::NotAPhone`]:
    ///   `…@lid` (a linked-device id, not a number), `…@g.us`, `…@newsletter`, any other server;
    /// - `tel:+44-7911-123456`;
    /// - bare digits with their country code, as WhatsApp writes them (`447911123456`).
    ///
    /// With a `default_country_code` (`"44"`, with or without `+`; see [`CountryCode::parse`]),
    /// numbers are also read as written in that country:
    ///
    /// - national numbers with a trunk `0`: `07911 123456` with `"44"` is `+447911123456`.
    ///   Where national numbers have no trunk prefix the `0` is kept (`06 …` with `"39"` is
    ///   `+39 06 …`); where it is another one (`1`, `8`) a leading `0` is
    ///   [`PhoneError::NotNational`];
    /// - the country's own international prefix where it is a fixed one (`011 44 …` with
    ///   `"1"`, `810 44 …` with `"7"`, `010 …` with `"81"`); `00 …` is
    ///   [`PhoneError::AmbiguousNumber`] where `00` is followed by a carrier selector there
    ///   (`"55"`, `"82"`, …);
    /// - bare digits only when they start with the default code and national numbers there are
    ///   written with a trunk prefix (`447911123456` with `"44"`). Otherwise they could be
    ///   national as well as international (`555 123 4567` with `"1"` is not Brazil's
    ///   `+55 51 234 567`), and are [`PhoneError::AmbiguousNumber`].
    ///
    /// The result has 7 to 15 digits and starts with an assigned country code (see
    /// [`ASSIGNED_COUNTRY_CODES`]); `+1` and `+7` numbers have their fixed length. An invalid
    /// `default_country_code` is always [`PhoneError::InvalidDefaultCountryCode`], whatever the
    /// number. Never panics; errors repeat at most the first 64 characters of the input.
    pub fn parse(input: &str, default_country_code: Option<&str>) -> Result<Self, PhoneError> {
        let default = default_country_code.map(CountryCode::parse).transpose()?;
        Self::parse_with_country(input, default)
    }

    /// Like [`E164::parse`], with an already validated default country code.
    pub fn parse_with_country(
        input: &str,
        default_country_code: Option<CountryCode>,
    ) -> Result<Self, PhoneError> {
        let raw = input.trim();
        if raw.len() > MAX_INPUT_LEN {
            return Err(PhoneError::TooLong {
                input: shown(raw),
                len: raw.len(),
            });
        }
        let rest = match raw.get(..4) {
            Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => &raw[4..],
            _ => raw,
        };
        if let Some((user, server)) = rest.split_once('@') {
            return Self::from_wid(raw, user, server);
        }

        let mut digits = String::with_capacity(rest.len());
        let mut plus = false;
        let mut skip = 0;
        for (at, c) in rest.char_indices() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            match c {
                '0'..='9' => digits.push(c),
                '+' if at == 0 => plus = true,
                // "+44 (0)20 …" marks a trunk 0 dialled only nationally: right after the
                // country code it is not part of the international number.
                '(' if rest[at..].starts_with("(0)") && ends_with_country_code(&digits, plus) => {
                    skip = 2;
                }
                ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
                other => {
                    return Err(PhoneError::InvalidCharacter {
                        input: shown(raw),
                        found: other,
                    });
                }
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::InvalidLength { input: shown(raw) });
        }

        let international = if plus {
            digits
        } else if let Some(code) = default_country_code {
            Self::with_default(raw, digits, code)?
        } else if let Some(stripped) = digits.strip_prefix("00") {
            stripped.to_owned()
        } else if digits.starts_with('0') {
            return Err(PhoneError::MissingCountryCode { input: shown(raw) });
        } else {
            digits
        };
        Self::from_international(raw, international)
    }

    /// The international digits of `digits` (no `+`), read as written in the country of `code`.
    fn with_default(raw: &str, digits: String, code: CountryCode) -> Result<String, PhoneError> {
        let ambiguous = || PhoneError::AmbiguousNumber {
            input: shown(raw),
            code,
        };
        if let Idd::Fixed(prefix) = idd(code)
            && let Some(international) = digits.strip_prefix(prefix)
        {
            return Ok(international.to_owned());
        }
        if let Some(international) = digits.strip_prefix("00") {
            return match idd(code) {
                Idd::Selector => Err(ambiguous()),
                Idd::Plain | Idd::Fixed(_) => Ok(international.to_owned()),
            };
        }
        if digits.starts_with('0') {
            let national = match national(code) {
                National::Trunk(prefix) if prefix.starts_with('0') => digits.strip_prefix(prefix),
                National::NoTrunk => Some(digits.as_str()),
                National::Trunk(_) | National::None => None,
            };
            return match national {
                Some(national) => Ok(format!("{}{national}", code.value())),
                None => Err(PhoneError::NotNational {
                    input: shown(raw),
                    code,
                }),
            };
        }
        // No national number of a country with a trunk prefix is written without it, so digits
        // starting with that country's code are international; anything else could be a
        // national number that lost its prefix, or one of a country that has none.
        let international = matches!(national(code), National::Trunk(_) | National::None)
            && digits.starts_with(&code.value().to_string());
        if international {
            Ok(digits)
        } else {
            Err(ambiguous())
        }
    }

    /// A WhatsApp id `user@server`: only user ids are phone numbers, and their user part is the
    /// international number's digits, maybe with an agent (`.0`, `_1`) and a device (`:3`).
    fn from_wid(raw: &str, user: &str, server: &str) -> Result<Self, PhoneError> {
        if !(server.eq_ignore_ascii_case("c.us") || server.eq_ignore_ascii_case("s.whatsapp.net")) {
            return Err(PhoneError::NotAPhone {
                input: shown(raw),
                server: shown(server),
            });
        }
        let end = user
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(user.len());
        let (number, suffix) = user.split_at(end);
        let suffix = strip_tag(suffix, &['.', '_']).unwrap_or(suffix);
        let suffix = strip_tag(suffix, &[':']).unwrap_or(suffix);
        if let Some(found) = suffix.chars().next() {
            return Err(PhoneError::InvalidCharacter {
                input: shown(raw),
                found,
            });
        }
        Self::from_international(raw, number.to_owned())
    }

    /// Checks the international digits (no `+`) of `raw`.
    fn from_international(raw: &str, digits: String) -> Result<Self, PhoneError> {
        if !(7..=15).contains(&digits.len()) {
            return Err(PhoneError::InvalidLength { input: shown(raw) });
        }
        let Some(code) = CountryCode::leading(&digits) else {
            return Err(PhoneError::UnknownCountryCode { input: shown(raw) });
        };
        let national = digits.get(code.value().to_string().len()..).unwrap_or("");
        if !fits(code, national) {
            return Err(PhoneError::InvalidForCountry {
                input: shown(raw),
                code,
            });
        }
        Ok(Self {
            number: format!("+{digits}"),
            code,
        })
    }

    /// The number with its `+`, such as `+447911123456`.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The digits only, as in WhatsApp IDs (`447911123456`).
    pub fn digits(&self) -> &str {
        self.number.strip_prefix('+').unwrap_or(&self.number)
    }

    /// The country calling code the number starts with (`+44` for `+447911123456`).
    pub fn country_code(&self) -> CountryCode {
        self.code
    }

    /// The WhatsApp ID of a user with this number (`447911123456@c.us`).
    pub fn wid(&self) -> String {
        format!("{}@c.us", self.digits())
    }
}

/// Whether the international digits read so far (after `+`, or after `00` when there is no
/// `+`) are exactly a country code.
fn ends_with_country_code(digits: &str, plus: bool) -> bool {
    let international = if plus {
        Some(digits)
    } else {
        digits.strip_prefix("00")
    };
    international.is_some_and(|d| CountryCode::exact(d).is_some())
}

/// `text` without a leading separator from `separators` and the digits after it, if it starts
/// with one followed by at least one digit.
fn strip_tag<'a>(text: &'a str, separators: &[char]) -> Option<&'a str> {
    let rest = text.strip_prefix(separators)?;
    let tail = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    (tail.len() < rest.len()).then_some(tail)
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("E164").field(&self.number).finish()
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

impl AsRef<str> for E164 {
    fn as_ref(&self) -> &str {
        &self.number
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
    E164::parse(input, default_country_code).map(|p| p.number)
}

#[cfg(test)]
mod tests;
