//! The TypeScript client package (`clients/typescript`, `@tds/graphql-client`) as its
//! users get it: generated from the committed `schema.graphql`, type-checked and built.
//!
//! Needs `clients/typescript/node_modules` (`npm ci` there; `.ci/run` does it). Missing
//! it is a failure that says so, never a skip.

#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn package_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/typescript")
}

/// Runs `program args` in clients/typescript, failing the test with its output.
fn in_package(program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .current_dir(package_dir())
        .output()
        .unwrap_or_else(|e| panic!("{program} does not run ({e}): install Node.js"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn node_modules() {
    assert!(
        package_dir().join("node_modules/@graphql-codegen/cli").is_dir()
            && package_dir().join("node_modules/typescript").is_dir(),
        "clients/typescript/node_modules is missing: run npm ci in clients/typescript; .ci/run does"
    );
}

/// The committed types and documents match `schema.graphql` and the operations in
/// `clients/typescript/src/operations` (regenerated into a scratch folder), and the
/// package type-checks; then it builds to `dist/` with declarations.
#[test]
fn the_typescript_client_matches_the_schema_and_builds() {
    node_modules();
    in_package("node", &["scripts/check.mjs"]);
    in_package("node", &["scripts/build.mjs"]);
    assert!(
        package_dir().join("dist/index.d.ts").is_file() && package_dir().join("dist/index.js").is_file(),
        "the build left no dist/index.js and dist/index.d.ts"
    );
}
