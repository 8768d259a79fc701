//! Kazakh identification numbers: IIN (individuals) and BIN (legal entities).
//!
//! Both are 12 digits with a mod-11 check digit: weights 1..11 over the first eleven digits; when
//! the remainder is 10, weights 3..11,1,2; a second remainder of 10 means the number is invalid.
//! An IIN starts with the birth date YYMMDD; a BIN starts with the registration year and month
//! YYMM followed by the entity type (4 resident, 5 non-resident, 6 individual entrepreneur).

/// What a valid 12-digit number identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// Individual identification number (ЖСН / ИИН).
    Iin,
    /// Business identification number (БСН / БИН).
    Bin,
}

/// Why a BIN/IIN is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not exactly twelve ASCII digits.
    #[error("must be exactly 12 digits")]
    NotTwelveDigits,
    /// The fifth digit is neither a day's first digit (IIN) nor an entity type (BIN).
    #[error("5th digit {0} fits neither an IIN (birth day 0–3) nor a BIN (entity type 4–6)")]
    UnknownKind(u8),
    /// An IIN whose first six digits are not a calendar date.
    #[error("first six digits {0} are not a valid birth date YYMMDD")]
    BadBirthDate(String),
    /// A BIN whose month (digits 3–4) is not 01–12.
    #[error("registration month {0} (digits 3–4) is not 01–12")]
    BadMonth(String),
    /// Both check-digit passes gave remainder 10: no valid number has these eleven digits.
    #[error("the first eleven digits admit no check digit (remainder 10 twice)")]
    NoCheckDigit,
    /// The twelfth digit is not the computed check digit.
    #[error("check digit is {found}, expected {expected}")]
    WrongCheckDigit { found: u8, expected: u8 },
}

/// The check digit of the first eleven digits, or `None` when both passes give remainder 10.
pub fn check_digit(first_eleven: &[u8; 11]) -> Option<u8> {
    let weighted = |weights: [u32; 11]| -> u32 {
        first_eleven
            .iter()
            .zip(weights)
            .map(|(&d, w)| u32::from(d) * w)
            .sum::<u32>()
            % 11
    };
    let first = weighted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if first != 10 {
        return u8::try_from(first).ok();
    }
    let second = weighted([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
    if second == 10 {
        None
    } else {
        u8::try_from(second).ok()
    }
}

/// Checks a BIN or IIN and says which it is.
pub fn check_bin_iin(value: &str) -> Result<IdKind, IdError> {
    let bytes = value.as_bytes();
    if bytes.len() != 12 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(IdError::NotTwelveDigits);
    }
    let digits: Vec<u8> = bytes.iter().map(|b| b - b'0').collect();
    let two = |i: usize| digits[i] * 10 + digits[i + 1];
    let kind = match digits[4] {
        0..=3 => {
            let (yy, mm, dd) = (two(0), two(2), two(4));
            // Digit 7 gives the century (1–2: 1800s, 3–4: 1900s, 5–6: 2000s); otherwise take a
            // leap year so that 29 February is not refused for want of knowing the century.
            let century = match digits[6] {
                1 | 2 => 1800,
                3 | 4 => 1900,
                5 | 6 => 2000,
                _ => 2000,
            };
            let year = if matches!(digits[6], 1..=6) {
                century + i32::from(yy)
            } else {
                2000
            };
            let valid = time::Month::try_from(mm)
                .ok()
                .and_then(|month| time::Date::from_calendar_date(year, month, dd).ok())
                .is_some();
            if !valid {
                return Err(IdError::BadBirthDate(value[..6].to_string()));
            }
            IdKind::Iin
        }
        4..=6 => {
            if !(1..=12).contains(&two(2)) {
                return Err(IdError::BadMonth(value[2..4].to_string()));
            }
            IdKind::Bin
        }
        other => return Err(IdError::UnknownKind(other)),
    };
    let mut first_eleven = [0u8; 11];
    first_eleven.copy_from_slice(&digits[..11]);
    let expected = check_digit(&first_eleven).ok_or(IdError::NoCheckDigit)?;
    if digits[11] != expected {
        return Err(IdError::WrongCheckDigit {
            found: digits[11],
            expected,
        });
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the check digit to eleven digits (for building valid test numbers).
    fn complete(eleven: &str) -> String {
        let mut digits = [0u8; 11];
        for (d, b) in digits.iter_mut().zip(eleven.bytes()) {
            *d = b - b'0';
        }
        format!("{eleven}{}", check_digit(&digits).unwrap())
    }

    #[test]
    fn known_check_digits() {
        // 88010130012: weights 1..11 give 87, remainder 10; weights 3..11,1,2 give remainder 3.
        assert_eq!(check_bin_iin("880101300123"), Ok(IdKind::Iin));
        assert_eq!(
            check_bin_iin("880101300125"),
            Err(IdError::WrongCheckDigit {
                found: 5,
                expected: 3
            })
        );
        // 05014000001: weights 1..11 give 199, remainder 1.
        assert_eq!(check_bin_iin("050140000011"), Ok(IdKind::Bin));
        assert_eq!(complete("05014000001"), "050140000011");
    }

    #[test]
    fn second_pass_is_used_when_first_remainder_is_ten() {
        // Find eleven digits whose first remainder is 10 and check the second pass decides.
        let mut found = false;
        for n in 0..2000u32 {
            let eleven = format!("900101{:05}", 30000 + n);
            let mut d = [0u8; 11];
            for (x, b) in d.iter_mut().zip(eleven.bytes()) {
                *x = b - b'0';
            }
            let first: u32 = d
                .iter()
                .enumerate()
                .map(|(i, &x)| u32::from(x) * (i as u32 + 1))
                .sum::<u32>()
                % 11;
            if first == 10 {
                let second: u32 = d
                    .iter()
                    .zip([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])
                    .map(|(&x, w)| u32::from(x) * w)
                    .sum::<u32>()
                    % 11;
                if second == 10 {
                    assert_eq!(check_digit(&d), None);
                    assert_eq!(
                        check_bin_iin(&format!("{eleven}0")),
                        Err(IdError::NoCheckDigit)
                    );
                } else {
                    assert_eq!(check_digit(&d), Some(second as u8));
                    found = true;
                }
            }
        }
        assert!(found);
    }

    #[test]
    fn structure_is_checked() {
        assert_eq!(check_bin_iin("12345"), Err(IdError::NotTwelveDigits));
        assert_eq!(check_bin_iin("88010130012a"), Err(IdError::NotTwelveDigits));
        assert_eq!(
            check_bin_iin("８８０１０１３００１２１"),
            Err(IdError::NotTwelveDigits)
        );
        assert_eq!(
            check_bin_iin(&complete("88023130012")),
            Err(IdError::BadBirthDate("880231".into()))
        );
        // 29 February 2000 exists (digit 7 = 5: born in the 2000s), 1900 was no leap year.
        assert_eq!(check_bin_iin(&complete("00022950012")), Ok(IdKind::Iin));
        assert!(matches!(
            check_bin_iin(&complete("00022930012")),
            Err(IdError::BadBirthDate(_))
        ));
        assert_eq!(
            check_bin_iin(&complete("05134000001")),
            Err(IdError::BadMonth("13".into()))
        );
        assert_eq!(
            check_bin_iin(&complete("05017000001")),
            Err(IdError::UnknownKind(7))
        );
    }
}
