//! Phone numbers (`sparkbot_extras::phone`): a number is read only when its country is certain,
//! WhatsApp ids other than users' are not phones, and no input panics or is echoed in full.

use regex::Regex;
use sparkbot_extras::phone::{CountryCode, CountryCodeError, E164, PhoneError, normalize_phone};

/// The spec's `Phone` pattern.
const SPEC_PHONE: &str = r"^\+[1-9][0-9]{6,14}$";

#[test]
fn country_codes_are_validated_without_panicking() {
    for (input, value) in [("44", 44), ("+44", 44), ("1", 1), ("+1", 1), ("353", 353)] {
        assert_eq!(
            CountryCode::parse(input).map(CountryCode::value),
            Ok(value),
            "{input:?}"
        );
    }
    for input in [
        "abc",
        "0",
        "0044",
        "9999",
        "",
        "+",
        "4-4",
        "\u{0}",
        "44\u{202e}",
    ] {
        let err = CountryCode::parse(input).unwrap_err();
        assert!(
            matches!(err, CountryCodeError::Malformed { .. }),
            "{input:?}: {err:?}"
        );
        assert!(err.to_string().contains("1 to 3 digits"), "{err}");
    }
    // Well formed, but assigned to no country or service.
    for input in ["999", "+28", "210", "42"] {
        assert!(
            matches!(
                CountryCode::parse(input),
                Err(CountryCodeError::Unassigned { .. })
            ),
            "{input:?}"
        );
    }
    let huge = "4".repeat(100_000);
    let err = CountryCode::parse(&huge).unwrap_err().to_string();
    assert!(err.len() < 300, "{} bytes", err.len());

    // The validated code reads national numbers; the number knows its code.
    let uk = CountryCode::parse("+44").unwrap();
    let phone = E164::parse_with_country("07911 123456", Some(uk)).unwrap();
    assert_eq!(phone.as_str(), "+447911123456");
    assert_eq!(phone.country_code(), uk);
    assert_eq!(uk.to_string(), "+44");
}

#[test]
fn an_invalid_default_country_code_is_an_error_not_a_guess() {
    for default in ["abc", "+", "", " ", "0", "9999", "999", "447", "+-44"] {
        for number in ["07911 123456", "+44 7911 123456"] {
            let result = normalize_phone(number, Some(default));
            assert!(
                result.is_err(),
                "{number:?} with default {default:?} gave {result:?}"
            );
        }
        let message = normalize_phone("07911 123456", Some(default))
            .unwrap_err()
            .to_string();
        assert!(message.contains("default country code"), "{message}");
    }
    assert!(matches!(
        E164::parse("07911 123456", Some("abc")),
        Err(PhoneError::InvalidDefaultCountryCode(_))
    ));
}

