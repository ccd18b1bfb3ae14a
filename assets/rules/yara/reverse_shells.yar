/*
   Reverse shells in scripts: a shell whose input and output are tied to a
   network connection. Written for Exhibit (assets/rules/yara/,
   Apache-2.0); tests in tests/yara.rs.
*/

rule reverse_shell_bash_dev_tcp : reverse_shell bash
{
    meta:
        author = "Exhibit project"
        description = "Interactive shell redirected to /dev/tcp (bash -i >& /dev/tcp/HOST/PORT 0>&1)"
        reference = "https://www.gnu.org/software/bash/manual/html_node/Redirections.html"
        severity = "critical"
    strings:
        $i = /\b(ba|z|k)?sh\s+-i\s*[0-9]?\s*[<>]&?\s*\/dev\/(tcp|udp)\/[A-Za-z0-9.\-:]+\/[0-9]{1,5}/
        $fd = /\bexec\s+[0-9]+\s*<>\s*\/dev\/(tcp|udp)\/[A-Za-z0-9.\-:]+\/[0-9]{1,5}/
        $dup = /\/dev\/(tcp|udp)\/[A-Za-z0-9.\-:]+\/[0-9]{1,5}\s*0\s*>\s*&\s*1/
    condition:
        filesize < 5MB and any of them
}

rule reverse_shell_netcat_exec : reverse_shell netcat
{
    meta:
        author = "Exhibit project"
        description = "netcat running a shell for a remote peer (nc -e /bin/sh, or the mkfifo pipe)"
        severity = "critical"
    strings:
        $e = /\b(nc|ncat|netcat|nc\.traditional)\s+[^\n|;]{0,80}-(e|c)\s+['"]?(\/bin\/|\/usr\/bin\/)?(ba|z|k|da)?sh\b/
        $fifo = /mkfifo\s+(\/tmp\/|\/dev\/shm\/|\/var\/tmp\/)?[A-Za-z0-9._\/\-]+\s*;\s*(cat|tail\s+-f)\s+[A-Za-z0-9._\/\-]+\s*\|\s*(\/bin\/)?(ba|z|k|da)?sh\s+-i[^\n]{0,40}\|\s*(nc|ncat|netcat)\s/
    condition:
        filesize < 5MB and any of them
}

rule reverse_shell_python_socket : reverse_shell python
{
    meta:
        author = "Exhibit project"
        description = "Python connecting a socket and handing it to a shell (dup2 of the socket, pty.spawn)"
        severity = "critical"
    strings:
        $sock = "socket.socket(" ascii
        $conn = ".connect((" ascii
        $dup = /os\.dup2\s*\(\s*[A-Za-z_][A-Za-z0-9_]*\.fileno\(\)\s*,\s*[012]\s*\)/
        $pty = /pty\.spawn\s*\(\s*["'](\/bin\/)?(ba|z|k|da)?sh["']/
        $shell = /subprocess\.(call|Popen|run)\s*\(\s*\[\s*["'](\/bin\/)?(ba|z|k|da)?sh["']\s*,\s*["']-i["']/
    condition:
        filesize < 5MB and $sock and $conn and (#dup >= 2 or $pty or ($dup and $shell))
}

rule reverse_shell_perl_php_socket : reverse_shell perl php
{
    meta:
        author = "Exhibit project"
        description = "Perl or PHP opening a socket and running an interactive shell on it"
        severity = "critical"
    strings:
        $perl_sock = /use\s+Socket\s*;/
        $perl_open = /open\s*\(\s*STD(IN|OUT|ERR)\s*,\s*["']?[>+<&]{1,3}\s*&?\s*S\b/
        $php_sock = /fsockopen\s*\(/ nocase
        $php_shell = /(exec|shell_exec|system|passthru|popen|proc_open)\s*\(\s*["'](\/bin\/)?(ba|z|k|da)?sh\s+-i\s*<&[0-9]/
        $sh_i = /exec\s*[\(\s]\s*["'](\/bin\/)?(ba|z|k|da)?sh\s+-i/
    condition:
        filesize < 5MB and (($perl_sock and $perl_open and $sh_i) or ($php_sock and $php_shell))
}
