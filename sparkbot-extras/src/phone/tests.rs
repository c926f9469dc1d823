//! Unit tests of phone-number normalization.

use super::*;

#[test]
fn common_forms_become_e164() {
    for input in [
        "+44 7911 123456",
        "+44 (0)7911 123456",
        "0044 7911 123456",
        "0044 (0)7911 123456",
        "447911123456",
        "447911123456@c.us",
        "447911123456@s.whatsapp.net",
        "447911123456:3@s.whatsapp.net",
        "447911123456.0:3@s.whatsapp.net",
        "tel:+44-7911-123456",
        "TEL:+44-7911-123456",
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
    assert_eq!(phone.country_code().value(), 44);
    assert_eq!(format!("{phone:?}"), r#"E164("+447911123456")"#);
}

#[test]
fn country_codes_are_validated() {
    for ok in ["44", "+44", " 44 ", "1", "+1", "7", "353", "+998", "882"] {
        assert!(CountryCode::parse(ok).is_ok(), "{ok}");
    }
    assert_eq!(CountryCode::parse("+44").unwrap().to_string(), "+44");
    for malformed in [
        "abc", "0", "0044", "9999", "", "+", "++44", "4 4", "٤٤", "+-1",
    ] {
        assert!(
            matches!(
                CountryCode::parse(malformed),
                Err(CountryCodeError::Malformed { .. })
            ),
            "{malformed:?}"
        );
    }
    for unassigned in ["999", "28", "+21", "379", "42"] {
        assert!(
            matches!(
                CountryCode::parse(unassigned),
                Err(CountryCodeError::Unassigned { .. })
            ),
            "{unassigned:?}"
        );
    }
    let err = CountryCode::parse("abc").unwrap_err().to_string();
    assert!(
        err.contains("\"abc\"") && err.contains("1 to 3 digits"),
        "{err}"
    );
}

#[test]
fn the_code_list_is_sorted_and_prefix_free() {
    assert!(ASSIGNED_COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
    assert!(NO_TRUNK_PREFIX.windows(2).all(|w| w[0] < w[1]));
    assert!(NON_GEOGRAPHIC.windows(2).all(|w| w[0] < w[1]));
    for list in [NO_TRUNK_PREFIX, NON_GEOGRAPHIC] {
        assert!(list.iter().all(|c| CountryCode::new(*c).is_some()));
    }
    let texts: Vec<String> = ASSIGNED_COUNTRY_CODES.iter().map(u16::to_string).collect();
    for a in &texts {
        for b in &texts {
            assert!(
                a == b || !b.starts_with(a.as_str()),
                "{a} is a prefix of {b}"
            );
        }
    }
    for two_digit in [
        1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53,
        54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    ] {
        assert!(CountryCode::new(two_digit).is_some(), "{two_digit}");
    }
}

#[test]
fn an_invalid_default_country_code_is_an_error() {
    for bad in ["abc", "+", "", "0", "9999", "999"] {
        for number in ["07911 123456", "+44 7911 123456"] {
            assert!(
                matches!(
                    E164::parse(number, Some(bad)),
                    Err(PhoneError::InvalidDefaultCountryCode(_))
                ),
                "{number:?} with {bad:?}"
            );
        }
    }
    let err = normalize_phone("07911 123456", Some("abc"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("default country code") && err.contains("\"abc\""));
}
