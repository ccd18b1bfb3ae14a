//! Values as the leak matcher compares them (`leak::normalize`): trimmed,
//! Unicode NFC, case-folded, emails lowercased, phone numbers reduced to
//! their digits, dates in the common written forms turned into ISO
//! `YYYY-MM-DD`; then a 64-bit fingerprint of that canonical form, which is
//! all the matcher keeps of a value. Also the masks under which values
//! appear in reports unless the examiner asks for the real ones.

use std::hash::{BuildHasher, Hasher};
use unicode_normalization::UnicodeNormalization;

/// A value's fingerprint: a 64-bit hash of its canonical form.
pub type Fp = u64;

/// Values that mean "nothing here" in exports and dumps.
const EMPTY: [&str; 8] = ["", "null", "\\n", "none", "n/a", "na", "-", "nil"];

/// The canonical form of a value, or `None` when it is empty or a null
/// marker (those never match anything).
pub fn canonical(raw: &str) -> Option<String> {
    let t = raw.trim().trim_matches('\u{feff}').trim();
    if t.len() > MAX_VALUE_BYTES {
        // Compared on a prefix: long blobs are never distinctive anyway.
        let mut end = MAX_VALUE_BYTES;
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        return canonical(t.get(..end).unwrap_or_default());
    }
    let folded: String = if t.is_ascii() {
        t.to_ascii_lowercase()
    } else {
        t.nfc().collect::<String>().to_lowercase()
    };
    if EMPTY.contains(&folded.as_str()) {
        return None;
    }
    if let Some(d) = date(&folded) {
        return Some(d);
    }
    if let Some(p) = phone(&folded) {
        return Some(p);
    }
    Some(folded)
}

/// Longest value compared in full.
pub const MAX_VALUE_BYTES: usize = 4096;

/// The fingerprint of a canonical value.
pub fn fingerprint(canonical: &str) -> Fp {
    // A fixed seed: fingerprints must agree between the sample and every
    // candidate within one run (and between runs, for reproducibility).
    let mut h = foldhash::fast::FixedState::with_seed(0x6c65_616b_7632_0001).build_hasher();
    h.write(canonical.as_bytes());
    h.finish()
}

/// Canonical form and fingerprint in one step.
pub fn fp(raw: &str) -> Option<Fp> {
    canonical(raw).map(|c| fingerprint(&c))
}

