//! Term co-occurrence (feature co-occurrence matrices) over a stream of token features.
//!
//! The input is one feature id per token (`-1` for a token that is not counted: stop words,
//! punctuation, features cut by `max_features`) and one unit id per token, non-decreasing (a
//! unit is a document or a turn: tokens of a unit are contiguous).  Results are sparse rows
//! (CSR: `indptr`, `indices`, `data`), computed row by row in parallel from per-feature
//! posting lists, so no dense `n x n` matrix is ever built: each thread keeps one dense
//! accumulator row of length `n` and the list of the columns it touched.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::tokens::Tokens;

/// A sparse matrix in compressed sparse row form (`n x n`, columns sorted in each row).
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// Row starts into `indices`/`data` (`n + 1` entries).
    pub indptr: Vec<i64>,
    /// Column of each stored value.
    pub indices: Vec<i64>,
    /// The values.
    pub data: Vec<f64>,
}

/// Most features a matrix may have (each thread keeps a dense row of this many values).
pub const MAX_FEATURES: usize = 1 << 27;

fn check_n(n: usize) -> Result<()> {
    if n > MAX_FEATURES {
        return Err(Error::invalid_argument(
            "n",
            format!("{n} features; at most {MAX_FEATURES}"),
        ));
    }
    Ok(())
}

fn check(features: &[i64], units: &[i64], n: usize) -> Result<()> {
    check_n(n)?;
    if features.len() != units.len() {
        return Err(Error::invalid_argument(
            "units",
            format!("{} units for {} tokens", units.len(), features.len()),
        ));
    }
    if let Some(bad) = features.iter().find(|&&f| f < -1 || f >= n as i64) {
        return Err(Error::invalid_argument(
            "features",
            format!("feature {bad} is outside 0..{n} (or -1 for a token not counted)"),
        ));
    }
    if units.windows(2).any(|w| w[1] < w[0]) {
        return Err(Error::invalid_argument(
            "units",
            "unit ids must be non-decreasing (the tokens of a unit contiguous)",
        ));
    }
    Ok(())
}

/// Tokens of each feature, in stream order: (offsets per feature, token positions).
fn postings(features: &[i32], n: usize) -> (Vec<usize>, Vec<u32>) {
    let mut offs = vec![0usize; n + 1];
    for &f in features {
        if f >= 0 {
            offs[f as usize + 1] += 1;
        }
    }
    for i in 0..n {
        offs[i + 1] += offs[i];
    }
    let mut fill = offs.clone();
    let mut pos = vec![0u32; offs[n]];
    for (i, &f) in features.iter().enumerate() {
        if f >= 0 {
            pos[fill[f as usize]] = i as u32;
            fill[f as usize] += 1;
        }
    }
    (offs, pos)
}

/// Builds rows `0..n` in parallel; `row(a, acc, touched)` adds row `a` into the dense
/// accumulator and records each column it touched the first time.
fn rows_parallel<F>(n: usize, row: F) -> Csr
where
    F: Fn(usize, &mut [f64], &mut Vec<u32>) + Sync,
{
    let chunk = 256;
    let parts: Vec<(Vec<i64>, Vec<i64>, Vec<f64>)> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map_init(
            || (vec![0f64; n], Vec::<u32>::new()),
            |(acc, touched), c| {
                let mut lens = Vec::with_capacity(chunk);
                let mut idx = Vec::new();
                let mut val = Vec::new();
                for a in c * chunk..((c + 1) * chunk).min(n) {
                    touched.clear();
                    row(a, acc, touched);
                    touched.sort_unstable();
                    let before = idx.len();
                    for &b in touched.iter() {
                        let v = acc[b as usize];
                        acc[b as usize] = 0.0;
                        if v != 0.0 {
                            idx.push(i64::from(b));
                            val.push(v);
                        }
                    }
                    lens.push((idx.len() - before) as i64);
                }
                (lens, idx, val)
            },
        )
        .collect();
    concat_parts(n, parts)
}

#[inline]
fn add(acc: &mut [f64], touched: &mut Vec<u32>, b: usize, v: f64) {
    if acc[b] == 0.0 {
        touched.push(b as u32);
    }
    acc[b] += v;
}

