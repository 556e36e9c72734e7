use cosmos_sdk_proto::Any;
use deai_fuzz::rng::Rng;
use deai_fuzz::targets::Env;
fn main() {
    let mut rng = Rng::new(5);
    let env = Env::new(&mut rng).unwrap();
    for url in &env.urls {
        let mut ok = 0;
        let mut errs = std::collections::BTreeMap::<String, u32>::new();
        for _ in 0..300 {
            let any: Any = env.msg(&mut rng, 0, url);
            match env.chain.app.router().decode(&any) {
                Ok(_) => ok += 1,
                Err(e) => {
                    let k: String = e.log.chars().take(90).collect();
                    *errs.entry(k).or_default() += 1;
                }
            }
        }
        if ok == 0 {
            let top = errs.iter().max_by_key(|x| x.1).unwrap();
            println!("{url}: 0 ok; top: {} x{}", top.0, top.1);
        }
    }
}
