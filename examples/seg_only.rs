//! `cargo run --release --example seg_only -- FOLDER`: for_each_token alone, one thread.
use qualcore::tokenize::for_each_token;
use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut texts = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        texts.push(std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    let mb: f64 = texts.iter().map(|d| d.len()).sum::<usize>() as f64 / 1e6;
    let na: usize = texts
        .iter()
        .map(|t| t.bytes().filter(|b| *b >= 0x80).count())
        .sum();
    println!("non-ascii bytes {na}");
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0usize;
        for d in &texts {
            for_each_token(d, |_, _| n += 1);
        }
        println!("segment: {:.0} MB/s n={n}", mb / t.elapsed().as_secs_f64());
    }
}
