//! `urval run`: the nightly batch. A pipeline file names the extract and a list of steps
//! (`plan`, `draw`, `verify`, `indicators`, `report`, `validate`), each a table of the
//! command's own flags. The steps run in order in a staging directory inside the outputs
//! directory; only when every step has succeeded are their files moved over the previous
//! night's (one rename each) and `run-manifest.json` written last. A failed step names
//! itself, leaves the previous outputs intact and exits 2. A lock file keeps two runs from
//! overlapping; a lock left by a run that died is taken over. Output timestamps are fixed
//! to the newest input's modification time, so a rerun over unchanged inputs writes
//! byte-identical outputs.

use crate::format::{thousands, Output};
use crate::util::{fix_output_time, wall_clock_utc, write_atomic};
use anyhow::{bail, Context, Result};
use clap::{Args, Parser};
use serde::Deserialize;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use urval_ingest::Extract;

/// Arguments of `urval run`.
#[derive(Debug, Args)]
#[command(after_help = "Example (nightly at 02:30 from cron):
  30 2 * * *  cd /srv/urval && urval run pipeline/nightly.toml >> log/nightly.log 2>&1")]
pub struct RunArgs {
    /// The pipeline file (TOML), e.g. pipeline/nightly.toml.
    pub pipeline: PathBuf,
    /// Write into this directory instead of the pipeline's `outputs`.
    #[arg(long, value_name = "DIR")]
    pub outputs: Option<PathBuf>,
}

/// The pipeline file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pipeline {
    /// The outputs directory (created if missing; its parent must exist).
    outputs: PathBuf,
    /// The extract (files, directories, globs) for every step that reads one.
    extract: Vec<String>,
    /// The record key column (plan, indicators).
    key: Option<String>,
    /// CSV delimiter.
    delimiter: Option<String>,
    /// Personal columns (never printed).
    personal: Option<Vec<String>>,
    #[serde(default)]
    step: Vec<toml::Table>,
}

/// The commands a step may run.
const COMMANDS: [&str; 6] = ["plan", "draw", "verify", "indicators", "report", "validate"];
/// Flags naming files that a step reads: an earlier step's output, or a file outside.
const INPUT_FLAGS: [&str; 7] = [
    "plan",
    "manifest",
    "indicators",
    "spec",
    "secret_file",
    "requested_file",
    "extract",
];
const LOCK: &str = ".urval-run.lock";
const STAGING: &str = ".staging";
/// The run manifest's file name.
pub const RUN_MANIFEST: &str = "run-manifest.json";

/// The lock file, removed on drop.
struct Lock(PathBuf);

impl Lock {
    fn take(dir: &Path) -> Result<Lock> {
        let path = dir.join(LOCK);
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    std::io::Write::write_all(&mut f, std::process::id().to_string().as_bytes())?;
                    return Ok(Lock(path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder.trim();
                    let alive = !pid.is_empty() && Path::new("/proc").join(pid).exists();
                    if alive {
                        bail!(
                            "{}: another urval run (pid {pid}) is writing these outputs; remove the lock only if it is not running",
                            path.display()
                        );
                    }
                    tracing::warn!(lock = %path.display(), "taking over the lock of a run that died");
                    std::fs::remove_file(&path).with_context(|| {
                        format!("cannot remove the stale lock {}", path.display())
                    })?;
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot create the lock {}", path.display()))
                }
            }
        }
        bail!("{}: cannot take the lock", path.display())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Restores the working directory on drop.
struct Cwd(PathBuf);

impl Drop for Cwd {
    fn drop(&mut self) {
        let _ = std::env::set_current_dir(&self.0);
    }
}

/// XXH3-128 of a file, streamed.
fn stream_hash(path: &Path) -> Result<String> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(crate::util::hex128(h.digest128()))
}

fn flag_value(v: &toml::Value) -> Result<Option<String>> {
    Ok(Some(match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(_) => return Ok(None),
        toml::Value::Array(a) => a
            .iter()
            .map(|x| flag_value(x).map(|v| v.unwrap_or_default()))
            .collect::<Result<Vec<_>>>()?
            .join(","),
        other => bail!(
            "a flag's value must be text, a number, a boolean or a list, got {}",
            other.type_str()
        ),
    }))
}

/// One step turned into a command line.
struct Step {
    label: String,
    argv: Vec<String>,
    outputs: Vec<String>,
    /// The command prints its result (verify, validate): stdout goes to the output file.
    stdout_output: bool,
}

