//! A string field's `pattern`, judged over a column of text. A pattern must
//! match a whole value, so it compiles to a DFA anchored at both ends and
//! each value is one walk through it. Four values walk at once: one walk's
//! steps wait on each other's loads, four walks' do not, and the regex
//! engine's search per value (its start-up, a fifth of a Parquet check of
//! a pattern over short names) is not paid. Patterns whose DFA would be
//! large (wide Unicode classes) keep the regex engine.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, Utf8ViewArray};
use polars_arrow::bitmap::MutableBitmap;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};

/// The largest DFA built (and the memory its construction may take); past
/// it the regex engine searches each value. Building costs about a
/// millisecond for each 40 KiB: patterns of bounded repeats of Unicode
/// classes (`\w{1,20}`) reached a 4 MiB bound only after 50–120 ms.
const DFA_BYTES: usize = 256 << 10;

/// Whether each value of `text` fails to match `pattern` as a whole; null
/// where the value is null.
pub(super) fn mismatches(text: Expr, pattern: &str) -> Expr {
    let whole = format!("^(?:{pattern})$");
    let Some(walk) = built(&whole) else {
        return text.str().contains(lit(whole), true).not();
    };
    super::udf::map(
        text,
        move |c: Column| {
            let arrays = c.str()?.downcast_iter().map(|a| walk.mismatches(a));
            Ok(BooleanChunked::from_chunk_iter(c.name().clone(), arrays).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

/// The DFA of `whole`, built once for the process: each shard of a
/// dataset is checked by a plan of its own, and the DFA of a pattern of
/// wide classes takes milliseconds to build.
fn built(whole: &str) -> Option<Arc<Whole>> {
    static BUILT: LazyLock<Mutex<HashMap<String, Option<Arc<Whole>>>>> =
        LazyLock::new(Mutex::default);
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    built
        .entry(whole.to_string())
        .or_insert_with(|| Whole::new(whole).map(Arc::new))
        .clone()
}

/// A pattern's DFA; the bytes every match begins with (`user_` of
/// `user_[0-9]+`), compared at once rather than walked; and the state past
/// them.
struct Whole {
    dfa: dense::DFA<Vec<u32>>,
    prefix: Vec<u8>,
    after: StateID,
}

impl Whole {
    fn new(whole: &str) -> Option<Whole> {
        let config = dense::Config::new()
            // Whether any match ends at the end, not which one is first.
            .match_kind(MatchKind::All)
            .start_kind(StartKind::Anchored)
            .dfa_size_limit(Some(DFA_BYTES))
            .determinize_size_limit(Some(DFA_BYTES));
        let dfa = dense::Builder::new().configure(config).build(whole).ok()?;
        let mut after = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .ok()?;
        // A byte is forced where a value may not end and only one byte
        // leads on.
        let mut prefix = Vec::new();
        while prefix.len() < 16 && !dfa.is_match_state(dfa.next_eoi_state(after)) {
            let mut on = (0..=255u8)
                .map(|b| (b, dfa.next_state(after, b)))
                .filter(|&(_, s)| !dfa.is_dead_state(s));
            match (on.next(), on.next()) {
                (Some((b, s)), None) => {
                    prefix.push(b);
                    after = s;
                }
                _ => break,
            }
        }
        Some(Whole { dfa, prefix, after })
    }

    fn mismatches(&self, a: &Utf8ViewArray) -> BooleanArray {
        let mut out = MutableBitmap::with_capacity(a.len());
        // Each value past the prefix; none where it does not begin so.
        let rests: Vec<Option<&[u8]>> = a.values_iter().map(|v| self.past_prefix(v)).collect();
        let fours = rests.chunks_exact(4);
        let left = fours.remainder();
        for four in fours {
            let ends = self.walk(std::array::from_fn(|i| four[i].unwrap_or_default()));
            for (rest, end) in four.iter().zip(ends) {
                out.push(rest.is_none() || !self.dfa.is_match_state(end));
            }
        }
        for rest in left {
            let end = rest.map(|r| self.finish(self.after, r));
            out.push(!end.is_some_and(|s| self.dfa.is_match_state(s)));
        }
        BooleanArray::new(ArrowDataType::Boolean, out.into(), a.validity().cloned())
    }

    /// `v` past the prefix, if it begins so: compared byte by byte, in
    /// line (the few bytes of a prefix cost less than a call to `memcmp`,
    /// which took 2% of a Parquet check).
    #[inline(always)]
    fn past_prefix<'a>(&self, v: &'a str) -> Option<&'a [u8]> {
        let (p, v) = (self.prefix.as_slice(), v.as_bytes());
        let (head, rest) = v.split_at_checked(p.len())?;
        head.iter().zip(p).all(|(a, b)| a == b).then_some(rest)
    }

    /// The states past the ends of four values, walked in step over their
    /// common length, then each on its own.
    fn walk(&self, whole: [&[u8]; 4]) -> [StateID; 4] {
        let common = whole.iter().map(|v| v.len()).min().unwrap_or(0);
        let mut states = [self.after; 4];
        let values = whole.map(|v| &v[..common]);
        for at in 0..common {
            for (s, v) in states.iter_mut().zip(values) {
                // SAFETY: every state walked to is one of this DFA's, from
                // the one past the prefix on.
                *s = unsafe { self.dfa.next_state_unchecked(*s, v[at]) };
            }
            // Values that failed early need not be walked to their ends.
            if at % 32 == 31 && states.iter().all(|&s| self.dfa.is_dead_state(s)) {
                return states;
            }
        }
        std::array::from_fn(|i| self.finish(states[i], &whole[i][common..]))
    }

    /// The state past the end of `rest`, walked from `state`.
    fn finish(&self, mut state: StateID, rest: &[u8]) -> StateID {
        for &b in rest {
            if self.dfa.is_dead_state(state) {
                return state;
            }
            state = self.dfa.next_state(state, b);
        }
        self.dfa.next_eoi_state(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_agrees_with_the_regex_engine() {
        let patterns = [
            "user_[0-9]+",
            "cat|dog",
            "a|ab",
            "(ab)*",
            "",
            "[a-z]{2,4}\\d?",
            "é+x",
            "\\w+",
            ".*\\.csv",
        ];
        let values = [
            "",
            "user_1",
            "user_",
            "user_12a",
            "cat",
            "dog",
            "catdog",
            "a",
            "ab",
            "abab",
            "aba",
            "xy",
            "xyz7",
            "xyzwv",
            "éééx",
            "ex",
            "word_1",
            "two words",
            "a.csv",
            "a.csvx",
            "\n",
            "cat\n",
            "Ünïcödé",
            "u",
            "use",
            "usex_1",
            "é",
        ];
        for p in patterns {
            let whole = format!("^(?:{p})$");
            let regex = regex::Regex::new(&whole).unwrap();
            let walk = Whole::new(&whole).expect("a small DFA");
            // Every order and every grouping of four, with the rest alone.
            for shift in 0..values.len() {
                let mut vs = values.to_vec();
                vs.rotate_left(shift);
                let a = Utf8ViewArray::from_slice_values(&vs);
                let got: Vec<bool> = walk.mismatches(&a).values_iter().collect();
                let want: Vec<bool> = vs.iter().map(|v| !regex.is_match(v)).collect();
                assert_eq!(got, want, "pattern {p:?} over {vs:?}");
            }
        }
    }

    #[test]
    fn the_bytes_every_match_begins_with_are_compared_at_once() {
        let prefix = |p: &str| Whole::new(&format!("^(?:{p})$")).unwrap().prefix;
        assert_eq!(prefix("user_[0-9]+"), b"user_");
        assert_eq!(prefix("é+x"), "é".as_bytes());
        assert_eq!(prefix("ab(c|d)"), b"ab");
        // A value may end there, or more than one byte leads on.
        assert_eq!(prefix("ab?"), b"a");
        assert_eq!(prefix("(ab)*"), b"");
        assert_eq!(prefix("cat|dog"), b"");
        assert_eq!(prefix(""), b"");
    }

    #[test]
    fn long_values_that_fail_early_agree() {
        let walk = Whole::new("^(?:x[0-9]*)$").unwrap();
        let long = "y".repeat(1000);
        let good = format!("x{}", "7".repeat(999));
        let vs = [
            long.as_str(),
            long.as_str(),
            long.as_str(),
            long.as_str(),
            good.as_str(),
        ];
        let a = Utf8ViewArray::from_slice_values(vs);
        let got: Vec<bool> = walk.mismatches(&a).values_iter().collect();
        assert_eq!(got, [true, true, true, true, false]);
    }

    #[test]
    fn a_pattern_past_the_bound_is_searched_alike() {
        // Bounded repeats of a Unicode class: too large a DFA.
        assert!(Whole::new("^(?:\\w{100})$").is_none());
        let word = "é".repeat(100);
        let values = [Some(word.as_str()), Some("short"), None, Some("")];
        for p in ["\\w{100}", "[a-z]+"] {
            let df = df!("a" => values).unwrap();
            let got = df
                .lazy()
                .select([mismatches(col("a"), p)])
                .collect()
                .unwrap();
            let got: Vec<Option<bool>> = got.column("a").unwrap().bool().unwrap().iter().collect();
            let regex = regex::Regex::new(&format!("^(?:{p})$")).unwrap();
            let want: Vec<Option<bool>> = values
                .iter()
                .map(|v| v.map(|v| !regex.is_match(v)))
                .collect();
            assert_eq!(got, want, "{p}");
        }
    }
}
