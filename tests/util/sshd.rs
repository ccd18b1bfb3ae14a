//! Real OpenSSH servers on 127.0.0.1 for the remote-capture and Ansible
//! tests: Debian's `sshd` started as a child on a free port with a
//! throw-away host key, a throw-away client key in `authorized_keys`, and a
//! client `ssh_config` (`-F`) whose `known_hosts` holds the host key, with
//! `StrictHostKeyChecking yes`. Killed when dropped.

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// The `Host` name of this server in `ssh_config`.
    pub alias: String,
    pub ssh_config: PathBuf,
    pub client_key: PathBuf,
    pub known_hosts: PathBuf,
    pub host_key: PathBuf,
    child: Child,
}

fn keygen(path: &Path, comment: &str) {
    let _ = fs::remove_file(path);
    let _ = fs::remove_file(path.with_extension("pub"));
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen must be installed (scripts/install-test-tools.sh)");
    assert!(out.status.success(), "ssh-keygen failed: {out:?}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Sshd {
    /// Start a server named `alias` in the client's config.
    pub fn start(alias: &str) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} missing: scripts/install-test-tools.sh installs openssh-server"
        );
        // The privilege separation directory sshd insists on.
        fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let host_key = d.join("host_ed25519");
        let client_key = d.join("client_ed25519");
        keygen(&host_key, "exhibit-test-host");
        keygen(&client_key, "exhibit-test-client");
        fs::copy(client_key.with_extension("pub"), d.join("authorized_keys"))
            .expect("authorized_keys");
        let port = free_port();
        let sshd_config = d.join("sshd_config");
        fs::write(
            &sshd_config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {ak}\n\
                 PidFile {pid}\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nMaxStartups 100\nMaxSessions 50\nLogLevel ERROR\n\
                 Subsystem sftp internal-sftp\n",
                hk = host_key.display(),
                ak = d.join("authorized_keys").display(),
                pid = d.join("sshd.pid").display(),
            ),
        )
        .expect("sshd_config");
        let known_hosts = d.join("known_hosts");
        let ssh_config = d.join("ssh_config");
        fs::write(
            &ssh_config,
            format!(
                "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  \
                 IdentityFile {ck}\n  IdentitiesOnly yes\n  UserKnownHostsFile {kh}\n  \
                 GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  \
                 BatchMode yes\n  LogLevel ERROR\n",
                ck = client_key.display(),
                kh = known_hosts.display(),
            ),
        )
        .expect("ssh_config");
        let child = spawn(&sshd_config, port);
        let s = Sshd {
            dir,
            port,
            alias: alias.to_string(),
            ssh_config,
            client_key,
            known_hosts,
            host_key,
            child,
        };
        s.trust_current_host_key();
        s
    }

    /// Record the server's current host key in the client's known_hosts.
    pub fn trust_current_host_key(&self) {
        let public = fs::read_to_string(self.host_key.with_extension("pub")).expect("host key");
        let mut f = fs::File::create(&self.known_hosts).expect("known_hosts");
        writeln!(f, "[127.0.0.1]:{} {}", self.port, public.trim()).expect("write known_hosts");
    }

    /// `ssh-keygen -l` of the host key: `256 SHA256:… comment (ED25519)`.
    pub fn host_key_fingerprint(&self) -> String {
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.host_key.with_extension("pub"))
            .output()
            .expect("ssh-keygen -l");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_whitespace()
            .nth(1)
            .expect("a fingerprint")
            .to_string()
    }

    /// Restart the server with a new host key (the client's known_hosts
    /// still holds the old one).
    pub fn restart_with_new_host_key(&mut self) {
        self.stop();
        keygen(&self.host_key, "exhibit-test-host-2");
        self.child = spawn(&self.dir.path().join("sshd_config"), self.port);
    }

    /// The sshd processes serving connections (children of the listener).
    pub fn connection_pids(&self) -> Vec<u32> {
        let me = self.child.id();
        let mut pids = Vec::new();
        for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid …`: the comm may hold spaces.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(me) {
                pids.push(pid);
            }
        }
        pids
    }

    /// Kill every connection's sshd (SIGKILL): the network dropped.
    pub fn kill_connections(&self) -> usize {
        let pids = self.connection_pids();
        for p in &pids {
            let _ = Command::new("kill")
                .args(["-KILL", &p.to_string()])
                .status();
        }
        pids.len()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn(config: &Path, port: u16) -> Child {
    let mut child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(
            fs::File::create(config.with_file_name("sshd.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .expect("start sshd");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "sshd exited at start ({status}); config {}",
                config.display()
            );
        }
        assert!(Instant::now() < deadline, "sshd did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Write an executable shell script.
pub fn script(path: &Path, body: &str) {
    fs::write(path, body).expect("write script");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod script");
}