/// Commands whose result is a file named by `-o`; the others print it.
const WRITE_FILES: [&str; 4] = ["plan", "draw", "indicators", "report"];

fn absolute(p: &str) -> Result<String> {
    Ok(std::path::absolute(p)
        .with_context(|| format!("cannot resolve the path {p:?}"))?
        .display()
        .to_string())
}

fn build_steps(p: &Pipeline) -> Result<Vec<Step>> {
    let mut produced: Vec<String> = Vec::new();
    let mut steps = Vec::new();
    for (i, table) in p.step.iter().enumerate() {
        let label_base = format!("step {}", i + 1);
        let command = table
            .get("command")
            .and_then(|v| v.as_str())
            .with_context(|| {
                format!("{label_base}: no command = \"…\" ({})", COMMANDS.join(", "))
            })?;
        if !COMMANDS.contains(&command) {
            bail!(
                "{label_base}: command {command:?} is not one of {}",
                COMMANDS.join(", ")
            );
        }
        let output = table
            .get("output")
            .and_then(|v| v.as_str())
            .with_context(|| format!("{label_base} ({command}): no output = \"FILE\""))?;
        if Path::new(output).components().count() != 1 || output.starts_with('.') {
            bail!("{label_base} ({command}): output {output:?} must be a plain file name: it is written into the outputs directory");
        }
        let label = format!("{label_base} ({command} → {output})");
        let mut argv = vec!["urval".to_string(), command.to_string()];
        let reads_extract = matches!(
            command,
            "plan" | "draw" | "verify" | "indicators" | "validate"
        );
        if reads_extract && !table.contains_key("extract") {
            argv.push("--extract".into());
            for e in &p.extract {
                argv.push(absolute(e)?);
            }
        }
        if reads_extract {
            if let (Some(d), false) = (&p.delimiter, table.contains_key("delimiter")) {
                argv.extend(["--delimiter".to_string(), d.clone()]);
            }
            if let (Some(c), false) = (&p.personal, table.contains_key("personal")) {
                if !c.is_empty() {
                    argv.extend(["--personal".to_string(), c.join(",")]);
                }
            }
        }
        if matches!(command, "plan" | "indicators") && !table.contains_key("key") {
            if let Some(k) = &p.key {
                argv.extend(["--key".to_string(), k.clone()]);
            }
        }
        let mut outputs = vec![output.to_string()];
        for (k, v) in table {
            if k == "command" {
                continue;
            }
            let flag = format!("--{}", k.replace('_', "-"));
            if k == "output" {
                if WRITE_FILES.contains(&command) {
                    argv.extend(["-o".to_string(), output.to_string()]);
                }
                continue;
            }
            if k == "out_dir" {
                bail!("{label}: out_dir is not supported in a pipeline");
            }
            let value = flag_value(v).with_context(|| format!("{label}: {k}"))?;
            match value {
                None => {
                    if v.as_bool() == Some(true) {
                        argv.push(flag);
                    }
                }
                Some(value) if INPUT_FLAGS.contains(&k.as_str()) => {
                    // An earlier step's output is read from the staging directory; anything
                    // else is resolved against the directory urval run started in.
                    let parts: Vec<String> = match v {
                        toml::Value::Array(a) => a
                            .iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect(),
                        _ => vec![value],
                    };
                    argv.push(flag);
                    for part in parts {
                        if produced.contains(&part) {
                            argv.push(part);
                        } else {
                            argv.push(absolute(&part)?);
                        }
                    }
                }
                Some(value) => {
                    argv.push(flag);
                    argv.push(value);
                }
            }
        }
        // Sidecars written next to the output.
        let stem = Path::new(output)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(output)
            .to_string();
        match command {
            "draw" => outputs.push(format!("{stem}.draw.json")),
            "indicators" => outputs.push(format!("{stem}.indicators.json")),
            _ => {}
        }
        if matches!(command, "plan" | "draw" | "indicators") {
            outputs.push(format!("{stem}.quarantine.csv"));
        }
        produced.extend(outputs.iter().cloned());
        steps.push(Step {
            label,
            argv,
            outputs,
            stdout_output: !WRITE_FILES.contains(&command),
        });
    }
    if steps.is_empty() {
        bail!("the pipeline has no [[step]]");
    }
    Ok(steps)
}