/// Co-occurrence of features within units (documents or turns), symmetric.  `boolean`:
/// cell (a, b) counts units holding both a and b; the diagonal counts units holding a at
/// least twice.  Otherwise (frequency, as `X.T @ X` of the unit-feature count matrix) cell
/// (a, b) sums `count_a * count_b` over units, and the diagonal `count_a * (count_a - 1) / 2`
/// (quanteda's definition).
pub fn cooc_units(features: &[i64], units: &[i64], n: usize, boolean: bool) -> Result<Csr> {
    check(features, units, n)?;
    // Unit of each token -> contiguous token ranges; per unit, its features with counts.
    let mut unit_start: Vec<usize> = Vec::new();
    for i in 0..units.len() {
        if i == 0 || units[i] != units[i - 1] {
            unit_start.push(i);
        }
    }
    unit_start.push(units.len());
    // Per unit: distinct features and their counts, as (feature, count) sorted by feature.
    let per_unit: Vec<Vec<(u32, u32)>> = unit_start
        .par_windows(2)
        .map(|w| {
            distinct(
                features[w[0]..w[1]]
                    .iter()
                    .filter(|&&f| f >= 0)
                    .map(|&f| f as u32)
                    .collect(),
            )
        })
        .collect();
    Ok(pairs_in_units(&per_unit, n, boolean))
}

/// The co-occurrence rows from each unit's distinct features with their counts.
fn pairs_in_units(per_unit: &[Vec<(u32, u32)>], n: usize, boolean: bool) -> Csr {
    let words = per_unit.len().div_ceil(64);
    let pair_work: usize = per_unit.iter().map(|u| u.len() * u.len()).sum();
    if boolean && n.saturating_mul(n).saturating_mul(words) / 2 < pair_work {
        return boolean_by_bitsets(per_unit, n);
    }
    // Postings: units holding each feature, with the count there.
    let mut offs = vec![0usize; n + 1];
    for u in per_unit {
        for &(f, _) in u {
            offs[f as usize + 1] += 1;
        }
    }
    for i in 0..n {
        offs[i + 1] += offs[i];
    }
    let mut fill = offs.clone();
    let mut post = vec![(0u32, 0u32); offs[n]];
    for (ui, u) in per_unit.iter().enumerate() {
        for &(f, c) in u {
            post[fill[f as usize]] = (ui as u32, c);
            fill[f as usize] += 1;
        }
    }
    rows_parallel(n, |a, acc, touched| {
        for &(ui, ca) in &post[offs[a]..offs[a + 1]] {
            for &(b, cb) in &per_unit[ui as usize] {
                let b = b as usize;
                let v = if b == a {
                    if boolean {
                        f64::from(u8::from(ca >= 2))
                    } else {
                        f64::from(ca) * (f64::from(ca) - 1.0) / 2.0
                    }
                } else if boolean {
                    1.0
                } else {
                    f64::from(ca) * f64::from(cb)
                };
                if v != 0.0 {
                    add(acc, touched, b, v);
                }
            }
        }
    })
}

/// Boolean co-occurrence when units are few next to the pairs in them (documents that are
/// whole books): a bitset of units per feature, and each cell is the population count of
/// two bitsets' intersection.
fn boolean_by_bitsets(per_unit: &[Vec<(u32, u32)>], n: usize) -> Csr {
    let words = per_unit.len().div_ceil(64);
    let mut has = vec![0u64; n * words];
    let mut twice = vec![0u64; n * words];
    for (ui, u) in per_unit.iter().enumerate() {
        for &(f, c) in u {
            has[f as usize * words + ui / 64] |= 1u64 << (ui % 64);
            if c >= 2 {
                twice[f as usize * words + ui / 64] |= 1u64 << (ui % 64);
            }
        }
    }
    rows_direct(n, |a, idx, val| {
        let ra = &has[a * words..(a + 1) * words];
        if ra.iter().all(|&x| x == 0) {
            return;
        }
        for b in 0..n {
            let v: u32 = if b == a {
                twice[a * words..(a + 1) * words]
                    .iter()
                    .map(|x| x.count_ones())
                    .sum()
            } else {
                ra.iter()
                    .zip(&has[b * words..(b + 1) * words])
                    .map(|(x, y)| (x & y).count_ones())
                    .sum()
            };
            if v > 0 {
                idx.push(b as i64);
                val.push(f64::from(v));
            }
        }
    })
}

/// Builds rows `0..n` in parallel when `row(a, indices, values)` appends row `a`'s entries
/// itself, columns ascending.
fn rows_direct<F>(n: usize, row: F) -> Csr
where
    F: Fn(usize, &mut Vec<i64>, &mut Vec<f64>) + Sync,
{
    let chunk = 256;
    let parts: Vec<(Vec<i64>, Vec<i64>, Vec<f64>)> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let mut lens = Vec::with_capacity(chunk);
            let mut idx = Vec::new();
            let mut val = Vec::new();
            for a in c * chunk..((c + 1) * chunk).min(n) {
                let before = idx.len();
                row(a, &mut idx, &mut val);
                lens.push((idx.len() - before) as i64);
            }
            (lens, idx, val)
        })
        .collect();
    concat_parts(n, parts)
}

