//! Parsed domain values: once built, they are valid (parse, don't validate).

use std::fmt;

/// A gateway MAC address, normalised to `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mac(String);

impl Mac {
    /// Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff` and `aabbccddeeff`.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        let hex: String = trimmed
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | '.'))
            .collect();
        let separators_ok = match trimmed.len() {
            12 => true,
            14 => trimmed.chars().filter(|c| *c == '.').count() == 2,
            17 => {
                let seps: Vec<char> = trimmed.chars().skip(2).step_by(3).collect();
                seps.iter().all(|c| *c == ':') || seps.iter().all(|c| *c == '-')
            }
            _ => false,
        };
        if !separators_ok || hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "'{trimmed}' is not a MAC address (expected six hex pairs, e.g. aa:bb:cc:dd:ee:ff)"
            ));
        }
        let lower = hex.to_ascii_lowercase();
        let pairs: Vec<&str> = (0..6).map(|i| &lower[i * 2..i * 2 + 2]).collect();
        Ok(Self(pairs.join(":")))
    }

    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Brazilian company tax id (CNPJ), kept as its 14 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cnpj(String);

impl Cnpj {
    /// Accepts digits with or without the usual `00.000.000/0000-00` punctuation and
    /// checks both check digits.
    pub fn parse(input: &str) -> Result<Self, String> {
        let digits: Vec<u32> = input
            .chars()
            .filter(|c| !matches!(c, '.' | '/' | '-' | ' '))
            .map(|c| c.to_digit(10).ok_or(()))
            .collect::<Result<_, _>>()
            .map_err(|_| format!("'{input}' is not a CNPJ (only digits and . / - allowed)"))?;
        if digits.len() != 14 {
            return Err(format!(
                "a CNPJ has 14 digits, '{input}' has {}",
                digits.len()
            ));
        }
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(format!("'{input}' is not a valid CNPJ"));
        }
        let check = |len: usize| -> u32 {
            let weights: Vec<u32> = if len == 12 {
                vec![5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
            } else {
                vec![6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
            };
            let sum: u32 = digits[..len].iter().zip(weights).map(|(d, w)| d * w).sum();
            let rest = sum % 11;
            if rest < 2 { 0 } else { 11 - rest }
        };
        if check(12) != digits[12] || check(13) != digits[13] {
            return Err(format!("'{input}' has wrong CNPJ check digits"));
        }
        Ok(Self(
            digits
                .iter()
                .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
                .collect(),
        ))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A login e-mail address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// A deliberately loose check: one `@`, something on each side, a dot in the domain.
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim().to_lowercase();
        let ok = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                    && !domain.ends_with('.') && !domain.contains('@'));
        if ok {
            Ok(Self(email))
        } else {
            Err(format!("'{}' is not an e-mail address", input.trim()))
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks an IANA time zone name.
pub fn parse_timezone(input: &str) -> Result<chrono_tz::Tz, String> {
    input
        .parse::<chrono_tz::Tz>()
        .map_err(|_| format!("'{input}' is not an IANA time zone (e.g. America/Sao_Paulo)"))
}

/// A code (gateway or device): 1..=max characters of letters, digits, `-` and `_`.
pub fn parse_code(input: &str, max: usize) -> Result<String, String> {
    let code = input.trim();
    if code.is_empty() {
        return Err("must not be empty".into());
    }
    if code.chars().count() > max {
        return Err(format!("at most {max} characters"));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("only letters, digits, '-' and '_'".into());
    }
    Ok(code.to_owned())
}

/// A display name: trimmed, 1..=120 characters.
pub fn parse_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    match name.chars().count() {
        0 => Err("must not be empty".into()),
        n if n > 120 => Err("at most 120 characters".into()),
        _ => Ok(name.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_forms_normalise() {
        for form in [
            "AA:BB:CC:DD:EE:0F",
            "aa-bb-cc-dd-ee-0f",
            "aabb.ccdd.ee0f",
            "AABBCCDDEE0F",
        ] {
            assert_eq!(
                Mac::parse(form).unwrap().as_str(),
                "aa:bb:cc:dd:ee:0f",
                "{form}"
            );
        }
    }

    #[test]
    fn mac_rejects_garbage() {
        for bad in [
            "",
            "aa:bb:cc:dd:ee",
            "aa:bb:cc:dd:ee:gg",
            "aa:bb-cc:dd:ee:ff",
            "aabbccddeeff00",
        ] {
            assert!(Mac::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cnpj_check_digits() {
        assert_eq!(
            Cnpj::parse("11.222.333/0001-81").unwrap().as_str(),
            "11222333000181"
        );
        assert!(Cnpj::parse("11.222.333/0001-82").is_err());
        assert!(Cnpj::parse("11111111111111").is_err());
        assert!(Cnpj::parse("1122233300018").is_err());
    }

    #[test]
    fn email_is_lowercased() {
        assert_eq!(
            Email::parse(" Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        assert!(Email::parse("ana@").is_err());
        assert!(Email::parse("ana example@x.com").is_err());
    }
}
