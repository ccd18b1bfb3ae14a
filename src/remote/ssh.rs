//! The system's OpenSSH client, run as a child process.
//!
//! Exhibit has no SSH library and never holds a password: every connection
//! is `ssh` with the user's own agent, keys, `known_hosts` and
//! configuration (jump hosts included), plus `-F FILE` and `-o OPT` when
//! asked, `BatchMode=yes` when nobody can answer a prompt, and keep-alives
//! so a dead connection is noticed. Remote commands are built from single-
//! quoted words ([`quote`]), so no argument is ever interpreted by the
//! server's shell.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `[USER@]HOST[:PORT]` as the user typed it (`[::1]:2222` for IPv6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl SshTarget {
    /// Parse `[USER@]HOST[:PORT]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (user, rest) = match s.rsplit_once('@') {
            Some((u, r)) if !u.is_empty() => (Some(u.to_string()), r),
            Some(_) => return Err(format!("empty user name in {s:?}")),
            None => (None, s),
        };
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (h, after) = inner
                .split_once(']')
                .ok_or_else(|| format!("unclosed '[' in {s:?}"))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("bad port in {s:?}"))?,
                ),
            };
            (h.to_string(), port)
        } else if rest.matches(':').count() == 1 {
            let (h, p) = rest.split_once(':').unwrap_or((rest, ""));
            (h.to_string(), Some(p))
        } else {
            (rest.to_string(), None)
        };
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("bad port {p:?} in {s:?}"))
            })
            .transpose()?;
        let bad = |c: char| c.is_whitespace() || c.is_control() || c == '\'' || c == '"';
        if host.is_empty() || host.starts_with('-') || host.contains(bad) {
            return Err(format!("bad host name in {s:?}"));
        }
        if user
            .as_deref()
            .is_some_and(|u| u.starts_with('-') || u.contains(bad))
        {
            return Err(format!("bad user name in {s:?}"));
        }
        Ok(Self { user, host, port })
    }

    /// `user@host` for `ssh`'s destination argument.
    pub fn destination(&self) -> String {
        match &self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.clone(),
        }
    }

    /// How errors and the custody log name the server.
    pub fn display(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let host = match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        match &self.user {
            Some(u) => format!("{u}@{host}"),
            None => host,
        }
    }
}

/// How to run `ssh`.
#[derive(Debug, Clone, Default)]
pub struct SshOptions {
    /// `-F FILE`: an ssh configuration file instead of the user's.
    pub config: Option<PathBuf>,
    /// `-o OPT` options, in order.
    pub options: Vec<String>,
    /// `BatchMode=yes`: never prompt (no terminal, or the GUI).
    pub batch_mode: bool,
    /// The `ssh` program (default `ssh`).
    pub program: Option<PathBuf>,
}

/// An `ssh` command to `target` that runs `remote_command` (already quoted).
pub fn command(
    target: &SshTarget,
    opts: &SshOptions,
    remote_command: &str,
    verbose: bool,
) -> Command {
    let mut c = Command::new(opts.program.clone().unwrap_or_else(|| PathBuf::from("ssh")));
    if let Some(f) = &opts.config {
        c.arg("-F").arg(f);
    }
    for o in &opts.options {
        c.arg("-o").arg(o);
    }
    if opts.batch_mode {
        c.args(["-o", "BatchMode=yes"]);
    }
    // A dead server or network is noticed within a minute, not never.
    c.args([
        "-o",
        "ServerAliveInterval=15",
        "-o",
        "ServerAliveCountMax=4",
    ]);
    // No terminal, no escape character, no forwarding: a clean byte channel.
    c.args(["-T", "-e", "none", "-x", "-a"]);
    if verbose {
        c.arg("-v");
    }
    if let Some(p) = target.port {
        c.arg("-p").arg(p.to_string());
    }
    c.arg("--").arg(target.destination()).arg(remote_command);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// `word` single-quoted for a POSIX shell.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The server host key `ssh -v` reports having verified
/// (`debug1: Server host key: ssh-ed25519 SHA256:…`), as `TYPE SHA256:…`.
pub fn host_key_from_debug(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|l| {
        l.split_once("Server host key: ")
            .map(|(_, k)| k.trim().to_string())
            .filter(|k| k.contains("SHA256:"))
    })
}

/// What ssh's own messages say went wrong, if it is one of the failures a
/// user must act on.
pub fn diagnose(stderr: &str) -> Option<&'static str> {
    if stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        Some(
            "the server's SSH host key has changed since it was recorded in known_hosts (ssh refused to connect; check the key with the server's administrator before updating known_hosts)",
        )
    } else if stderr.contains("Host key verification failed") {
        Some(
            "the server's SSH host key could not be verified (unknown host or changed key; add it to known_hosts first)",
        )
    } else if stderr.contains("Permission denied") {
        Some("ssh could not log in (permission denied: check the user, the key and the agent)")
    } else if stderr.contains("Connection refused") {
        Some("the connection was refused (is sshd running on that port?)")
    } else if stderr.contains("Could not resolve hostname") {
        Some("the host name could not be resolved")
    } else {
        None
    }
}

/// The last lines of `stderr` that are not ssh's debug output, for errors.
pub fn tail_of(stderr: &str, lines: usize) -> String {
    let kept: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("debug1:") && !l.trim().is_empty())
        .collect();
    let start = kept.len().saturating_sub(lines);
    kept.get(start..).unwrap_or_default().join(" / ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn targets_parse_with_user_port_and_ipv6() {
        let t = SshTarget::parse("alice@db1.example.org:2222").unwrap();
        assert_eq!(t.user.as_deref(), Some("alice"));
        assert_eq!(t.host, "db1.example.org");
        assert_eq!(t.port, Some(2222));
        assert_eq!(t.display(), "alice@db1.example.org:2222");
        let t = SshTarget::parse("[::1]:22").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(22)));
        assert_eq!(t.display(), "[::1]:22");
        let t = SshTarget::parse("web").unwrap();
        assert_eq!((t.user, t.port), (None, None));
        for bad in [
            "",
            "-oProxyCommand=x",
            "a@",
            "@h",
            "h:0",
            "h:x",
            "h h",
            "[::1",
        ] {
            assert!(SshTarget::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn quoting_survives_quotes_and_shell_syntax() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's $(x)"), r"'it'\''s $(x)'");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", quote("it's $(echo no); `x` \"q\"")))
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"it's $(echo no); `x` \"q\"");
    }

    #[test]
    fn host_key_and_failures_are_read_from_ssh_messages() {
        let e = "debug1: Connecting to h\ndebug1: Server host key: ssh-ed25519 SHA256:abc\n";
        assert_eq!(
            host_key_from_debug(e).as_deref(),
            Some("ssh-ed25519 SHA256:abc")
        );
        assert!(
            diagnose("@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @")
                .unwrap()
                .contains("changed")
        );
        assert_eq!(tail_of("debug1: x\nfirst\n\nsecond\n", 1), "second");
    }
}