fn concat_parts(n: usize, parts: Vec<(Vec<i64>, Vec<i64>, Vec<f64>)>) -> Csr {
    let mut indptr = Vec::with_capacity(n + 1);
    indptr.push(0i64);
    let total: usize = parts.iter().map(|p| p.1.len()).sum();
    let mut indices = Vec::with_capacity(total);
    let mut data = Vec::with_capacity(total);
    for (lens, idx, val) in parts {
        for l in lens {
            let last = *indptr.last().expect("indptr starts with 0");
            indptr.push(last + l);
        }
        indices.extend(idx);
        data.extend(val);
    }
    Csr {
        indptr,
        indices,
        data,
    }
}

/// Distinct features of a list of feature ids (negative ones skipped), with their counts.
fn distinct(mut fs: Vec<u32>) -> Vec<(u32, u32)> {
    fs.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for f in fs {
        match out.last_mut() {
            Some((g, c)) if *g == f => *c += 1,
            _ => out.push((f, 1)),
        }
    }
    out
}

/// What a norm is for co-occurrence counting: [`FEATURE_REMOVED`] (the token is taken out of
/// the stream: punctuation, stop words), [`FEATURE_NOT_COUNTED`] (it keeps its place, so
/// distances are unchanged, but is not counted: cut by `max_features`), or a feature id.
pub const FEATURE_REMOVED: i64 = -2;
/// See [`FEATURE_REMOVED`].
pub const FEATURE_NOT_COUNTED: i64 = -1;

/// The feature of each type of `tokens` (through its normalised form), once `feature_of_norm`
/// is checked: types outnumber norms only by case variants.
fn type_features(feature_of_norm: &[i64], tokens: &Tokens, n: usize) -> Result<Vec<i64>> {
    check_map(feature_of_norm, tokens, n)?;
    let v = tokens.vocabulary();
    Ok((0..v.n_types() as u32)
        .map(|t| feature_of_norm[v.norm_of(t) as usize])
        .collect())
}

fn check_map(feature_of_norm: &[i64], tokens: &Tokens, n: usize) -> Result<()> {
    check_n(n)?;
    if n > feature_of_norm.len() {
        return Err(Error::invalid_argument(
            "n",
            format!(
                "{n} features for {} normalised forms",
                feature_of_norm.len()
            ),
        ));
    }
    if feature_of_norm.len() != tokens.vocabulary().n_norms() {
        return Err(Error::invalid_argument(
            "feature_of_norm",
            format!(
                "{} entries for {} normalised forms",
                feature_of_norm.len(),
                tokens.vocabulary().n_norms()
            ),
        ));
    }
    if let Some(bad) = feature_of_norm.iter().find(|&&f| f < -2 || f >= n as i64) {
        return Err(Error::invalid_argument(
            "feature_of_norm",
            format!("{bad} is not -2, -1 or a feature in 0..{n}"),
        ));
    }
    Ok(())
}

/// Co-occurrence within the documents (`per_document`) or the turns of a tokenised corpus,
/// straight from its token ids: no token arrays are materialised.  See [`cooc_units`].
pub fn cooc_tokens_units(
    tokens: &Tokens,
    feature_of_norm: &[i64],
    n: usize,
    per_document: bool,
    boolean: bool,
) -> Result<Csr> {
    let type_feature = type_features(feature_of_norm, tokens, n)?;
    let per_doc: Vec<Vec<Vec<(u32, u32)>>> = tokens
        .docs()
        .par_iter()
        .map_init(
            || (vec![0u32; n], Vec::<u32>::new()),
            |(count, seen), dt| {
                let groups: Vec<(u32, u32)> = if per_document {
                    vec![(0, dt.ids.len() as u32)]
                } else {
                    dt.units.iter().map(|u| (u.first, u.end)).collect()
                };
                groups
                    .into_iter()
                    .map(|(a, b)| {
                        // distinct features by counting (no sort of the tokens)
                        for &t in &dt.ids[a as usize..b as usize] {
                            let f = type_feature[t as usize];
                            if f >= 0 {
                                let f = f as usize;
                                if count[f] == 0 {
                                    seen.push(f as u32);
                                }
                                count[f] += 1;
                            }
                        }
                        seen.sort_unstable();
                        let out: Vec<(u32, u32)> = seen
                            .iter()
                            .map(|&f| {
                                let c = count[f as usize];
                                count[f as usize] = 0;
                                (f, c)
                            })
                            .collect();
                        seen.clear();
                        out
                    })
                    .collect()
            },
        )
        .collect();
    let per_unit: Vec<Vec<(u32, u32)>> = per_doc.into_iter().flatten().collect();
    Ok(pairs_in_units(&per_unit, n, boolean))
}

