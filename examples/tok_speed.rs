//! Phase timings of the tokeniser in Rust, one thread:
//! `cargo run --release --example tok_speed -- FOLDER_OF_TXT_FILES`.
use qualcore::corpus::Corpus;
use qualcore::tokenize::{for_each_token, for_each_token_reference};
use qualcore::tokens::{tokenize_document, Tokens};
use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut docs = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let t = std::fs::read_to_string(&p).unwrap();
        docs.push((
            p.file_stem().unwrap().to_string_lossy().to_string(),
            t,
            vec![],
        ));
    }
    let mb: f64 = docs.iter().map(|d| d.1.len()).sum::<usize>() as f64 / 1e6;
    let c = Corpus::new(docs).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let t = Instant::now();
        let mut n = 0usize;
        for d in c.docs() {
            for_each_token(&d.text, |_, _| n += 1);
        }
        let s = t.elapsed().as_secs_f64();
        println!("segment only fast: {:.0} MB/s n={n}", mb / s);
        let t = Instant::now();
        let mut n = 0usize;
        for d in c.docs() {
            for_each_token_reference(&d.text, |_, _| n += 1);
        }
        let s = t.elapsed().as_secs_f64();
        println!("segment only ref: {:.0} MB/s n={n}", mb / s);
        let t = Instant::now();
        let mut n = 0usize;
        for (i, d) in c.docs().iter().enumerate() {
            let (dt, _) = tokenize_document(d, &c.units(i));
            n += dt.len();
        }
        let s = t.elapsed().as_secs_f64();
        println!("tokenize_document: {:.0} MB/s n={n}", mb / s);
        let t = Instant::now();
        let mut n = 0usize;
        for d in c.docs() {
            let mut ids: Vec<u32> = Vec::with_capacity(d.text.len() / 5);
            let mut st: Vec<u32> = Vec::with_capacity(d.text.len() / 5);
            let mut en: Vec<u32> = Vec::with_capacity(d.text.len() / 5);
            for_each_token(&d.text, |s, e| {
                ids.push(0);
                st.push(s as u32);
                en.push(e as u32);
            });
            n += ids.len();
        }
        let s = t.elapsed().as_secs_f64();
        println!("segment+push: {:.0} MB/s n={n}", mb / s);
        let t = Instant::now();
        let local: Vec<_> = c
            .docs()
            .iter()
            .enumerate()
            .map(|(i, d)| tokenize_document(d, &c.units(i)))
            .collect();
        let t1 = t.elapsed().as_secs_f64();
        let mut vocab = qualcore::tokens::Vocabulary::new(Default::default());
        let nl: usize = local.iter().map(|l| l.1.len()).sum();
        let maps: Vec<Vec<u32>> = local
            .iter()
            .map(|(_, types)| types.iter().map(|t| vocab.intern(t)).collect())
            .collect();
        let t2 = t.elapsed().as_secs_f64();
        let mut n = 0u64;
        for ((dt, _), map) in local.into_iter().zip(maps) {
            for id in dt.ids.iter() {
                n += map[*id as usize] as u64;
            }
        }
        let t3 = t.elapsed().as_secs_f64();
        println!(
            "phases: tokenize {:.3}s merge {:.3}s ({nl} local types) remap {:.3}s {n}",
            t1,
            t2 - t1,
            t3 - t2
        );
        let t = Instant::now();
        let tk = Tokens::build(&c, Default::default());
        let s = t.elapsed().as_secs_f64();
        println!(
            "Tokens::build: {:.0} MB/s types={}",
            mb / s,
            tk.vocabulary().n_types()
        );
    });
}
