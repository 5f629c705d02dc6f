//! One module per subcommand: each owns its clap arguments, turns them into a spec for
//! the library crates, and renders the result as text or JSON.

pub mod agreement;
pub mod allocate;
pub mod commit;
pub mod common;
pub mod draw;
pub mod evaluate;
pub mod generate;
pub mod indicators;
pub mod overlap;
pub mod plan;
pub mod reference;
pub mod report;
pub mod review_template;
pub mod run;
pub mod size;
pub mod validate;
pub mod verify;
