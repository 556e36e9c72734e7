fn main() { println!("pos-bench: being built (issue 15)"); }
