//! Reading secrets and confirmations: from the environment, a terminal, or piped stdin.

use std::io::{BufRead, IsTerminal, Write};

use deai_client::keyring::Zeroizing;

/// The env variable that supplies the `file` keyring's passphrase non-interactively.
pub const PASSPHRASE_ENV: &str = "DEAI_KEYRING_PASSPHRASE";

/// A secret: from a terminal without echo, otherwise a line of stdin. The line is read
/// into a buffer that is wiped if reading fails, and trimmed in place (no copy is left
/// behind); the caller wraps the result in `Zeroizing`.
pub fn read_secret(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password(prompt)?);
    }
    let mut line = Zeroizing::new(String::new());
    let n = std::io::stdin().lock().read_line(&mut line)?;
    anyhow::ensure!(
        n > 0,
        "expected input on stdin ({})",
        prompt.trim().trim_end_matches(':')
    );
    let len = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(len);
    Ok(std::mem::take(&mut *line))
}

/// The passphrase to unlock a key.
pub fn passphrase() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(p);
    }
    read_secret("Enter keyring passphrase: ")
}

/// A new passphrase, asked twice on a terminal.
pub fn new_passphrase() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(p);
    }
    let p = read_secret("Enter keyring passphrase (at least 8 characters): ")?;
    if std::io::stdin().is_terminal() {
        let again = Zeroizing::new(read_secret("Re-enter keyring passphrase: ")?);
        if p != *again {
            drop(Zeroizing::new(p));
            anyhow::bail!("passphrases do not match");
        }
    }
    Ok(p)
}

/// Asks y/N; anything but y/yes declines.
pub fn confirm(question: &str) -> anyhow::Result<bool> {
    eprint!("{question} [y/N]: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
