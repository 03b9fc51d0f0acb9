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
    println!("compile {} patterns: {:.4}s", pats.len(), t.elapsed().as_secs_f64());
    let codes: Vec<u32> = (0..pats.len() as u32).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    {
        use qualcore::pattern::DocMatcher;
        let t = Instant::now();
        let mut n = 0usize;
        let mut pre = 0usize;
        for d in c.docs() {
            let mut m = DocMatcher::new(&p);
            if m.can_prefilter(&d.text) {
                pre += 1;
                let mut out = Vec::new();
                m.find_in_unit(&d.text, 0, d.text.len(), &mut out);
                n += out.len();
            }
        }
        println!(
            "prefiltered docs {pre}/{} matches {n} in {:.3}s",
            c.len(),
            t.elapsed().as_secs_f64()
        );
    }
    {
        let lits: Vec<String> = pats
            .iter()
            .map(|p| p.split_whitespace().next().unwrap().to_lowercase())
            .collect();
        for kind in [aho_corasick::MatchKind::Standard] {
            let ac = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(kind)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&lits)
                .unwrap();
            let t = Instant::now();
            let mut n = 0usize;
            for d in c.docs() {
                n += ac.find_overlapping_iter(d.text.as_str()).count();
            }
            println!(
                "AC overlapping {:?}: {n} candidates in {:.3}s",
                ac.kind(),
                t.elapsed().as_secs_f64()
            );
            let ac2 = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&lits)
                .unwrap();
            let t = Instant::now();
            let mut n = 0usize;
            for d in c.docs() {
                n += ac2.find_iter(d.text.as_str()).count();
            }
            println!(
                "AC leftmost-longest non-overlapping {:?}: {n} in {:.3}s",
                ac2.kind(),
                t.elapsed().as_secs_f64()
            );
        }
    }
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