/// Every input the old reader sent to the wrong country (or to no country), next to the ones
/// that must keep working: `Some(number)` must be the result, `None` an error.
#[test]
fn numbers_never_land_in_another_country() {
    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        // United Kingdom, trunk 0.
        ("07911 123456", Some("44"), Some("+447911123456")),
        ("07911 123456", Some("+44"), Some("+447911123456")),
        ("+44 7911 123456", Some("44"), Some("+447911123456")),
        ("+44 (0)7911 123456", Some("44"), Some("+447911123456")),
        ("0044 7911 123456", Some("44"), Some("+447911123456")),
        ("0044 (0)7911 123456", None, Some("+447911123456")),
        ("447911123456", Some("44"), Some("+447911123456")),
        ("447911123456", None, Some("+447911123456")),
        ("+447911123456", Some("1"), Some("+447911123456")),
        ("07911 123456", None, None),
        // The trunk 0 lost: was +7911123456 (Russia).
        ("7911 123456", Some("44"), None),
        ("7911123456", None, None),
        ("+(0)7911 123456", None, None),
        ("+(0)7911 123456", Some("44"), None),
        ("00 (0)7911 123456", None, None),
        ("00 7911 123456", Some("44"), None),
        ("+7911123456", None, None),
        ("+79111234567", None, Some("+79111234567")),
        // A foreign number without + is ambiguous once a default is set.
        ("4915112345678", Some("44"), None),
        ("+49 151 12345678", Some("44"), Some("+4915112345678")),
        // No usable default: was +7911123456, +4477911123456, +17911123456, +77911123456.
        ("07911 123456", Some("abc"), None),
        ("07911 123456", Some("447"), None),
        ("07911 123456", Some("1"), None),
        ("07911 123456", Some("7"), None),
        // North America: was +5551234567 (Brazil) and +111447911123456.
        ("555 123 4567", Some("1"), None),
        ("+1 555 123 4567", Some("1"), Some("+15551234567")),
        ("1 (555) 123-4567", Some("1"), Some("+15551234567")),
        ("011 44 7911 123456", Some("1"), Some("+447911123456")),
        ("0011 44 7911 123456", None, None),
        ("+1 055 123 4567", None, None),
        // Russia: trunk 8, international prefix 810; was +89111234567 (no country).
        ("8 911 123-45-67", Some("7"), None),
        ("810 44 7911 123456", Some("7"), Some("+447911123456")),
        // Spain has no trunk prefix: was +612345678 (Australia).
        ("612 345 678", Some("34"), None),
        ("+34 612 345 678", Some("34"), Some("+34612345678")),
        // Italy keeps its 0; Hungary's trunk prefix is 06: were +39612345678, +366301234567.
        ("06 1234 5678", Some("39"), Some("+390612345678")),
        ("06 30 123 4567", Some("36"), Some("+36301234567")),
        // Japan dials abroad with 010.
        ("090 1234 5678", Some("81"), Some("+819012345678")),
        ("010 44 7911 123456", Some("81"), Some("+447911123456")),
        // Where 00 is followed by a carrier selector it is ambiguous: were +41447911123456
        // (Switzerland) and +9447911123456 (Sri Lanka).
        ("0041 44 7911 123456", Some("55"), None),
        ("009 44 7911 123456", Some("234"), None),
        // No assigned country code.
        ("+28 1234 5678", None, None),
        ("0028 1234 5678", None, None),
        ("+0 7911 123456", None, None),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(input, default, expected)| {
            let got = normalize_phone(input, default);
            (got.as_deref().ok() != expected).then(|| {
                format!("{input:?} with default {default:?}: expected {expected:?}, got {got:?}")
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn only_whatsapp_user_ids_are_phones() {
    for wid in [
        "447911123456@c.us",
        "447911123456@C.US",
        "447911123456@s.whatsapp.net",
        "447911123456:12@s.whatsapp.net",
        "447911123456.0:3@s.whatsapp.net",
    ] {
        assert_eq!(
            normalize_phone(wid, None).as_deref(),
            Ok("+447911123456"),
            "{wid}"
        );
    }
    for (wid, what) in [
        ("100000000000001@lid", "linked-device id (@lid)"),
        ("447911123456@lid", "linked-device id (@lid)"),
        ("120363012345678901@g.us", "group id (@g.us)"),
        ("447362053576-000000000@g.us", "group id (@g.us)"),
        ("120363000000000001@newsletter", "channel id (@newsletter)"),
        ("status@broadcast", "broadcast"),
        ("447911123456@evil.example", "\"evil.example\""),
        ("447911123456@c.us.evil.example", "\"c.us.evil.example\""),
        ("447911123456@", "nothing after @"),
    ] {
        for default in [None, Some("44")] {
            let err = normalize_phone(wid, default).unwrap_err();
            assert!(
                matches!(err, PhoneError::NotAPhone { .. }),
                "{wid}: {err:?}"
            );
            let message = err.to_string();
            assert!(
                message.contains(what) && message.contains(&format!("{wid:?}")),
                "{wid}: {message}"
            );
        }
    }
    // A user id holds the international digits only: no +, no trunk 0 to complete.
    for wid in [
        "+447911123456@c.us",
        "07911123456@c.us",
        "44 7911 123456@c.us",
        "447911123456:@c.us",
        "447911123456:x@c.us",
    ] {
        assert!(
            normalize_phone(wid, Some("44")).is_err(),
            "{wid} was read as a phone"
        );
    }
}

#[test]
fn lengths_follow_the_spec_phone_pattern() {
    let pattern = Regex::new(SPEC_PHONE).unwrap();
    for (input, ok) in [
        ("+44 12345", true),          // 7 digits
        ("+44 123456789012 3", true), // 15 digits
        ("+44 1234", false),          // 6
        ("+44 1234567890123 4", false),
        ("4412345@c.us", true),
        ("441234@c.us", false),
        ("4412345678901234@c.us", false),
        ("0044 1234", false),
    ] {
        let result = normalize_phone(input, None);
        assert_eq!(result.is_ok(), ok, "{input:?}: {result:?}");
        if let Ok(number) = result {
            assert!(pattern.is_match(&number), "{number}");
        }
    }
}

/// A small deterministic generator, so the fuzzing below is reproducible.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn no_input_panics_and_errors_stay_short() {
    let mut inputs: Vec<String> = [
        "9".repeat(1_000_000),
        "+".repeat(100_000),
        format!("+44{}", "7".repeat(100_000)),
        format!("447911123456@{}", "x".repeat(100_000)),
        format!("{}@lid", "1".repeat(100_000)),
        " ".repeat(100_000),
        "٣".repeat(50_000),
        "🙂".repeat(50_000),
        "\u{202e}".repeat(50_000),
        format!("{}07911 123456", "\u{0}".repeat(1000)),
    ]
    .into_iter()
    .collect();
    for small in [
        "",
        "+",
        "0",
        "00",
        "(",
        "(0)",
        "+(0)",
        "+44(0",
        "tel:",
        "TEL",
        "tél:",
        "ééé",
        "@",
        "@@",
        ":@c.us",
        "1.@c.us",
        "1_2:3@s.whatsapp.net",
        "\u{0}",
        "\n",
        "\u{7f}",
        "\u{1b}[31m",
        "+44 7911\u{a0}123456",
        "+44\u{200b}7911123456",
        "٤٤٧٩١١١٢٣٤٥٦",
        "０７９１１",
    ] {
        inputs.push(small.to_owned());
    }
    let alphabet: Vec<char> = "0123456789+-.()/ @:_tel\u{a0}é🙂\u{0}\n\u{202e}cusgid"
        .chars()
        .collect();
    let mut rng = Lcg(0x5eed);
    for _ in 0..20_000 {
        let len = rng.next() % 24;
        inputs.push(
            (0..len)
                .map(|_| alphabet[rng.next() % alphabet.len()])
                .collect(),
        );
    }

    for input in &inputs {
        for default in [
            None,
            Some("44"),
            Some("1"),
            Some("39"),
            Some("abc"),
            Some(&**input),
        ] {
            if let Err(err) = normalize_phone(input, default) {
                let message = err.to_string();
                assert!(
                    message.len() < 1024,
                    "an error of {} bytes for an input of {} bytes",
                    message.len(),
                    input.len()
                );
            }
        }
        let _ = CountryCode::parse(input);
        let _ = input.parse::<E164>();
    }

    let err = normalize_phone(&"9".repeat(1_000_000), None).unwrap_err();
    assert!(
        matches!(err, PhoneError::TooLong { len: 1_000_000, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains('…') && !message.contains(&"9".repeat(100)),
        "{message}"
    );
    // Control characters are escaped, never written raw into a log line.
    let message = normalize_phone("+44\n\u{1b}[2J", None)
        .unwrap_err()
        .to_string();
    assert!(
        !message.contains('\n') && !message.contains('\u{1b}'),
        "{message}"
    );
}
