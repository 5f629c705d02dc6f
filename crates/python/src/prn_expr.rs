//! `urval.prn` as a compiled Polars expression plugin (pyo3-polars).
//!
//! Polars calls [`prn`] on each chunk or streaming morsel of the key column through its
//! plugin interface, with no Python in between and no copy of the keys: the hash reads the
//! bytes of Polars' own string views. The value of each key is `urval_sample::prn_unit`,
//! PRN specification v1, so a key has the same number here as in `urval draw`'s manifest.
//!
//! The allocator of this module is Polars' own (`PolarsAllocator`, set in `lib.rs`): an output
//! column allocated here is freed by Polars, and memory freed by one is reused by the other.
//! The plugin's C entry points (`_polars_plugin_prn`, the version and error functions Polars
//! looks up) are declared by pyo3-polars' `polars_expr` macro: this module has no unsafe code.
use polars::prelude::*;
use polars_arrow::array::{Array, BinaryViewArray, PrimitiveArray};
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

/// The keyword arguments of the expression: the seed as decimal text (a Python integer up
/// to 2^64 − 1, which pickled integers do not carry into a `u64` reliably).
#[derive(Deserialize)]
struct PrnKwargs {
    seed: String,
}

/// The permanent random number u = (XXH3_64(key, seed) >> 11) / 2^53 of each key (PRN
/// specification v1, `docs/reference/prn.md`): text and bytes as their bytes, integers as
/// their decimal text, categories and enums as their text; null for a null key.
#[polars_expr(output_type = Float64)]
fn prn(inputs: &[Series], kwargs: PrnKwargs) -> PolarsResult<Series> {
    let seed: u64 = kwargs.seed.parse().map_err(
        |_| polars_err!(ComputeError: "seed {} is not an unsigned 64-bit integer", kwargs.seed),
    )?;
    let keys = &inputs[0];
    let bytes = as_bytes(keys)?;
    let chunks = bytes
        .downcast_iter()
        .map(|a| units(a, seed))
        .collect::<Vec<_>>();
    Ok(Float64Chunked::from_chunk_iter(keys.name().clone(), chunks).into_series())
}

/// The key column as bytes, read as the draw reads keys.
fn as_bytes(keys: &Series) -> PolarsResult<BinaryChunked> {
    match keys.dtype() {
        DataType::String => Ok(keys.str()?.as_binary()),
        DataType::Binary => Ok(keys.binary()?.clone()),
        t if t.is_integer() || t.is_categorical() || t.is_enum() => {
            Ok(keys.cast(&DataType::String)?.str()?.as_binary())
        }
        t => polars_bail!(
            InvalidOperation: "urval.prn: keys of type {t} are not read as text by the draw: cast them to pl.String first"
        ),
    }
}

/// The PRN of every value of one array of bytes, its nulls kept. The views are walked as a
/// slice (a loop the compiler keeps tight: one hash per key, no per-element bookkeeping).
fn units(a: &BinaryViewArray, seed: u64) -> PrimitiveArray<f64> {
    let buffers = a.data_buffers();
    let values: Vec<f64> = a
        .views()
        .iter()
        .map(|v| {
            let key = match v.get_inlined_slice() {
                Some(inline) => inline,
                None => &buffers[v.buffer_idx as usize][v.offset as usize..][..v.length as usize],
            };
            urval_sample::prn_unit(seed, key)
        })
        .collect();
    PrimitiveArray::from_vec(values).with_validity(a.validity().cloned())
}