/// Whether a value looks like an email address.
pub fn is_email(v: &str) -> bool {
    let v = v.trim();
    match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

/// Digits only, for values written like a phone number with at least 7
/// digits (`+44 20 7946 0018`, `(555) 123-4567`). Plain numbers without any
/// separator stay as they are (they are ids or amounts as often as phones).
fn phone(v: &str) -> Option<String> {
    if !v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return None;
    }
    // A date's shape (2023-02-30, even when not a real date) is no phone.
    let parts: Vec<&str> = v.split(['-', '/', '.']).collect();
    if parts.len() == 3 && parts.iter().any(|p| p.len() == 4) && parts.iter().all(|p| p.len() <= 4)
    {
        return None;
    }
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    let separators = v.len() != digits.len();
    (digits.len() >= 7 && digits.len() <= 16 && separators).then_some(digits)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn ymd(y: u32, m: u32, d: u32) -> Option<String> {
    chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
        .filter(|_| (1000..=2999).contains(&y))
        .map(|d| d.format("%Y-%m-%d").to_string())
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn month(s: &str) -> Option<u32> {
    let s = s.trim_end_matches('.');
    if s.len() < 3 {
        return None;
    }
    let k = MONTHS.iter().position(|m| s.starts_with(m))?;
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let ok = full.get(k).is_some_and(|f| f.starts_with(s)) || (k == 8 && s == "sept");
    ok.then_some(k as u32 + 1)
}

/// A date in a common written form as `YYYY-MM-DD` (lowercased input).
/// A time after the date is dropped. `DD/MM/YYYY` and `MM/DD/YYYY` are
/// only read when one of the first two numbers is above 12.
pub fn date(v: &str) -> Option<String> {
    if v.len() < 8 || v.len() > 40 {
        return None;
    }
    // ISO: 2024-03-01, 2024/03/01, 2024-03-01T12:00:00Z, 2024-03-01 12:00.
    let head = v.split(['t', ' ']).next().unwrap_or(v);
    let parts: Vec<&str> = head.split(['-', '/', '.']).collect();
    if let [a, b, c] = parts.as_slice()
        && a.len() == 4
    {
        let rest = v.get(head.len()..).unwrap_or_default();
        if !time_like(rest) {
            return None;
        }
        return ymd(num(a)?, num(b)?, num(c)?);
    }
    if let [a, b, c] = parts.as_slice()
        && c.len() == 4
        && a.len() <= 2
        && b.len() <= 2
    {
        let rest = v.get(head.len()..).unwrap_or_default();
        if !time_like(rest) {
            return None;
        }
        let (a, b, y) = (num(a)?, num(b)?, num(c)?);
        return match (a > 12, b > 12) {
            (true, false) => ymd(y, b, a),
            (false, true) => ymd(y, a, b),
            _ => None,
        };
    }
    // 1 Mar 2024, 1 March 2024, Mar 1 2024, March 1, 2024.
    let words: Vec<&str> = v.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [d, m, y] | [d, m, y, _] if num(d).is_some() => {
            ymd(num(y)?, month(m)?, num(d.trim_end_matches('.'))?)
        }
        [m, d, y] | [m, d, y, _] if month(m).is_some() => ymd(num(y)?, month(m)?, num(d)?),
        _ => None,
    }
}

/// What may follow a date: nothing, or a time (`T12:00:00Z`, ` 12:00`).
fn time_like(rest: &str) -> bool {
    let r = rest.trim_start_matches(['t', ' ']);
    r.is_empty()
        || (r.len() <= 32
            && r.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && r.bytes()
                .all(|b| b.is_ascii_digit() || b":.+-z ".contains(&b)))
}

/// Column names whose values are secrets: never printed, even with
/// `--show-values`.
pub fn is_secret_column(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "pass", "secret", "token", "api_key", "apikey", "private", "otp", "salt",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// A value masked for a report: `j***@example.com`, `+** *** ***42`,
/// `J***`. Secrets (by column name) are always `[secret]`.
pub fn mask(column: &str, v: &str) -> String {
    if is_secret_column(column) {
        return "[secret]".into();
    }
    let v = v.trim();
    if v.is_empty() {
        return String::new();
    }
    if is_email(v)
        && let Some((local, domain)) = v.split_once('@')
    {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    if phone(v).is_some() {
        let digits: Vec<char> = v.chars().filter(char::is_ascii_digit).collect();
        let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
        return format!("+** *** ***{tail}");
    }
    let first: String = v.chars().take(1).collect();
    format!("{first}***")
}

/// A value as the report shows it: real when asked for (secrets still
/// hidden), masked otherwise.
pub fn shown(column: &str, v: &str, show_values: bool) -> String {
    if is_secret_column(column) {
        "[secret]".into()
    } else if show_values {
        v.to_string()
    } else {
        mask(column, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_folds_and_normalises_unicode() {
        assert_eq!(canonical("  Alice  ").as_deref(), Some("alice"));
        // "é" composed and decomposed are one value.
        assert_eq!(canonical("Jos\u{e9}"), canonical("Jose\u{301}"));
        assert_eq!(
            canonical("J.Doe@Example.COM").as_deref(),
            Some("j.doe@example.com")
        );
        assert_eq!(canonical(""), None);
        assert_eq!(canonical("NULL"), None);
        assert_eq!(canonical("\\N"), None);
    }

    #[test]
    fn phones_become_digits() {
        assert_eq!(
            canonical("+44 20 7946 0018").as_deref(),
            Some("442079460018")
        );
        assert_eq!(canonical("(555) 123-4567").as_deref(), Some("5551234567"));
        // Plain numbers are ids as often as phones: kept.
        assert_eq!(canonical("1234567").as_deref(), Some("1234567"));
        assert_eq!(canonical("12-34").as_deref(), Some("12-34"));
    }

    #[test]
    fn dates_become_iso() {
        for d in [
            "2024-03-01",
            "2024/03/01",
            "2024-03-01T10:22:33Z",
            "2024-03-01 10:22:33",
            "1 Mar 2024",
            "1 March 2024",
            "March 1, 2024",
            "01/03/2024 ",
        ] {
            let want = if d.starts_with("01/03") {
                None // ambiguous: day and month both <= 12
            } else {
                Some("2024-03-01".to_string())
            };
            if want.is_none() {
                assert_eq!(canonical(d).as_deref(), Some("01/03/2024"), "{d}");
            } else {
                assert_eq!(canonical(d), want, "{d}");
            }
        }
        assert_eq!(canonical("25/12/2023").as_deref(), Some("2023-12-25"));
        assert_eq!(canonical("12/25/2023").as_deref(), Some("2023-12-25"));
        assert_eq!(canonical("2023-02-30").as_deref(), Some("2023-02-30"));
    }

    #[test]
    fn masks_hide_personal_data() {
        assert_eq!(mask("email", "john.doe@example.com"), "j***@example.com");
        assert_eq!(mask("phone", "+44 20 7946 0042"), "+** *** ***42");
        assert_eq!(mask("name", "John"), "J***");
        assert_eq!(mask("password", "hunter2"), "[secret]");
        assert_eq!(shown("password_hash", "x", true), "[secret]");
        assert_eq!(shown("email", "a@b.co", true), "a@b.co");
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fp("A@B.com"), fp(" a@b.com"));
        assert_ne!(fp("a@b.com"), fp("a@b.org"));
    }
}
