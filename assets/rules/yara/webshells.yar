/*
   Web shells: server-side pages that run what a request sends.
   Written for Exhibit (assets/rules/yara/, Apache-2.0). Each rule has a
   test in tests/yara.rs with a sample that must match and a benign
   lookalike that must not.
*/

rule webshell_php_request_exec : webshell php
{
    meta:
        author = "Exhibit project"
        description = "PHP page passing request input to eval, assert or a command function"
        reference = "https://owasp.org/www-community/attacks/Code_Injection"
        severity = "critical"
    strings:
        $php = "<?" ascii
        // eval($_POST['x']), system(base64_decode($_GET["c"])), assert(stripslashes($_REQUEST[...]))
        $exec_input = /\b(eval|assert|system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec|create_function)\s*\(\s*(@?\s*(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|stripslashes|urldecode|rawurldecode|hex2bin|trim)\s*\(\s*)*@?\s*\$_(GET|POST|REQUEST|COOKIE|SERVER|FILES)\s*\[/ nocase
        // `$_GET['c']` in backticks runs a shell command
        $backtick = /`\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*`/
        // preg_replace with the /e modifier evaluates the replacement
        $preg_e = /preg_replace\s*\(\s*['"]\/[^'"\n]{0,200}\/[a-df-z]*e[a-z]*['"]\s*,\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        $php and any of ($exec_input, $backtick, $preg_e)
}

rule webshell_php_obfuscated_eval : webshell php
{
    meta:
        author = "Exhibit project"
        description = "PHP page evaluating an encoded blob (eval(base64_decode(...)), gzinflate chains)"
        severity = "high"
        score = 70
    strings:
        $php = "<?" ascii
        $chain = /\b(eval|assert)\s*\(\s*(@?\s*(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|hex2bin)\s*\(\s*){1,6}['"][A-Za-z0-9+\/=\\x]{200,}/ nocase
    condition:
        $php and $chain
}

rule webshell_jsp_request_exec : webshell jsp
{
    meta:
        author = "Exhibit project"
        description = "JSP page running a command taken from the request"
        severity = "critical"
    strings:
        $jsp1 = "<%" ascii
        $jsp2 = "<jsp:" ascii
        $param = /request\.getParameter\s*\(/
        $rt = /Runtime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/
        $pb = /new\s+ProcessBuilder\s*\(/
    condition:
        any of ($jsp*) and $param and ($rt or $pb)
}

rule webshell_aspx_request_exec : webshell aspx
{
    meta:
        author = "Exhibit project"
        description = "ASP.NET page starting a process or evaluating code taken from the request"
        severity = "critical"
    strings:
        $page = /<%@\s*Page/ nocase
        $req = /Request\s*(\.\s*(Form|QueryString|Params|Item)\s*)?\[/ nocase
        $start = /Process\s*\.\s*Start\s*\(|new\s+ProcessStartInfo\s*\(/ nocase
        // China Chopper's one-liner: eval(Request.Item["x"],"unsafe")
        $eval = /eval\s*\(\s*Request\s*(\.\s*Item\s*)?\[/ nocase
    condition:
        $page and (($req and $start) or $eval)
}
