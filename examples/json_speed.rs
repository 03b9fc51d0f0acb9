//! Phase timings of the JSON table reader, one thread:
//! `cargo run --release --example json_speed -- FOLDER_OF_JSON_FILES`.
use qualcore::tables::{read_json_tables, JsonSpec, MissingText};
use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.to_str().unwrap().to_string(),
                p.file_stem().unwrap().to_string_lossy().to_string(),
            )
        })
        .collect();
    files.sort();
    let keys = [
        "meeting_transcripts",
        "transcript",
        "transcripts",
        "turns",
        "utterances",
    ];
    let spec = JsonSpec {
        records: None,
        record_keys: keys.iter().map(|s| s.to_string()).collect(),
        given: vec![],
        names: vec![
            ("document".into(), vec!["doc_id".into()]),
            ("speaker".into(), vec!["speaker".into()]),
            ("text".into(), vec!["text".into(), "content".into()]),
            ("time_start".into(), vec!["start".into()]),
            ("time_end".into(), vec!["end".into()]),
            ("time".into(), vec!["time".into()]),
        ],
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        for _ in 0..std::env::args().nth(2).map_or(3, |s| s.parse().unwrap()) {
            if std::env::var("ONLY").is_ok() {
                let t = Instant::now();
                let r = read_json_tables(&files, &spec, MissingText::Drop, "\n\n");
                println!("read_json_tables {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
                drop(r);
                continue;
            }
            let t = Instant::now();
            let mut n = 0;
            for (p, _) in &files {
                n += std::fs::read(p).unwrap().len();
            }
            let read = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for (p, _) in &files {
                let b = std::fs::read(p).unwrap();
                let _: serde::de::IgnoredAny = serde_json::from_slice(&b).unwrap();
            }
            let ignored = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let r = read_json_tables(&files, &spec, MissingText::Drop, "\n\n");
            let all = t.elapsed().as_secs_f64();
            println!(
                "{n} bytes: read {:.1} ms, parse-and-skip {:.1} ms, read_json_tables {:.1} ms ({})",
                read * 1e3,
                ignored * 1e3,
                all * 1e3,
                match &r {
                    qualcore::tables::TableRead::Docs(d, _) => format!("{} documents", d.len()),
                    qualcore::tables::TableRead::Fallback(why) => why.clone(),
                }
            );
        }
    });
}
