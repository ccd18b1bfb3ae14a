//! Recognising pseudo and network filesystems, which a capture does not enter
//! unless asked: reading them is slow, may hang, or changes state.

/// The name of a filesystem magic number (`statfs.f_type`) that a capture
/// skips by default, or `None` for an ordinary local filesystem.
pub fn skipped_kind(magic: u64) -> Option<&'static str> {
    Some(match magic {
        0x9fa0 => "proc",
        0x6265_6572 => "sysfs",
        0x0027_e0eb => "cgroup",
        0x6367_7270 => "cgroup2",
        0x6462_6720 => "debugfs",
        0x7472_6163 => "tracefs",
        0x7363_6673 => "securityfs",
        0x6165_676c => "pstore",
        0xcafe_4a11 => "bpf",
        0x6265_6570 => "configfs",
        0x1cd1 => "devpts",
        0x1980_0202 => "mqueue",
        0x9584_58f6 => "hugetlbfs",
        0x0187 => "autofs",
        0x6573_5543 => "fusectl",
        0x4249_4e4d => "binfmt_misc",
        0xde5e_81e4 => "efivarfs",
        0xf97c_ff8c => "selinuxfs",
        0x6e73_6673 => "nsfs",
        0x6969 => "nfs",
        0x517b => "smb",
        0xff53_4d42 => "cifs",
        0xfe53_4d42 => "smb2",
        0x6573_5546 => "fuse",
        0x00c3_6400 => "ceph",
        0x5346_414f => "afs",
        0x7375_7245 => "coda",
        0x0102_1997 => "9p",
        _ => return None,
    })
}
