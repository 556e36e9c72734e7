// torch-sys's rpath does not reach final binaries (see DESIGN.md "Getting libtorch"),
// so embed $LIBTORCH/lib in every binary and test that links this crate, and record
// the libtorch version for result.json.
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let version = match std::env::var("LIBTORCH") {
        Ok(dir) => {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}/lib");
            read_version(Path::new(&dir)).unwrap_or_else(|| "unknown".to_string())
        }
        Err(_) => "unknown".to_string(),
    };
    println!("cargo:rustc-env=DEAI_LIBTORCH_VERSION={version}");
}

// The PyPI wheel ships torch/version.py with `__version__ = '2.13.0+cu130'`.
fn read_version(dir: &Path) -> Option<String> {
    let path = dir.join("version.py");
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("__version__"))?;
    let value = line
        .split('=')
        .nth(1)?
        .trim()
        .trim_matches(|c| c == '\'' || c == '"');
    Some(value.to_string())
}