/// Co-occurrence within a window inside the turns (or documents, `per_document`) of a
/// tokenised corpus, straight from its token ids.  See [`cooc_window`].
pub fn cooc_tokens_window(
    tokens: &Tokens,
    feature_of_norm: &[i64],
    n: usize,
    weights: &[f64],
    ordered: bool,
    per_document: bool,
) -> Result<Csr> {
    let type_feature = type_features(feature_of_norm, tokens, n)?;
    // The stream of kept tokens as 4-byte features, BREAK between units (removed tokens
    // left out).
    let mut stream: Vec<i32> = Vec::new();
    for dt in tokens.docs() {
        for (k, u) in dt.units.iter().enumerate() {
            // a new unit breaks the window in turn mode; in document mode only where units
            // left out by a speaker restriction lie between (their tokens are not here)
            let gap = k > 0 && {
                let p = &dt.units[k - 1];
                u.position != p.position + (p.end - p.first)
            };
            if (k > 0 && (!per_document || gap)) || (k == 0 && !stream.is_empty()) {
                stream.push(BREAK);
            }
            for &t in &dt.ids[u.first as usize..u.end as usize] {
                let f = type_feature[t as usize];
                if f != FEATURE_REMOVED {
                    stream.push(f as i32);
                }
            }
        }
    }
    window_rows_stream(&stream, n, weights, ordered)
}

/// Co-occurrence of features within `weights.len()` tokens of each other inside a unit:
/// a token at distance d (1-based) adds `weights[d - 1]`.  Symmetric (each pair counted from
/// both sides, so the diagonal is doubled, as quanteda's `fcm()`) unless `ordered`, where
/// cell (a, b) counts b following a.  Distances count every token, counted or not.
pub fn cooc_window(
    features: &[i64],
    units: &[i64],
    n: usize,
    weights: &[f64],
    ordered: bool,
) -> Result<Csr> {
    check(features, units, n)?;
    let f: Vec<i32> = features.iter().map(|&x| x as i32).collect();
    window_rows(&f, units, n, weights, ordered)
}

/// Marks the end of a unit in a window stream.
const BREAK: i32 = i32::MIN;

/// The window stream of a unit-tagged feature list: the features with [`BREAK`] wherever
/// the unit changes, so a window scan needs one array (one cache miss per occurrence).
fn window_stream(features: &[i32], units: &[i64]) -> Vec<i32> {
    let mut out = Vec::with_capacity(features.len() + 1);
    for (k, (&f, &u)) in features.iter().zip(units).enumerate() {
        if k > 0 && units[k - 1] != u {
            out.push(BREAK);
        }
        out.push(f);
    }
    out
}

fn window_rows(
    features: &[i32],
    units: &[i64],
    n: usize,
    weights: &[f64],
    ordered: bool,
) -> Result<Csr> {
    let stream = window_stream(features, units);
    window_rows_stream(&stream, n, weights, ordered)
}

