//! Country calling codes: the one check, shared by the configuration (its default country
//! code) and by the phone-number parsing of `sparkbot-extras`.

use std::fmt;

/// The ITU-T E.164 country calling codes in service, ascending: the geographic codes and the
/// global services (`800` freephone, `808`, `870` Inmarsat, `878`, `881`, `882`, `883`, `888`,
/// `979`). Codes that are spare, or reserved with no numbers behind them (such as `379`, Vatican
/// City, whose numbers use `+39`), are not in the list.
///
/// The list is prefix-free, so the first digits of an international number name exactly one code.
pub const ASSIGNED_COUNTRY_CODES: &[u16] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211,
    212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253,
    254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298,
    299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377,
    378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506,
    507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676,
    677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850, 852,
    853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966, 967,
    968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998,
];

/// How many characters of an input an error repeats.
const SHOWN_CHARS: usize = 64;

/// `text`, or its first [`SHOWN_CHARS`] characters and `…` when longer.
fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Why a string is not a country calling code (see [`CountryCode::parse`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CountryCodeError {
    /// Not 1 to 3 digits, optionally after `+`, with a first digit other than 0.
    #[error(
        "{input:?} is not a country calling code: write 1 to 3 digits, optionally after +, not starting with 0 (such as \"44\" or \"+1\")"
    )]
    Malformed {
        /// The input (its first 64 characters and `…` when longer).
        input: String,
    },
    /// Well formed, but no country or service has this code (see [`ASSIGNED_COUNTRY_CODES`]).
    #[error("{input:?} is not an assigned country calling code (ITU-T E.164)")]
    Unassigned {
        /// The input (its first 64 characters and `…` when longer).
        input: String,
    },
}

/// An assigned ITU-T E.164 country calling code, such as `44` (United Kingdom) or `1` (the
/// North American Numbering Plan). Built only through [`CountryCode::parse`] or
/// [`CountryCode::new`], so it is always one of [`ASSIGNED_COUNTRY_CODES`].
///
/// ```
/// use sparkbot_api::country::CountryCode;
///
/// assert_eq!(CountryCode::parse("+44").unwrap().value(), 44);
/// assert!(CountryCode::parse("abc").is_err());
/// assert!(CountryCode::parse("999").is_err()); // well formed, but assigned to no one
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(u16);

impl CountryCode {
    /// Reads a country calling code: 1 to 3 digits, optionally after `+`, first digit not 0,
    /// and assigned by the ITU (`"44"`, `"+44"`, `"1"`, `"+353"`). Surrounding whitespace is
    /// ignored. `"abc"`, `"0"`, `"0044"`, `"9999"` and `""` are [`CountryCodeError::Malformed`];
    /// a well-formed code no one has (`"999"`) is [`CountryCodeError::Unassigned`].
    pub fn parse(input: &str) -> Result<Self, CountryCodeError> {
        let trimmed = input.trim();
        let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
        let well_formed = (1..=3).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !well_formed {
            return Err(CountryCodeError::Malformed {
                input: shown(input),
            });
        }
        let value = digits
            .bytes()
            .fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
        Self::new(value).ok_or_else(|| CountryCodeError::Unassigned {
            input: shown(input),
        })
    }

    /// The code with this value, if it is one of [`ASSIGNED_COUNTRY_CODES`].
    pub fn new(value: u16) -> Option<Self> {
        ASSIGNED_COUNTRY_CODES
            .binary_search(&value)
            .ok()
            .map(|_| Self(value))
    }

    /// The code as a number (`44`).
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The code whose digits `digits` starts with (E.164 codes are prefix-free), if any.
    pub fn leading(digits: &str) -> Option<Self> {
        (1..=3)
            .filter_map(|len| digits.get(..len))
            .find_map(Self::exact)
    }

    /// The code written exactly as `digits`, if it is one.
    pub fn exact(digits: &str) -> Option<Self> {
        if (1..=3).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
        {
            Self::new(
                digits
                    .bytes()
                    .fold(0u16, |n, b| n * 10 + u16::from(b - b'0')),
            )
        } else {
            None
        }
    }
}

/// Written with its `+`: `+44`.
impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl std::str::FromStr for CountryCode {
    type Err = CountryCodeError;

    /// See [`CountryCode::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
