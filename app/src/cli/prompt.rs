//! Reading secrets and confirmations: from the environment, a terminal, or piped stdin.

use std::io::{BufRead, IsTerminal, Write};

/// The env variable that supplies the `file` keyring's passphrase non-interactively.
pub const PASSPHRASE_ENV: &str = "DEAI_KEYRING_PASSPHRASE";

/// One line of stdin, without its newline. Errors at end of input.
pub fn read_line(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    let n = std::io::stdin().lock().read_line(&mut line)?;
    anyhow::ensure!(
        n > 0,
        "expected input on stdin ({})",
        prompt.trim().trim_end_matches(':')
    );
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// A secret: from a terminal without echo, otherwise a line of stdin.
pub fn read_secret(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        Ok(rpassword::prompt_password(prompt)?)
    } else {
        read_line(prompt)
    }
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
        let again = read_secret("Re-enter keyring passphrase: ")?;
        anyhow::ensure!(p == again, "passphrases do not match");
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
