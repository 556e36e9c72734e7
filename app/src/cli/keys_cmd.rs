//! `deaid keys add|list|show`.

use std::path::Path;

use clap::Subcommand;

use super::output::{print, OutputFormat};
use super::{prompt, KeyringArgs};
use deai_client::keyring::{Backend, Keyring, Zeroizing};
use deai_client::keys::AccountKey;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key, or import one from a BIP39 mnemonic with --recover (read from stdin).
    Add {
        name: String,
        #[arg(long)]
        recover: bool,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// List all keys.
    List {
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Show one key.
    Show {
        name: String,
        /// Print only the address.
        #[arg(long, short = 'a')]
        address: bool,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
}

pub fn run(home: &Path, cmd: KeysCommand, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Add {
            name,
            recover,
            keyring,
        } => {
            let kr = Keyring::open(home, keyring.keyring_backend);
            let (mnemonic, key) = if recover {
                let phrase = Zeroizing::new(prompt::read_secret("> Enter your bip39 mnemonic\n")?);
                (None, AccountKey::from_mnemonic(&phrase)?)
            } else {
                let (phrase, key) = AccountKey::generate()?;
                (Some(phrase), key)
            };
            let pass = match kr.backend() {
                Backend::File => Some(Zeroizing::new(prompt::new_passphrase()?)),
                Backend::Test => None,
            };
            let info = kr.add(&name, &key, pass.as_ref().map(|p| p.as_str()))?;
            let mut v = serde_json::to_value(&info)?;
            if let Some(m) = &mnemonic {
                v["mnemonic"] = serde_json::Value::String(m.to_string());
            }
            print(&v, out);
            if mnemonic.is_some() && out == OutputFormat::Text {
                eprintln!("\n**Important** write this mnemonic phrase in a safe place.\nIt is the only way to recover your account if you ever forget your password.");
            }
            Ok(())
        }
        KeysCommand::List { keyring } => {
            let list = Keyring::open(home, keyring.keyring_backend).list()?;
            print(&serde_json::to_value(list)?, out);
            Ok(())
        }
        KeysCommand::Show {
            name,
            address,
            keyring,
        } => {
            let info = Keyring::open(home, keyring.keyring_backend).show(&name)?;
            if address {
                println!("{}", info.address);
            } else {
                print(&serde_json::to_value(info)?, out);
            }
            Ok(())
        }
    }
}
