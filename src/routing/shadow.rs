//! Unreachable rules: a rule that can never match because an earlier rule
//! that stops matches everything it would (a catch-all, or the same
//! conditions with fewer restrictions). Finds them; never changes rules.

use super::ruleset::Rule;

/// (hidden rule, the earlier rule hiding it), by index.
pub fn find(rules: &[Rule]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (j, later) in rules.iter().enumerate() {
        for (i, earlier) in rules[..j].iter().enumerate() {
            if !earlier.then.stop || !earlier.when.covers(&later.when) {
                continue;
            }
            // A category can change between the two rules: a rule in
            // between that sets one may make `later` match where `earlier`
            // did not look.
            let category_may_change = earlier.when.uses_category()
                && rules[i + 1..j].iter().any(|r| r.then.category.is_some());
            if !category_may_change {
                out.push((j, i));
                break;
            }
        }
    }
    out
}
