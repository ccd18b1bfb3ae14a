//! File capabilities (`security.capability`): decoding the extended
//! attribute's `vfs_cap_data` into `cap_setuid,cap_net_raw=ep` text, as
//! capture records it (`FileRecord::capabilities`) and directory snapshots
//! read it. A leaf: capture, snapshot and the detectors share it.

/// Names of the capability bits, by bit number (linux/capability.h).
const CAP_NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// Decode a `security.capability` value (vfs_cap_data) into
/// `cap_a,cap_b=p` style text: permitted set, `+e` when effective.
pub fn decode_capabilities(raw: &[u8]) -> Option<String> {
    let word = |i: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            raw.get(i * 4..i * 4 + 4)?.try_into().ok()?,
        ))
    };
    let magic = word(0)?;
    let mut permitted = u64::from(word(1)?);
    if magic & 0xff00_0000 >= 0x0200_0000 {
        permitted |= u64::from(word(3).unwrap_or(0)) << 32;
    }
    let mut names = Vec::new();
    for bit in 0..64 {
        if permitted & (1u64 << bit) != 0 {
            names.push(
                CAP_NAMES
                    .get(bit)
                    .map_or_else(|| format!("cap_{bit}"), |n| n.to_string()),
            );
        }
    }
    let effective = magic & 1 == 1;
    Some(format!(
        "{}={}",
        names.join(","),
        if effective { "ep" } else { "p" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_decoding() {
        // VFS_CAP_REVISION_2 | effective, permitted = cap_setuid (bit 7).
        let mut raw = vec![0x01, 0, 0, 0x02];
        raw.extend(0x80u32.to_le_bytes());
        raw.extend([0u8; 12]);
        assert_eq!(decode_capabilities(&raw).as_deref(), Some("cap_setuid=ep"));
        assert_eq!(decode_capabilities(&[1, 2]), None);
    }

    proptest::proptest! {
        #[test]
        fn capability_decoding_never_panics(b in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            let _ = decode_capabilities(&b);
        }
    }
}
