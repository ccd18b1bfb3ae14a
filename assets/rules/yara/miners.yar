/*
   Cryptocurrency miners left on Linux servers.
   Written for Exhibit (assets/rules/yara/, Apache-2.0); tests in
   tests/yara.rs.
*/

rule miner_elf_stratum : miner elf
{
    meta:
        author = "Exhibit project"
        description = "ELF executable with a mining pool protocol (stratum) and miner strings (XMRig and kin)"
        reference = "https://github.com/xmrig/xmrig"
        severity = "high"
    strings:
        $stratum1 = "stratum+tcp://" ascii
        $stratum2 = "stratum+ssl://" ascii
        $stratum3 = "stratum+tls://" ascii
        $proto1 = "mining.subscribe" ascii
        $proto2 = "mining.authorize" ascii
        $proto3 = "\"method\":\"login\"" ascii
        $m1 = "xmrig" ascii nocase
        $m2 = "randomx" ascii nocase
        $m3 = "cryptonight" ascii nocase
        $m4 = "--donate-level" ascii
        $m5 = "nicehash" ascii nocase
        $m6 = "hashrate" ascii nocase
    condition:
        uint32(0) == 0x464c457f and
        (any of ($stratum*) or any of ($proto*)) and
        2 of ($m*)
}

rule miner_config_pool_wallet : miner config
{
    meta:
        author = "Exhibit project"
        description = "Miner configuration naming a pool and a wallet (XMRig-style JSON)"
        severity = "high"
    strings:
        $pools = "\"pools\"" ascii
        $url = /"url"\s*:\s*"(stratum\+(tcp|ssl|tls):\/\/)?[A-Za-z0-9.\-]+:[0-9]{2,5}"/
        $user = /"user"\s*:\s*"[0-9A-Za-z]{40,}/
        $algo = /"(algo|coin)"\s*:\s*"(rx\/|cn\/|randomx|monero|xmr)/ nocase
    condition:
        filesize < 1MB and $pools and $url and ($user or $algo)
}
