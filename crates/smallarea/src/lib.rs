//! # urval-smallarea — model-based estimates for small areas
//!
//! When a municipality's own sample is small its direct estimate is wide. Small-area
//! estimation borrows strength across municipalities: each area's estimate is pulled
//! towards what a model of all areas predicts for it, the more the fewer its records.
//! The model-based figure is a complement to the direct one, never a replacement.
//!
//! - [`fay_herriot`]: the area-level Fay–Herriot model — REML by Fisher scoring, the EBLUP,
//!   the Prasad–Rao MSE (checked against `sae::eblupFH` on its `milk` example);
//! - [`arcsine`]: the model for shares on the arcsine scale with the bias-corrected
//!   back-transformation and a parametric bootstrap MSE (`emdi::fh`'s `arcsin`);
//! - [`beta_binomial`]: empirical-Bayes shrinkage towards the common rate without
//!   covariates;
//! - [`sizing`]: records per area for a target of the model-based estimate, beside the
//!   direct per-area sizes.
//!
//! No I/O. Every formula names its source in its doc comment.
#![forbid(unsafe_code)]

pub mod arcsine;
pub mod beta_binomial;
mod error;
pub mod fay_herriot;
mod linalg;
pub mod sizing;

pub use error::SmallAreaError;
