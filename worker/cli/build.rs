// The engine's build.rs embeds libtorch's rpath only in the engine's own targets;
// cargo does not pass link args on to dependents, so this binary embeds it too.
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}/lib");
    }
}
