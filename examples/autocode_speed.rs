//! Auto-coding timings in Rust, one thread:
//! `cargo run --release --example autocode_speed -- FOLDER_OF_TXT_FILES PATTERNS_FILE`.
use qualcore::coding::{autocode, CodeUnit};
use qualcore::corpus::Corpus;
use qualcore::pattern::{Patterns, ValueType};
use std::time::Instant;
fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("folder");
    let pats: Vec<String> = std::fs::read_to_string(args.next().expect("patterns"))
        .expect("patterns file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    let mut docs = Vec::new();
    for e in std::fs::read_dir(&dir).expect("folder") {
        let p = e.expect("entry").path();
        let t = std::fs::read_to_string(&p).expect("utf-8");
        docs.push((
            p.file_stem().unwrap().to_string_lossy().to_string(),
            t,
            vec![],
        ));
    }
    let mb: f64 = docs.iter().map(|d| d.1.len()).sum::<usize>() as f64 / 1e6;
    let c = Corpus::new(docs).expect("corpus");
    let t = Instant::now();
    let p = Patterns::new(&pats, ValueType::Glob, true).expect("patterns");
    println!(
        "compile {} patterns: {:.4}s",
        pats.len(),
        t.elapsed().as_secs_f64()
    );
    let codes: Vec<u32> = (0..pats.len() as u32).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        for _ in 0..3 {
            let t = Instant::now();
            let spans = autocode(&c, &p, &codes, CodeUnit::Match);
            let s = t.elapsed().as_secs_f64();
            println!(
                "autocode: {:.3}s {:.0} MB/s {} spans",
                s,
                mb / s,
                spans.len()
            );
        }
    });
}
