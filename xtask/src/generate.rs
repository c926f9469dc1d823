//! `cargo xtask generate`: spec → overlay → progenitor → prettyplease → checked-in Rust.
