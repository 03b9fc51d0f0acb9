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
use crate::tokens::{TermCounts, Tokens};

/// A sparse matrix in compressed sparse row form (`n x n`, columns sorted in each row, no
/// explicit zeros).  Counts are `i64` (exact, and what scipy gives for integer counts);
/// weighted sums are `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr<T = f64> {
    /// Row starts into `indices`/`data` (`n + 1` entries).
    pub indptr: Vec<i64>,
    /// Column of each stored value.
    pub indices: Vec<i64>,
    /// The values.
    pub data: Vec<T>,
}

/// A value of a co-occurrence matrix: an exact count (`i64`) or a weighted sum (`f64`).
pub trait Value:
    Copy + Default + PartialEq + std::ops::AddAssign + std::ops::Add<Output = Self> + Send + Sync
{
    /// The value as a float (counts below 2^53 exactly).
    fn as_f64(self) -> f64;
}
impl Value for i64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
}
impl Value for f64 {
    fn as_f64(self) -> f64 {
        self
    }
}

impl Csr<f64> {
    /// `M + Mᵀ` of a square matrix, exactly symmetric (cell (a, b) and (b, a) add the same
    /// two numbers): how symmetric window counts are made from the forward ones.
    ///
    /// ```
    /// use qualcore::cooc::Csr;
    /// // [[0, 1], [2, 0]] + its transpose = [[0, 3], [3, 0]]
    /// let m = Csr { indptr: vec![0, 1, 2], indices: vec![1, 0], data: vec![1.0, 2.0] };
    /// let s = m.plus_transpose(2);
    /// assert_eq!((s.indices, s.data), (vec![1, 0], vec![3.0, 3.0]));
    /// ```
    pub fn plus_transpose(&self, n: usize) -> Csr<f64> {
        // The transpose by a counting sort over columns; rows visited in order, so each
        // transposed row's columns come out sorted.
        let nnz = self.indices.len();
        let mut t_ptr = vec![0usize; n + 1];
        for &c in &self.indices {
            t_ptr[c as usize + 1] += 1;
        }
        for i in 0..n {
            t_ptr[i + 1] += t_ptr[i];
        }
        let mut fill = t_ptr.clone();
        let mut t_idx = vec![0u32; nnz];
        let mut t_val = vec![0f64; nnz];
        for r in 0..n {
            for k in self.indptr[r] as usize..self.indptr[r + 1] as usize {
                let c = self.indices[k] as usize;
                t_idx[fill[c]] = r as u32;
                t_val[fill[c]] = self.data[k];
                fill[c] += 1;
            }
        }
        drop(fill);
        // Row a of the sum: the sorted merge of row a of M and of Mᵀ.
        rows_direct(n, |a, idx, val| {
            let (mut i, ie) = (self.indptr[a] as usize, self.indptr[a + 1] as usize);
            let (mut j, je) = (t_ptr[a], t_ptr[a + 1]);
            while i < ie || j < je {
                let ci = if i < ie { self.indices[i] } else { i64::MAX };
                let cj = if j < je {
                    i64::from(t_idx[j])
                } else {
                    i64::MAX
                };
                let (c, v) = if ci < cj {
                    i += 1;
                    (ci, self.data[i - 1])
                } else if cj < ci {
                    j += 1;
                    (cj, t_val[j - 1])
                } else {
                    i += 1;
                    j += 1;
                    (ci, self.data[i - 1] + t_val[j - 1])
                };
                if v != 0.0 {
                    idx.push(c);
                    val.push(v);
                }
            }
        })
    }
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
fn rows_parallel<T: Value, F>(n: usize, row: F) -> Csr<T>
where
    F: Fn(usize, &mut [T], &mut Vec<u32>) + Sync,
{
    let chunk = 256;
    let zero = T::default();
    let parts: Vec<(Vec<i64>, Vec<i64>, Vec<T>)> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map_init(
            || (vec![zero; n], Vec::<u32>::new()),
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
                        acc[b as usize] = zero;
                        if v != zero {
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
fn add<T: Value>(acc: &mut [T], touched: &mut Vec<u32>, b: usize, v: T) {
    if acc[b] == T::default() {
        touched.push(b as u32);
    }
    acc[b] += v;
}

/// Co-occurrence of features within units (documents or turns), symmetric.  `boolean`:
/// cell (a, b) counts units holding both a and b; the diagonal counts units holding a at
/// least twice.  Otherwise (frequency, as `X.T @ X` of the unit-feature count matrix) cell
/// (a, b) sums `count_a * count_b` over units, and the diagonal `count_a * (count_a - 1) / 2`
/// (quanteda's definition).
pub fn cooc_units(features: &[i64], units: &[i64], n: usize, boolean: bool) -> Result<Csr<i64>> {
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
fn pairs_in_units(per_unit: &[Vec<(u32, u32)>], n: usize, boolean: bool) -> Csr<i64> {
    let words = per_unit.len().div_ceil(64);
    let pair_work: usize = per_unit.iter().map(|u| u.len() * u.len()).sum();
    if boolean && n.saturating_mul(n).saturating_mul(words) / 2 < pair_work {
        return boolean_by_bitsets(per_unit, n);
    }
    pairs_in_units_by_postings(per_unit, n, boolean)
}

/// [`pairs_in_units`] from the units holding each feature: row a adds the features of every
/// unit holding a.
fn pairs_in_units_by_postings(per_unit: &[Vec<(u32, u32)>], n: usize, boolean: bool) -> Csr<i64> {
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
                let (ca, cb) = (i64::from(ca), i64::from(cb));
                let v = if b == a {
                    if boolean {
                        i64::from(ca >= 2)
                    } else {
                        ca * (ca - 1) / 2
                    }
                } else if boolean {
                    1
                } else {
                    ca * cb
                };
                if v != 0 {
                    add(acc, touched, b, v);
                }
            }
        }
    })
}

/// Boolean co-occurrence when units are few next to the pairs in them (documents that are
/// whole books): a bitset of units per feature, and each cell is the population count of
/// two bitsets' intersection.  Up to [`DENSE_MAX`] features the cells are computed once per
/// unordered pair, tile by tile, into a dense table, from which the rows are written straight
/// into place; above, row by row.
fn boolean_by_bitsets(per_unit: &[Vec<(u32, u32)>], n: usize) -> Csr<i64> {
    boolean_by_bitsets_up_to(per_unit, n, DENSE_MAX)
}

fn boolean_by_bitsets_up_to(per_unit: &[Vec<(u32, u32)>], n: usize, dense_max: usize) -> Csr<i64> {
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
    let cell = |a: usize, b: usize| -> u32 {
        let (x, y) = if a == b {
            (
                &twice[a * words..(a + 1) * words],
                &twice[a * words..(a + 1) * words],
            )
        } else {
            (
                &has[a * words..(a + 1) * words],
                &has[b * words..(b + 1) * words],
            )
        };
        x.iter().zip(y).map(|(p, q)| (p & q).count_ones()).sum()
    };
    if n <= dense_max {
        return dense_symmetric(n, cell);
    }
    rows_direct(n, |a, idx, val| {
        if has[a * words..(a + 1) * words].iter().all(|&x| x == 0) {
            return;
        }
        for b in 0..n {
            let v = cell(a, b);
            if v > 0 {
                idx.push(b as i64);
                val.push(i64::from(v));
            }
        }
    })
}

/// Most features for which [`boolean_by_bitsets`] keeps a dense `n x n` table of 4-byte cells
/// (256 MiB at most; 100 MB for the usual 5,000).
const DENSE_MAX: usize = 8192;

/// The symmetric matrix whose cell (a, b) = (b, a) is `cell(a, b)`, computed once per
/// unordered pair in 64 x 64 tiles (in parallel over tile rows) into a dense table, then
/// written as CSR: rows counted, the arrays allocated once and filled in parallel in place.
fn dense_symmetric(n: usize, cell: impl Fn(usize, usize) -> u32 + Sync) -> Csr<i64> {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    const T: usize = 64;
    // Relaxed atomics: plain loads and stores on x86 and ARM; they let a tile write its
    // mirror image into other rows without locks.  The parallel loop's end orders them
    // before the reads below.
    let table: Vec<AtomicU32> = (0..n * n)
        .into_par_iter()
        .map(|_| AtomicU32::new(0))
        .collect();
    let tiles = n.div_ceil(T);
    (0..tiles).into_par_iter().for_each(|ta| {
        let a_rows = ta * T..((ta + 1) * T).min(n);
        for tb in ta..tiles {
            let b_cols = tb * T..((tb + 1) * T).min(n);
            for a in a_rows.clone() {
                for b in b_cols.clone() {
                    if b < a {
                        continue;
                    }
                    let v = cell(a, b);
                    if v > 0 {
                        table[a * n + b].store(v, Relaxed);
                        table[b * n + a].store(v, Relaxed);
                    }
                }
            }
        }
    });
    let row = |a: usize| &table[a * n..(a + 1) * n];
    let lens: Vec<usize> = (0..n)
        .into_par_iter()
        .map(|a| row(a).iter().filter(|v| v.load(Relaxed) > 0).count())
        .collect();
    let mut indptr = Vec::with_capacity(n + 1);
    indptr.push(0i64);
    let mut total = 0usize;
    for &l in &lens {
        total += l;
        indptr.push(total as i64);
    }
    let mut indices = vec![0i64; total];
    let mut data = vec![0i64; total];
    // each row's slice of the output, filled in parallel
    let mut slices = Vec::with_capacity(n);
    let (mut idx_rest, mut val_rest) = (&mut indices[..], &mut data[..]);
    for &l in &lens {
        let (a, r) = idx_rest.split_at_mut(l);
        let (b, q) = val_rest.split_at_mut(l);
        (idx_rest, val_rest) = (r, q);
        slices.push((a, b));
    }
    slices
        .into_par_iter()
        .enumerate()
        .with_min_len(16)
        .for_each(|(a, (idx, val))| {
            let mut k = 0;
            for (b, v) in row(a).iter().enumerate() {
                let v = v.load(Relaxed);
                if v > 0 {
                    idx[k] = b as i64;
                    val[k] = i64::from(v);
                    k += 1;
                }
            }
        });
    Csr {
        indptr,
        indices,
        data,
    }
}

/// Builds rows `0..n` in parallel when `row(a, indices, values)` appends row `a`'s entries
/// itself, columns ascending.
fn rows_direct<T: Value, F>(n: usize, row: F) -> Csr<T>
where
    F: Fn(usize, &mut Vec<i64>, &mut Vec<T>) + Sync,
{
    let chunk = 256;
    let parts: Vec<(Vec<i64>, Vec<i64>, Vec<T>)> = (0..n.div_ceil(chunk))
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

/// The CSR matrix of row chunks `(row lengths, indices, values)` in row order; the chunks are
/// copied into place in parallel, each freed once copied.
fn concat_parts<T: Value>(n: usize, parts: Vec<(Vec<i64>, Vec<i64>, Vec<T>)>) -> Csr<T> {
    let mut indptr = Vec::with_capacity(n + 1);
    indptr.push(0i64);
    let mut last = 0i64;
    for (lens, _, _) in &parts {
        for &l in lens {
            last += l;
            indptr.push(last);
        }
    }
    let total = last as usize;
    let mut indices = vec![0i64; total];
    let mut data = vec![T::default(); total];
    let mut jobs = Vec::with_capacity(parts.len());
    let (mut idx_rest, mut val_rest) = (&mut indices[..], &mut data[..]);
    for (_, idx, val) in parts {
        let (a, r) = idx_rest.split_at_mut(idx.len());
        let (b, q) = val_rest.split_at_mut(val.len());
        (idx_rest, val_rest) = (r, q);
        jobs.push((a, b, idx, val));
    }
    jobs.into_par_iter().for_each(|(a, b, idx, val)| {
        a.copy_from_slice(&idx);
        b.copy_from_slice(&val);
    });
    Csr {
        indptr,
        indices,
        data,
    }
}

/// A unit's (norm, count) list as (feature, count) sorted by feature: norms without a feature
/// (negative) left out, norms mapped to one feature counted as one.
fn unit_features(unit: &[(u32, u32)], feature_of_norm: &[i64]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = unit
        .iter()
        .filter_map(|&(m, c)| {
            let f = feature_of_norm[m as usize];
            (f >= 0).then_some((f as u32, c))
        })
        .collect();
    out.sort_unstable();
    out.dedup_by(|next, kept| {
        if next.0 == kept.0 {
            kept.1 += next.1;
            true
        } else {
            false
        }
    });
    out
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
    check_map(feature_of_norm, tokens.vocabulary().n_norms(), n)?;
    let v = tokens.vocabulary();
    Ok((0..v.n_types() as u32)
        .map(|t| feature_of_norm[v.norm_of(t) as usize])
        .collect())
}

fn check_map(feature_of_norm: &[i64], n_norms: usize, n: usize) -> Result<()> {
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
    if feature_of_norm.len() != n_norms {
        return Err(Error::invalid_argument(
            "feature_of_norm",
            format!(
                "{} entries for {n_norms} normalised forms",
                feature_of_norm.len()
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
) -> Result<Csr<i64>> {
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

/// Co-occurrence within the units of a [`TermCounts`] (documents or turns, as it was built),
/// from the forms counted per unit: the same matrix as [`cooc_tokens_units`] on the tokens of
/// the same corpus, without the corpus's token ids.  `feature_of_norm` as there.
pub fn cooc_terms_units(
    terms: &TermCounts,
    feature_of_norm: &[i64],
    n: usize,
    boolean: bool,
) -> Result<Csr<i64>> {
    check_map(feature_of_norm, terms.vocabulary().n_norms(), n)?;
    let per_unit: Vec<Vec<(u32, u32)>> = terms
        .units()
        .par_iter()
        .map(|u| unit_features(u, feature_of_norm))
        .collect();
    Ok(pairs_in_units(&per_unit, n, boolean))
}

/// Units × features counts (CSR, columns ascending) from each unit's (norm, count) list:
/// column `feature_of_norm[norm]` (negative: not counted).  A document-term matrix without the
/// token stream.
///
/// ```
/// use qualcore::cooc::unit_feature_matrix;
/// // two units; norms 0, 1, 2 map to features 1, none, 0
/// let m = unit_feature_matrix(&[vec![(0, 2), (1, 5)], vec![(2, 1), (0, 1)]], &[1, -1, 0], 2).unwrap();
/// assert_eq!((m.indptr, m.indices, m.data), (vec![0, 1, 3], vec![1, 0, 1], vec![2, 1, 1]));
/// ```
pub fn unit_feature_matrix(
    units: &[Vec<(u32, u32)>],
    feature_of_norm: &[i64],
    n: usize,
) -> Result<Csr<i64>> {
    check_n(n)?;
    if let Some(bad) = feature_of_norm.iter().find(|&&f| f >= n as i64) {
        return Err(Error::invalid_argument(
            "feature_of_norm",
            format!("{bad} is not below {n} features"),
        ));
    }
    if let Some(&(m, _)) = units
        .iter()
        .flatten()
        .find(|&&(m, _)| m as usize >= feature_of_norm.len())
    {
        return Err(Error::invalid_argument(
            "feature_of_norm",
            format!("{} entries, but norm {m} is counted", feature_of_norm.len()),
        ));
    }
    let rows: Vec<Vec<(u32, u32)>> = units
        .par_iter()
        .map(|u| unit_features(u, feature_of_norm))
        .collect();
    let mut indptr = Vec::with_capacity(rows.len() + 1);
    indptr.push(0i64);
    let total: usize = rows.iter().map(Vec::len).sum();
    let mut indices = Vec::with_capacity(total);
    let mut data = Vec::with_capacity(total);
    for r in rows {
        for (f, c) in r {
            indices.push(i64::from(f));
            data.push(i64::from(c));
        }
        indptr.push(indices.len() as i64);
    }
    Ok(Csr {
        indptr,
        indices,
        data,
    })
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
    // The occurrences of a term are far apart in the stream: each visit is a cache miss.  The
    // stream is read 8 occurrences ahead (a load the processor issues without waiting for
    // it), so the misses overlap instead of coming one after another.
    const AHEAD: usize = 8;
    Ok(rows_parallel(n, |a, acc, touched| {
        let occ = &pos[offs[a]..offs[a + 1]];
        for (k, &i) in occ.iter().enumerate() {
            if let Some(&p) = occ.get(k + AHEAD) {
                std::hint::black_box(stream[p as usize]);
            }
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

    fn dense<T: Value>(m: &Csr<T>, n: usize) -> Vec<Vec<f64>> {
        let mut out = vec![vec![0.0; n]; n];
        for (r, row) in out.iter_mut().enumerate() {
            for k in m.indptr[r] as usize..m.indptr[r + 1] as usize {
                row[m.indices[k] as usize] = m.data[k].as_f64();
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
    fn dense_and_row_by_row_bitsets_agree() {
        // 200 units (4 words) over 150 features (3 tiles, the last partial), a few empty
        let per_unit: Vec<Vec<(u32, u32)>> = (0..200u32)
            .map(|u| {
                distinct(
                    (0..(u % 17))
                        .map(|k| (u * 31 + k * k * 7) % 150)
                        .filter(|&f| f % 11 != 3)
                        .collect(),
                )
            })
            .collect();
        let dense_path = boolean_by_bitsets_up_to(&per_unit, 150, 150);
        let rows_path = boolean_by_bitsets_up_to(&per_unit, 150, 0);
        assert_eq!(dense_path, rows_path);
        let want = pairs_in_units_by_postings(&per_unit, 150, true);
        assert_eq!(dense_path, want);
        assert!(dense_path.data.iter().all(|&v| v > 0));
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

    #[test]
    fn term_counts_give_the_matrix_of_the_tokens() {
        use crate::corpus::{Corpus, LabelParser, DEFAULT_LABEL_PATTERN};
        use crate::tokens::{TermCounts, Tokens};
        let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
        let words = [
            "Trust",
            "trust",
            "power",
            "the",
            "base",
            "évidence",
            "it",
            ".",
        ];
        let docs = (0..90usize)
            .map(|i| {
                let mut text = String::from("Intro\n");
                for k in 0..(i % 5) {
                    text.push_str(if k % 2 == 0 { "A: " } else { "B: " });
                    for j in 0..(i + k) % 9 {
                        text.push_str(words[(i * 7 + j * 3 + k) % words.len()]);
                        text.push(' ');
                    }
                    text.push('\n');
                }
                let t = p.parse(&text);
                (format!("d{i}"), text, t)
            })
            .collect();
        let c = Corpus::new(docs).unwrap();
        let t = Tokens::build(&c, Default::default());
        let nn = t.vocabulary().n_norms();
        // features: every third norm removed, every fifth not counted, the rest numbered
        let mut n = 0usize;
        let map: Vec<i64> = (0..nn)
            .map(|m| match m % 15 {
                0 | 3 | 6 | 9 | 12 => FEATURE_REMOVED,
                5 | 10 => FEATURE_NOT_COUNTED,
                _ => {
                    n += 1;
                    n as i64 - 1
                }
            })
            .collect();
        // and a map sending several norms to one feature
        let shared: Vec<i64> = (0..nn as i64).map(|m| m % 3 - 1).collect();
        for per_document in [true, false] {
            let tc = TermCounts::build(&c, Default::default(), per_document);
            for boolean in [true, false] {
                for (map, n) in [(&map, n), (&shared, 2)] {
                    let want = cooc_tokens_units(&t, map, n, per_document, boolean).unwrap();
                    let got = cooc_terms_units(&tc, map, n, boolean).unwrap();
                    assert_eq!(got, want, "per_document={per_document} boolean={boolean}");
                    assert!(!got.data.is_empty());
                }
            }
        }
        assert!(cooc_terms_units(
            &TermCounts::build(&c, Default::default(), true),
            &[0],
            1,
            true
        )
        .is_err());
    }

    #[test]
    fn plus_transpose_is_exactly_symmetric() {
        // forward window counts with float weights, then M + M^T
        let f: Vec<i64> = (0..400).map(|i| (i * 7 + i / 3) % 13).collect();
        let u: Vec<i64> = (0..400).map(|i| i / 37).collect();
        let w = [1.0, 0.5, 1.0 / 3.0, 0.25];
        let m = cooc_window(&f, &u, 13, &w, true).unwrap();
        let s = m.plus_transpose(13);
        let (dm, ds) = (dense(&m, 13), dense(&s, 13));
        for a in 0..13 {
            for b in 0..13 {
                assert_eq!(ds[a][b], ds[b][a]);
                assert_eq!(ds[a][b], dm[a][b] + dm[b][a]);
            }
        }
        // canonical: sorted columns, no zeros
        for r in 0..13 {
            let row = &s.indices[s.indptr[r] as usize..s.indptr[r + 1] as usize];
            assert!(row.windows(2).all(|x| x[0] < x[1]));
        }
        assert!(s.data.iter().all(|&v| v != 0.0));
    }
}
