//! Statistics of data versions: a profile per version, mergeable over the
//! shards of a dataset, and the drift between two versions' profiles.

pub mod chart;
pub mod compare;
pub mod summary;

pub use summary::{ColumnStats, Description, Distribution, Histogram, Profile, Summary};
