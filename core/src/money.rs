//! Money: yuan with exactly two decimals (fen), exact decimal arithmetic.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of yuan with exactly two decimals (whole fen).
///
/// Built on `rust_decimal`, never on floats. Stored as integer fen
/// ([`Money::fen`], [`Money::from_fen`]). On the wire it is a string such as
/// `"12.50"`, so no JSON float ever carries money.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Default for Money {
    fn default() -> Money {
        Money::ZERO
    }
}

/// Why a text or number is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a number.
    #[error("'{0}' is not an amount of money (write it like 12.50)")]
    NotANumber(String),
    /// The amount has more than two decimals.
    #[error("'{0}' has fractions of a fen; money has at most two decimals")]
    FractionOfFen(String),
    /// The amount does not fit.
    #[error("amount out of range")]
    OutOfRange,
}

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// An amount from integer fen (1 yuan = 100 fen).
    pub fn from_fen(fen: i64) -> Money {
        Money(Decimal::new(fen, 2))
    }

    /// An amount from integer fen, for constants.
    pub const fn from_fen_const(fen: u32) -> Money {
        Money(Decimal::from_parts(fen, 0, 0, false, 2))
    }

    /// An amount from whole yuan.
    pub fn from_yuan(yuan: i64) -> Money {
        Money::from_fen(yuan.saturating_mul(100))
    }

    /// The amount as integer fen, the form in which it is stored.
    pub fn fen(self) -> i64 {
        // Invariant: every constructor leaves scale 2 and a mantissa that
        // fits i64, so the mantissa is the amount in fen.
        debug_assert_eq!(self.0.scale(), 2);
        i64::try_from(self.0.mantissa()).unwrap_or(if self.0.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    /// The amount as a decimal number of yuan, with scale 2.
    pub fn to_decimal(self) -> Decimal {
        self.0
    }

    /// An amount from a decimal; rejects fractions of a fen.
    pub fn from_decimal(d: Decimal) -> Result<Money, MoneyError> {
        let normal = d.normalize();
        if normal.scale() > 2 {
            return Err(MoneyError::FractionOfFen(d.to_string()));
        }
        let mut d = d;
        d.rescale(2);
        if i64::try_from(d.mantissa()).is_err() {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Money(d))
    }

    /// Parses money as it travels on the wire: "12.50", also "12.5", "12"
    /// and "-3.00", with spaces around it ignored. Digits on both sides of
    /// the point: "12." and ".5" are refused, as are currency signs
    /// ("¥12.00", "￥12.00", "12.00元"): the wire carries numbers only.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let t = text.trim();
        let unsigned = t.strip_prefix('-').unwrap_or(t);
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !fraction.is_none_or(digits) {
            return Err(MoneyError::NotANumber(text.to_string()));
        }
        let d = Decimal::from_str(t).map_err(|_| MoneyError::NotANumber(text.to_string()))?;
        Money::from_decimal(d).map_err(|e| match e {
            MoneyError::FractionOfFen(_) => MoneyError::FractionOfFen(text.to_string()),
            other => other,
        })
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        Money::from_fen(self.fen().checked_add(other.fen())?).into()
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        Money::from_fen(self.fen().checked_sub(other.fen())?).into()
    }

    /// `self × count`, or `None` on overflow.
    pub fn checked_mul(self, count: u32) -> Option<Money> {
        Money::from_fen(self.fen().checked_mul(i64::from(count))?).into()
    }

    /// The negated amount (for reversals).
    pub fn negated(self) -> Money {
        Money::from_fen(-self.fen())
    }

    /// True when below zero.
    pub fn is_negative(self) -> bool {
        self.fen() < 0
    }

    /// Shown with the full-width yuan sign, as on receipts: "￥12.50".
    ///
    /// The full-width sign (U+FFE5) is used because the half-width ¥ is not
    /// in GBK and would not print.
    pub fn with_yuan_sign(self) -> String {
        if self.is_negative() {
            format!("-￥{}", self.negated())
        } else {
            format!("￥{self}")
        }
    }

    /// Splits this amount into parts proportional to `shares` (which need
    /// not be normalised), to the fen, so the parts add up exactly to the
    /// whole. Left-over fen go to the largest remainders, ties to the
    /// earlier share.
    pub fn split(self, shares: &[Decimal]) -> Vec<Money> {
        if self.is_negative() {
            return self
                .negated()
                .split(shares)
                .into_iter()
                .map(Money::negated)
                .collect();
        }
        let total: Decimal = shares.iter().copied().sum();
        if shares.is_empty() || total <= Decimal::ZERO {
            return shares.iter().map(|_| Money::ZERO).collect();
        }
        let fen = Decimal::from(self.fen());
        let exact: Vec<Decimal> = shares.iter().map(|s| fen * *s / total).collect();
        let mut parts: Vec<i64> = exact
            .iter()
            .map(|e| e.floor().to_i64().unwrap_or(0))
            .collect();
        let mut left = self.fen() - parts.iter().sum::<i64>();
        let mut order: Vec<usize> = (0..shares.len()).collect();
        order.sort_by(|&a, &b| {
            let ra = exact[a] - exact[a].floor();
            let rb = exact[b] - exact[b].floor();
            rb.cmp(&ra).then(a.cmp(&b))
        });
        let mut i = 0;
        while left > 0 {
            parts[order[i % order.len()]] += 1;
            left -= 1;
            i += 1;
        }
        parts.into_iter().map(Money::from_fen).collect()
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    /// Adds; saturates on overflow, which real canteen sums never reach.
    fn add(self, other: Money) -> Money {
        Money::from_fen(self.fen().saturating_add(other.fen()))
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    /// Subtracts; saturates on overflow, which real canteen sums never reach.
    fn sub(self, other: Money) -> Money {
        Money::from_fen(self.fen().saturating_sub(other.fen()))
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        *self = *self + other;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Money {
    /// "12.50": always two decimals, no sign of currency.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fen = self.fen();
        let sign = if fen < 0 { "-" } else { "" };
        let abs = fen.unsigned_abs();
        f.pad(&format!("{sign}{}.{:02}", abs / 100, abs % 100))
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let text = String::deserialize(d)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Result<&str, MoneyError>) {
        assert_eq!(
            Money::parse(input).map(|m| m.to_string()),
            expected.map(String::from)
        );
    }

    #[test]
    fn parses_and_displays() {
        check("12.50", Ok("12.50"));
        check("12.5", Ok("12.50"));
        check("12", Ok("12.00"));
        check("0.01", Ok("0.01"));
        check("-3", Ok("-3.00"));
        check(" 7.00 ", Ok("7.00"));
        check("12.500", Ok("12.50"));
        check("12.505", Err(MoneyError::FractionOfFen("12.505".into())));
        check("abc", Err(MoneyError::NotANumber("abc".into())));
        check("", Err(MoneyError::NotANumber("".into())));
        check("1e3", Err(MoneyError::NotANumber("1e3".into())));
        check("1.2.3", Err(MoneyError::NotANumber("1.2.3".into())));
        check(".", Err(MoneyError::NotANumber(".".into())));
    }

    #[test]
    fn refuses_currency_signs_and_a_bare_point() {
        for text in [
            "¥12.00",
            "￥12.50",
            "12.00元",
            "12.",
            ".5",
            "-.5",
            "-",
            "--3",
            "+3",
            "1 2",
            "12.-5",
            "1,200.00",
            "１２.００",
        ] {
            check(text, Err(MoneyError::NotANumber(text.into())));
        }
        check("0.5", Ok("0.50"));
        check("-0.05", Ok("-0.05"));
    }

    #[test]
    fn errors_say_how_to_write_money() {
        assert_eq!(
            MoneyError::NotANumber("12.".into()).to_string(),
            "'12.' is not an amount of money (write it like 12.50)"
        );
        assert_eq!(
            MoneyError::FractionOfFen("1.234".into()).to_string(),
            "'1.234' has fractions of a fen; money has at most two decimals"
        );
        assert_eq!(MoneyError::OutOfRange.to_string(), "amount out of range");
    }

    #[test]
    fn yuan_sign_is_full_width() {
        assert_eq!(Money::from_fen(1250).with_yuan_sign(), "￥12.50");
        assert_eq!(Money::from_fen(-5).with_yuan_sign(), "-￥0.05");
    }

    #[test]
    fn fen_round_trip_and_arithmetic() {
        let a = Money::from_fen(1250);
        assert_eq!(a.fen(), 1250);
        assert_eq!(
            a.checked_add(Money::from_fen(50)),
            Some(Money::from_fen(1300))
        );
        assert_eq!(
            a.checked_sub(Money::from_fen(1300)),
            Some(Money::from_fen(-50))
        );
        assert_eq!(a.checked_mul(3), Some(Money::from_fen(3750)));
        assert_eq!(
            Money::from_fen(i64::MAX).checked_add(Money::from_fen(1)),
            None
        );
        assert_eq!(Money::from_fen(i64::MAX).checked_mul(2), None);
    }

    #[test]
    fn serde_is_a_string_and_rejects_fractional_fen() {
        let m: Money = serde_json::from_str("\"3.20\"").unwrap();
        assert_eq!(m, Money::from_fen(320));
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"3.20\"");
        assert!(serde_json::from_str::<Money>("\"3.205\"").is_err());
        assert!(
            serde_json::from_str::<Money>("3.2").is_err(),
            "a JSON float is not money"
        );
    }

    #[test]
    fn several_left_over_fen_go_one_each_to_the_largest_remainders() {
        // 1.01 in three equal shares: 33.67 fen each, 99 by the floor, two
        // fen left over: one to each of the first two shares.
        let thirds = [Decimal::ONE, Decimal::ONE, Decimal::ONE];
        assert_eq!(
            Money::from_fen(101).split(&thirds),
            vec![
                Money::from_fen(34),
                Money::from_fen(34),
                Money::from_fen(33)
            ]
        );
        // 0.11 in shares 0.15, 0.15, 0.7: 1.65, 1.65 and 7.7 fen; two fen
        // left: to the largest remainder (0.7), then the earlier 0.65.
        let shares = [Decimal::new(15, 2), Decimal::new(15, 2), Decimal::new(7, 1)];
        assert_eq!(
            Money::from_fen(11).split(&shares),
            vec![Money::from_fen(2), Money::from_fen(1), Money::from_fen(8)]
        );
        // The largest remainder wins, wherever it is: 7 fen by 1:2:4 is
        // exactly 1, 2, 4.
        let sevenths = [Decimal::ONE, Decimal::TWO, Decimal::from(4)];
        assert_eq!(
            Money::from_fen(8).split(&sevenths),
            vec![Money::from_fen(1), Money::from_fen(2), Money::from_fen(5)]
        );
        assert_eq!(
            Money::from_fen(-101).split(&thirds),
            vec![
                Money::from_fen(-34),
                Money::from_fen(-34),
                Money::from_fen(-33)
            ]
        );
        assert_eq!(Money::from_fen(5).split(&[]), vec![]);
        assert_eq!(
            Money::from_fen(5).split(&[Decimal::ZERO, Decimal::ZERO]),
            vec![Money::ZERO, Money::ZERO]
        );
    }

    #[test]
    fn the_largest_remainder_wins_even_on_the_smallest_share() {
        // 0.10 by 19:81 is 1.9 and 8.1 fen: the left-over fen goes to the
        // first (remainder 0.9), not to the larger share.
        let shares = [Decimal::from(19), Decimal::from(81)];
        assert_eq!(
            Money::from_fen(10).split(&shares),
            vec![Money::from_fen(2), Money::from_fen(8)]
        );
        let shares = [Decimal::from(81), Decimal::from(19)];
        assert_eq!(
            Money::from_fen(10).split(&shares),
            vec![Money::from_fen(8), Money::from_fen(2)]
        );
        // 0.05 by 35:14:1 is 3.5, 1.4 and 0.1 fen: the fen goes to 3.5.
        let shares = [Decimal::from(35), Decimal::from(14), Decimal::ONE];
        assert_eq!(
            Money::from_fen(5).split(&shares),
            vec![Money::from_fen(4), Money::from_fen(1), Money::ZERO]
        );
    }

    #[test]
    fn shows_itself_as_a_decimal_and_in_debug() {
        assert_eq!(Money::from_fen(1250).to_decimal(), Decimal::new(1250, 2));
        assert_eq!(format!("{:?}", Money::from_fen(-5)), "Money(-0.05)");
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(Money::from_fen(-1).to_string(), "-0.01");
        assert_eq!(format!("{:>7}", Money::from_fen(350)), "   3.50");
        assert_eq!(Money::default(), Money::ZERO);
        assert!(Money::from_fen(-1).is_negative());
        assert!(!Money::ZERO.is_negative());
        assert_eq!(
            Money::from_decimal(Decimal::new(1, 2)),
            Ok(Money::from_fen(1))
        );
        assert_eq!(
            Money::from_decimal(Decimal::new(1, 3)),
            Err(MoneyError::FractionOfFen("0.001".into()))
        );
    }

    #[test]
    fn parses_through_from_str_and_serde() {
        assert_eq!("12.50".parse::<Money>(), Ok(Money::from_fen(1250)));
        assert_eq!(
            "12.".parse::<Money>(),
            Err(MoneyError::NotANumber("12.".into()))
        );
        let m: Money = serde_json::from_str("\"0.07\"").unwrap();
        assert_eq!(m.fen(), 7);
    }

    #[test]
    fn split_adds_up_to_the_whole() {
        let shares = [Decimal::new(5, 1), Decimal::new(3, 1), Decimal::new(2, 1)];
        assert_eq!(
            Money::from_fen(1001).split(&shares),
            vec![
                Money::from_fen(501),
                Money::from_fen(300),
                Money::from_fen(200)
            ]
        );
        let thirds = [Decimal::ONE, Decimal::ONE, Decimal::ONE];
        let parts = Money::from_fen(100).split(&thirds);
        assert_eq!(parts.iter().copied().sum::<Money>(), Money::from_fen(100));
        assert_eq!(
            parts,
            vec![
                Money::from_fen(34),
                Money::from_fen(33),
                Money::from_fen(33)
            ]
        );
    }
}