fn window_rows_stream(stream: &[i32], n: usize, weights: &[f64], ordered: bool) -> Result<Csr> {
    if weights.is_empty() {
        return Err(Error::invalid_argument("window", "must be >= 1"));
    }
    if n > i32::MAX as usize || stream.len() > u32::MAX as usize {
        return Err(Error::invalid_argument(
            "tokens",
            "more than 4,294,967,295 tokens or 2,147,483,647 features",
        ));
    }
    let (offs, pos) = postings(stream, n);
    let w = weights.len();
    let len = stream.len();
    Ok(rows_parallel(n, |a, acc, touched| {
        for &i in &pos[offs[a]..offs[a + 1]] {
            let i = i as usize;
            for d in 1..=w {
                let j = i + d;
                if j >= len {
                    break;
                }
                let b = stream[j];
                if b == BREAK {
                    break;
                }
                if b >= 0 {
                    add(acc, touched, b as usize, weights[d - 1]);
                }
            }
            if !ordered {
                for d in 1..=w {
                    if d > i {
                        break;
                    }
                    let b = stream[i - d];
                    if b == BREAK {
                        break;
                    }
                    if b >= 0 {
                        add(acc, touched, b as usize, weights[d - 1]);
                    }
                }
            }
        }
    }))
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    fn dense(m: &Csr, n: usize) -> Vec<Vec<f64>> {
        let mut out = vec![vec![0.0; n]; n];
        for (r, row) in out.iter_mut().enumerate() {
            for k in m.indptr[r] as usize..m.indptr[r + 1] as usize {
                row[m.indices[k] as usize] = m.data[k];
            }
        }
        out
    }

    /// The window example of quanteda's tests ("A D A C E A D F E B A C E D", window = 2)
    /// against a brute-force count of every pair within the window, both directions.
    #[test]
    fn window_equals_brute_force() {
        let toks = "A D A C E A D F E B A C E D";
        let f: Vec<i64> = toks
            .split(' ')
            .map(|t| i64::from(t.as_bytes()[0] - b'A'))
            .collect();
        let u = vec![0i64; f.len()];
        for (w, ordered) in [(2usize, false), (2, true), (3, false)] {
            let m = dense(&cooc_window(&f, &u, 6, &vec![1.0; w], ordered).unwrap(), 6);
            let mut want = vec![vec![0.0; 6]; 6];
            for i in 0..f.len() {
                for j in i + 1..f.len().min(i + w + 1) {
                    want[f[i] as usize][f[j] as usize] += 1.0;
                    if !ordered {
                        want[f[j] as usize][f[i] as usize] += 1.0;
                    }
                }
            }
            assert_eq!(m, want, "window {w} ordered {ordered}");
        }
        // hand-checked cells: A-C within 2 tokens: (2,3), (10,11) and (3,5) -> 3
        let m = dense(&cooc_window(&f, &u, 6, &[1.0, 1.0], false).unwrap(), 6);
        assert_eq!(m[0][2], 3.0);
        assert_eq!(m[0][0], 2.0); // A..A at distance 2 once, counted from both sides
    }

    #[test]
    fn units_frequency_and_boolean_equal_brute_force() {
        let f = vec![0, 1, 0, -1, 2, 1, 1, 0, 2, 2];
        let u = vec![0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
        let n = 3;
        for boolean in [false, true] {
            let m = dense(&cooc_units(&f, &u, n, boolean).unwrap(), n);
            let mut want = vec![vec![0.0; n]; n];
            for unit in 0..3 {
                let mut c = vec![0u32; n];
                for (k, &x) in f.iter().enumerate() {
                    if u[k] == unit && x >= 0 {
                        c[x as usize] += 1;
                    }
                }
                for a in 0..n {
                    for b in 0..n {
                        let (ca, cb) = (f64::from(c[a]), f64::from(c[b]));
                        want[a][b] += match (a == b, boolean) {
                            (true, true) => f64::from(u8::from(c[a] >= 2)),
                            (true, false) => ca * (ca - 1.0) / 2.0,
                            (false, true) => f64::from(u8::from(c[a] > 0 && c[b] > 0)),
                            (false, false) => ca * cb,
                        };
                    }
                }
            }
            assert_eq!(m, want, "boolean={boolean}");
        }
    }

    #[test]
    fn bitsets_and_postings_agree() {
        // 130 units (3 bitset words) over 7 features, with repeats
        let per_unit: Vec<Vec<(u32, u32)>> = (0..130u32)
            .map(|u| {
                distinct(
                    (0..(u % 5 + 1))
                        .map(|k| (u * 7 + k * 3) % 7)
                        .chain(std::iter::once(u % 3))
                        .collect(),
                )
            })
            .collect();
        let a = boolean_by_bitsets(&per_unit, 7);
        // brute force over every unit's pairs
        let mut dense_b = vec![vec![0.0; 7]; 7];
        for u in &per_unit {
            for &(x, cx) in u {
                for &(y, _) in u {
                    if x == y {
                        dense_b[x as usize][y as usize] += f64::from(u8::from(cx >= 2));
                    } else {
                        dense_b[x as usize][y as usize] += 1.0;
                    }
                }
            }
        }
        assert_eq!(dense(&a, 7), dense_b);
    }

    #[test]
    fn windows_stop_at_units_and_ordered_counts_followers() {
        let f = vec![0, 1, 2, 0, 1];
        let u = vec![0, 0, 0, 1, 1];
        let m = dense(&cooc_window(&f, &u, 3, &[1.0, 0.5], true).unwrap(), 3);
        assert_eq!(m[0], [0.0, 2.0, 0.5]); // 0->1 at d=1 twice; 0->2 at d=2 in unit 0
        assert_eq!(m[1], [0.0, 0.0, 1.0]);
        assert_eq!(m[2], [0.0, 0.0, 0.0]); // nothing follows 2 inside its unit
        assert!(cooc_window(&f, &[1, 0, 0, 0, 0], 3, &[1.0], false).is_err());
        assert!(cooc_units(&[5], &[0], 3, false).is_err());
    }
}