/// The newest modification time (seconds since 1970) of the given files.
fn newest_mtime(paths: &[PathBuf]) -> i64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .max()
        .unwrap_or(0)
}

/// Run `urval run`.
pub fn run(args: &RunArgs) -> Result<Output> {
    let started = std::time::Instant::now();
    let started_at = wall_clock_utc();
    let text = std::fs::read_to_string(&args.pipeline)
        .with_context(|| format!("cannot read the pipeline {}", args.pipeline.display()))?;
    let pipeline: Pipeline = toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a valid pipeline: {}",
            args.pipeline.display(),
            e.to_string().trim().replace('\n', " ")
        )
    })?;
    let outputs_dir = args.outputs.clone().unwrap_or(pipeline.outputs.clone());
    let steps = build_steps(&pipeline).with_context(|| format!("{}", args.pipeline.display()))?;

    // Inputs: the extract's files and every file a step reads from outside the run.
    let extract = Extract::resolve(&pipeline.extract, None)
        .with_context(|| format!("{}: extract", args.pipeline.display()))?;
    let mut inputs: Vec<PathBuf> = extract.files.iter().map(|f| f.path.clone()).collect();
    inputs.push(args.pipeline.clone());
    for s in &steps {
        for w in s.argv.windows(2) {
            let flag = w[0].trim_start_matches("--").replace('-', "_");
            if INPUT_FLAGS.contains(&flag.as_str())
                && flag != "extract"
                && Path::new(&w[1]).is_absolute()
            {
                let p = PathBuf::from(&w[1]);
                if !p.is_file() {
                    bail!(
                        "{}: {} reads {}, which does not exist",
                        args.pipeline.display(),
                        s.label,
                        p.display()
                    );
                }
                if !inputs.contains(&p) {
                    inputs.push(p);
                }
            }
        }
    }
    if let Some(parent) = outputs_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            bail!(
                "{}: the outputs directory's parent does not exist",
                parent.display()
            );
        }
    }
    std::fs::create_dir_all(&outputs_dir).with_context(|| {
        format!(
            "cannot create the outputs directory {}",
            outputs_dir.display()
        )
    })?;
    let outputs_dir = std::fs::canonicalize(&outputs_dir)?;
    let _lock = Lock::take(&outputs_dir)?;
    let staging = outputs_dir.join(STAGING);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot clear {}", staging.display()))?;
    }
    std::fs::create_dir(&staging)
        .with_context(|| format!("cannot write in {}", outputs_dir.display()))?;
    fix_output_time(newest_mtime(&inputs));

    let mut step_records = Vec::new();
    let result = (|| -> Result<()> {
        let _cwd = Cwd(std::env::current_dir()?);
        std::env::set_current_dir(&staging)?;
        for s in &steps {
            let t0 = std::time::Instant::now();
            tracing::info!(step = %s.label, "running");
            let cli = crate::Cli::try_parse_from(&s.argv).map_err(|e| {
                anyhow::anyhow!(
                    "{}: {}",
                    s.label,
                    e.to_string().lines().next().unwrap_or("bad flags")
                )
            })?;
            let out = crate::dispatch(&cli.command).with_context(|| s.label.clone())?;
            if out.code != 0 {
                bail!(
                    "{}: a data finding (exit {}):\n{}",
                    s.label,
                    out.code,
                    out.text.trim_end()
                );
            }
            if s.stdout_output {
                write_atomic(Path::new(&s.outputs[0]), out.text.as_bytes())?;
            }
            step_records.push((s, out.text, t0.elapsed().as_secs_f64()));
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e.context(format!(
            "urval run {}: failed; the previous outputs in {} are intact",
            args.pipeline.display(),
            outputs_dir.display()
        )));
    }

    // Everything succeeded: checksums, then move each file over the previous one.
    let mut produced: Vec<(String, u64, String)> = Vec::new();
    for s in &steps {
        for o in &s.outputs {
            let p = staging.join(o);
            if p.is_file() {
                let bytes = std::fs::metadata(&p)?.len();
                produced.push((o.clone(), bytes, stream_hash(&p)?));
            }
        }
    }
    let previous: Vec<String> = std::fs::read_to_string(outputs_dir.join(RUN_MANIFEST))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .map(|v| {
            v["outputs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| o["path"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    for (name, _, _) in &produced {
        std::fs::rename(staging.join(name), outputs_dir.join(name))
            .with_context(|| format!("cannot move {name} into {}", outputs_dir.display()))?;
    }
    for old in previous {
        let is_plain = Path::new(&old).components().count() == 1;
        if is_plain && !produced.iter().any(|(n, _, _)| *n == old) {
            let _ = std::fs::remove_file(outputs_dir.join(&old));
        }
    }
    let _ = std::fs::remove_dir_all(&staging);

    let mut input_records = Vec::new();
    for p in &inputs {
        let bytes = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        input_records.push(
            json!({"path": p.display().to_string(), "bytes": bytes, "xxh3_128": stream_hash(p)?}),
        );
    }
    let mut steps_json = Vec::new();
    let mut t = String::new();
    for (s, text, secs) in &step_records {
        // Rows per file, from the step's own JSON output.
        let out = &s.outputs[0];
        let facts_file = match s.argv[1].as_str() {
            "plan" => Some(out.clone()),
            "draw" => s.outputs.get(1).cloned(),
            "indicators" => s.outputs.get(1).cloned(),
            _ => None,
        };
        let facts: Option<Value> = facts_file
            .and_then(|f| std::fs::read_to_string(outputs_dir.join(f)).ok())
            .and_then(|t| serde_json::from_str(&t).ok());
        let files = facts.as_ref().map(|f| {
            if f["extract"]["files"].is_array() {
                f["extract"]["files"].clone()
            } else {
                f["files"].clone()
            }
        });
        steps_json.push(json!({"step": s.label, "argv": s.argv[1..], "seconds": (secs * 1000.0).round() / 1000.0,
                               "files": files, "outputs": s.outputs.iter().filter(|o| outputs_dir.join(o).is_file()).collect::<Vec<_>>()}));
        writeln!(t, "== {} ({secs:.2} s)", s.label)?;
        for line in text.lines().take(4) {
            writeln!(t, "   {line}")?;
        }
    }
    let manifest = json!({
        "kind": "urval-run",
        "version": 1,
        "urval_version": env!("CARGO_PKG_VERSION"),
        "pipeline": args.pipeline.display().to_string(),
        "started": started_at,
        "finished": wall_clock_utc(),
        "seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "output_time": crate::util::now_utc(),
        "inputs": input_records,
        "steps": steps_json,
        "outputs": produced.iter().map(|(n, b, h)| json!({"path": n, "bytes": b, "xxh3_128": h})).collect::<Vec<_>>(),
    });
    crate::util::write_json(&outputs_dir.join(RUN_MANIFEST), &manifest)?;
    writeln!(
        t,
        "urval run: {} steps, {} outputs in {} ({} bytes); run manifest {}",
        steps.len(),
        produced.len(),
        outputs_dir.display(),
        thousands(produced.iter().map(|p| p.1).sum()),
        outputs_dir.join(RUN_MANIFEST).display()
    )?;
    Ok(Output::ok(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_become_command_lines() {
        let p: Pipeline = toml::from_str(
            r#"
outputs = "out"
extract = ["data/x.parquet"]
key = "id"
[[step]]
command = "plan"
strata = "m"
margin = 0.05
output = "plan.json"
[[step]]
command = "draw"
plan = "plan.json"
seed = 7
include = ["a", "b"]
output = "manifest.csv"
"#,
        )
        .unwrap();
        let s = build_steps(&p).unwrap();
        let plan = &s[0].argv;
        assert!(plan.contains(&"--key".to_string()) && plan.contains(&"--margin".to_string()));
        let draw = &s[1].argv;
        let at = draw.iter().position(|a| a == "--plan").unwrap();
        assert_eq!(draw[at + 1], "plan.json");
        assert!(draw
            .windows(2)
            .any(|w| w[0] == "--include" && w[1] == "a,b"));
        assert!(s[1].outputs.contains(&"manifest.draw.json".to_string()));
        for bad in [
            "outputs='o'\nextract=['x']\n[[step]]\ncommand='size'\noutput='a'",
            "outputs='o'\nextract=['x']\n[[step]]\ncommand='plan'\noutput='../a'",
            "outputs='o'\nextract=['x']\n[[step]]\ncommand='plan'",
            "outputs='o'\nextract=['x']",
        ] {
            let p: Pipeline = toml::from_str(bad).unwrap();
            assert!(build_steps(&p).is_err(), "{bad}");
        }
    }
}
