//! Python's `random` module as `paging-policy.py` uses it: `random.seed(int)` and
//! `random.random()`, so that `RAND` and `CLOCK` draw the numbers the script draws.
//!
//! The rules (CPython's `Modules/_randommodule.c`): an integer seed is seeded by its absolute
//! value, cut into 32-bit words from the least significant (the single word 0 for 0), through
//! MT19937's `init_by_array`; `random()` takes two 32-bit outputs `a` and `b` and returns
//! `((a >> 5) * 2^26 + (b >> 6)) / 2^53`. Seeding an integer is the same under `version=1` and
//! `version=2`, so the script's Python 2 and 3 versions draw alike.

use rand_mt::Mt;

/// A Python `random.Random` seeded with an integer.
#[derive(Debug, Clone)]
pub(crate) struct PyRandom {
    mt: Mt,
}

impl PyRandom {
    /// `random.seed(n)` for the integer `n` written in decimal, as Python's `int()` reads it
    /// (blanks around, an optional sign, digits, single `_` between digits); `None` if it is
    /// not such a number.
    pub(crate) fn from_seed(decimal: &str) -> Option<PyRandom> {
        let text = decimal.trim();
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
            return None;
        }
        // The absolute value in base 2^32, least significant word first.
        let mut words: Vec<u32> = vec![0];
        for c in digits.chars().filter(|&c| c != '_') {
            let mut carry = u64::from(c.to_digit(10)?);
            for w in &mut words {
                let v = u64::from(*w) * 10 + carry;
                *w = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                words.push(carry as u32);
            }
        }
        while words.len() > 1 && words.last() == Some(&0) {
            words.pop();
        }
        Some(PyRandom { mt: Mt::new_with_key(words) })
    }

    /// `random.random()`: a double in [0, 1) with 53 random bits.
    pub(crate) fn random(&mut self) -> f64 {
        let a = self.mt.next_u32() >> 5;
        let b = self.mt.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `int(random.random() * n)` for `n` >= 1: an index below `n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        // The product is below n, and its floor is what Python's int() takes.
        ((self.random() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_reference_outputs_through_init_by_array() {
        // Matsumoto and Nishimura's mt19937ar.c test: init_by_array({0x123, 0x234, 0x345,
        // 0x456}) gives 1067595299 955945823 477289528 as its first outputs.
        let mut mt = Mt::new_with_key([0x123, 0x234, 0x345, 0x456]);
        assert_eq!([mt.next_u32(), mt.next_u32(), mt.next_u32()], [1_067_595_299, 955_945_823, 477_289_528]);
        // The seed 0x456_0000_0345_0000_0234_0000_0123 is that key, least significant word first.
        let seed = (0x456u128 << 96) | (0x345u128 << 64) | (0x234u128 << 32) | 0x123;
        let mut py = PyRandom::from_seed(&seed.to_string()).unwrap();
        let (a, b) = (1_067_595_299u32 >> 5, 955_945_823u32 >> 6);
        let want = (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0;
        assert_eq!(py.random(), want);
        // The sign is dropped; Python's spellings of the same number seed alike.
        let text = seed.to_string();
        for same in [format!("-{text}"), format!(" +{text} "), format!("{}_{}", &text[..1], &text[1..])] {
            assert_eq!(PyRandom::from_seed(&same).unwrap().random(), want, "{same}");
        }
    }

    #[test]
    fn zero_is_the_key_of_one_zero_word_and_bad_numbers_are_refused() {
        let mut zero = PyRandom::from_seed("0").unwrap();
        let mut mt = Mt::new_with_key([0u32]);
        let (a, b) = (mt.next_u32() >> 5, mt.next_u32() >> 6);
        assert_eq!(zero.random(), (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0);
        assert_eq!(PyRandom::from_seed("1_000").unwrap().random(), PyRandom::from_seed("1000").unwrap().random());
        for bad in ["", "-", "0x10", "1__0", "_1", "1_", "1.5", "seed"] {
            assert!(PyRandom::from_seed(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn below_stays_below() {
        let mut r = PyRandom::from_seed("7").unwrap();
        for n in 1..200 {
            assert!(r.below(n) < n);
        }
    }
}
