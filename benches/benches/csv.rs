//! CSV range parsing (`urval_ingest::scan` over one `;` CSV file): the file read as one
//! range against the same file cut into 4 MiB ranges parsed on all cores, 400,000 rows of
//! key, municipality, area, two dates and a flag, each row mapped to its stratum
//! (municipality × area, `StrataMapper`) and the dates read as day numbers where the flag
//! holds; rows/s (divide by the cores for rows/s per core). `one_range_csv_crate` reads the
//! file as one range with the `csv` crate's reader alone, without the line splitter for
//! plain lines; `one_range_plain_text` with the text columns built plain, not
//! dictionary-encoded.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::io::Write;
use urval_benches::SplitMix64;
use urval_ingest::strata::StrataMapper;
use urval_ingest::{scan, Extract, Filter, ScanSpec, T_TRUE};

fn bench(c: &mut Criterion) {
    const ROWS: usize = 400_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.csv");
    let mut rng = SplitMix64::new(5);
    let areas = ["barn_unga", "funktionshinder", "missbruk", "aldre"];
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(
        f,
        "case_id;municipality_code;area;opened_date;decided_date;child_heard"
    )
    .unwrap();
    for i in 0..ROWS {
        let m = 114 + rng.below(290);
        let d = 1 + rng.below(28);
        writeln!(
            f,
            "{m:04}-{i:010};{m:04};{};2024-03-{d:02};2024-06-{d:02};{}",
            areas[rng.below(4) as usize],
            if rng.below(2) == 0 { "true" } else { "false" }
        )
        .unwrap();
    }
    drop(f);
    let extract = Extract::resolve(&[path.display().to_string()], None).unwrap();
    let mut g = c.benchmark_group("csv");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(10);
    let filter = Filter::parse("child_heard AND decided_date <= opened_date + 90").unwrap();
    for (name, chunk, lines, dictionary) in [
        ("one_range", 0u64, true, true),
        ("one_range_csv_crate", 0, false, true),
        ("one_range_plain_text", 0, true, false),
        ("ranges_of_4MiB", 4 << 20, true, true),
    ] {
        let mut spec = ScanSpec::new(
            "case_id",
            &["municipality_code".to_string(), "area".to_string()],
        );
        spec.extra = vec![
            "opened_date".into(),
            "decided_date".into(),
            "child_heard".into(),
        ];
        spec.csv_chunk_bytes = chunk;
        spec.csv_line_reader = lines;
        spec.text_dictionary = dictionary;
        let strata = ["municipality_code".to_string(), "area".to_string()];
        g.bench_function(name, |b| {
            b.iter(|| {
                let out = scan(
                    black_box(&extract),
                    &spec,
                    || (StrataMapper::growing(&strata), Vec::new(), 0u64),
                    |(mapper, ids, n), batch| {
                        mapper.map_batch(batch, ids)?;
                        let cols: Vec<_> = filter
                            .columns()
                            .iter()
                            .map(|c| {
                                let k = ["opened_date", "decided_date", "child_heard"]
                                    .iter()
                                    .position(|x| x == c)
                                    .unwrap();
                                batch.extra[k].clone()
                            })
                            .collect();
                        let (mut codes, mut errors) = (Vec::new(), Vec::new());
                        filter
                            .bind(&cols)
                            .unwrap()
                            .truth_rows(batch.rows, &mut codes, &mut errors);
                        *n += codes.iter().filter(|&&c| c == T_TRUE).count() as u64;
                        Ok(())
                    },
                    &|_| {},
                )
                .unwrap();
                out.results.iter().map(|r| r.2).sum::<u64>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
