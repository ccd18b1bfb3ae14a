//! Tests of `exhibit leak`: a generated customer table exported as CSV in
//! a captured server tree (`/srv/app/exports/clients.csv`) with an nginx
//! log in which 198.18.0.5 downloads it, and published samples built from
//! it (subsets, with fabricated rows, reordered and renamed columns, SQL
//! dumps, JSON, lists) or not (other people, only cities). Each runs the
//! real binary against the plain folder or the captured archive and
//! checks the verdict, the lines, the source and who read it.

use crate::util::{archive_path, capture, exhibit, write};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One generated customer.
#[derive(Clone, Debug)]
struct Person {
    id: u64,
    email: String,
    first: String,
    last: String,
    phone: String,
    city: String,
    country: String,
    /// (year, month, day)
    signup: (u32, u32, u32),
}

/// A small deterministic generator (no randomness between runs).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const FIRST: [&str; 12] = [
    "John", "Mary", "Ahmed", "Li", "Sofia", "Pierre", "Anna", "Marco", "Eva", "Tom", "Zoë", "José",
];
const LAST: [&str; 10] = [
    "Smith", "Garcia", "Khan", "Wang", "Rossi", "Martin", "Novak", "Berg", "Silva", "O'Neil",
];
const CITIES: [(&str, &str); 8] = [
    ("Paris", "FR"),
    ("Berlin", "DE"),
    ("Madrid", "ES"),
    ("Rome", "IT"),
    ("Lisbon", "PT"),
    ("Vienna", "AT"),
    ("Oslo", "NO"),
    ("Dublin", "IE"),
];

fn people(n: u64, seed: u64, domain: &str, first_id: u64) -> Vec<Person> {
    let mut g = Lcg(seed);
    (0..n)
        .map(|k| {
            let id = first_id + k;
            let first = g.pick(&FIRST).to_string();
            let last = g.pick(&LAST).to_string();
            let (city, country) = CITIES[(g.next() % CITIES.len() as u64) as usize];
            let email = format!(
                "{}.{}{id}@{domain}",
                first.to_lowercase(),
                last.to_lowercase().replace('\'', "")
            );
            Person {
                id,
                email,
                first,
                last,
                phone: format!("+44 20 {:04} {:04}", g.next() % 10000, g.next() % 10000),
                city: city.into(),
                country: country.into(),
                signup: (
                    2022 + (g.next() % 3) as u32,
                    1 + (g.next() % 12) as u32,
                    1 + (g.next() % 28) as u32,
                ),
            }
        })
        .collect()
}

fn customers() -> Vec<Person> {
    people(1500, 7, "example.com", 1000)
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn internal_csv(ps: &[Person]) -> String {
    let mut out = String::from("id,email,first_name,last_name,phone,city,country,signup_date\n");
    for p in ps {
        let (y, m, d) = p.signup;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{y:04}-{m:02}-{d:02}\n",
            p.id,
            p.email,
            csv_quote(&p.first),
            csv_quote(&p.last),
            p.phone,
            p.city,
            p.country
        ));
    }
    out
}

/// The server tree: the export, the nginx log of its download, a shell
/// history that copied it, and a few unrelated files.
fn server_tree(root: &Path, ps: &[Person]) {
    write(
        root,
        "srv/app/exports/clients.csv",
        internal_csv(ps).as_bytes(),
    );
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_709_200_000);
    std::fs::File::options()
        .write(true)
        .open(root.join("srv/app/exports/clients.csv"))
        .unwrap()
        .set_modified(t)
        .unwrap();
    write(
        root,
        "var/log/nginx/access.log",
        b"203.0.113.7 - - [01/Mar/2024:10:20:00 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n\
198.18.0.5 - - [01/Mar/2024:10:22:33 +0000] \"GET /exports/clients.csv HTTP/1.1\" 200 183422 \"-\" \"curl/8.5.0\"\n\
198.18.0.5 - - [01/Mar/2024:10:23:01 +0000] \"GET /exports/clients.csv?x=1 HTTP/1.1\" 200 183422 \"-\" \"curl/8.5.0\"\n\
203.0.113.8 - - [01/Mar/2024:11:00:00 +0000] \"GET /exports/clients.csv HTTP/1.1\" 404 0 \"-\" \"Mozilla/5.0\"\n",
    );
    write(
        root,
        "home/deploy/.bash_history",
        b"ls -la\ncp /srv/app/exports/clients.csv /tmp/c.csv\nexit\n",
    );
    write(root, "srv/app/index.php", b"<?php echo 'hello';\n");
    write(
        root,
        "srv/app/package.json",
        b"{\"name\": \"app\", \"version\": \"1.0.0\"}\n",
    );
    write(root, "etc/hostname", b"web1\n");
}

fn sample_csv(ps: &[Person]) -> String {
    internal_csv(ps)
}

/// Every 7th customer: a sample of about 200 rows.
fn subset(ps: &[Person]) -> Vec<Person> {
    ps.iter().step_by(7).cloned().collect()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn leak(args: &[&std::ffi::OsStr]) -> Run {
    let out = exhibit().arg("leak").args(args).arg("-q").output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn leak_json(sample: &Path, evidence: &[&Path], extra: &[&str]) -> Value {
    let mut args: Vec<&std::ffi::OsStr> = vec![sample.as_os_str()];
    args.extend(evidence.iter().map(|p| p.as_os_str()));
    args.push("--json".as_ref());
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    let r = leak(&args);
    assert_eq!(r.code, 0, "exhibit leak failed: {}\n{}", r.stderr, r.stdout);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

fn setup() -> (tempfile::TempDir, PathBuf, Vec<Person>) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("server");
    let ps = customers();
    server_tree(&root, &ps);
    (t, root, ps)
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_genuine_subset_names_the_export_and_who_downloaded_it() {
    let (t, root, ps) = setup();
    let sample = t.path().join("sample.csv");
    let sub = subset(&ps);
    std::fs::write(&sample, sample_csv(&sub)).unwrap();
    let r = leak_json(&sample, &[&root], &[]);
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    assert_eq!(r["rows"], sub.len() as u64);
    assert_eq!(r["matched"], sub.len() as u64);
    assert_eq!(r["fabricated"].as_array().unwrap().len(), 0);
    assert_eq!(r["sample"]["format"], "csv");
    assert_eq!(r["sample"]["delimiter"], ",");
    let src = &r["sources"][0];
    assert_eq!(src["path"], "/srv/app/exports/clients.csv");
    assert_eq!(src["records"], ps.len() as u64);
    assert_eq!(src["matched_rows"], sub.len() as u64);
    assert_eq!(src["first_seen"], "2024-02-29T09:46:40Z");
    let by = src["accessed_by"].as_array().unwrap();
    let web = by
        .iter()
        .find(|a| a["ip"] == "198.18.0.5")
        .expect("the downloader");
    assert_eq!(web["requests"], 2);
    assert_eq!(web["bytes"], 366844);
    assert_eq!(web["first"], "2024-03-01T10:22:33Z");
    assert_eq!(web["last"], "2024-03-01T10:23:01Z");
    assert!(web["how"].as_str().unwrap().contains("http GET 200"));
    assert!(str_list(&web["evidence"])[0].ends_with("var/log/nginx/access.log:2"));
    // The 404 is not a download; the unrelated request is not about it.
    assert!(
        by.iter()
            .all(|a| a["ip"] != "203.0.113.8" && a["ip"] != "203.0.113.7")
    );
    let shell = by.iter().find(|a| a["user"] == "deploy").expect("the copy");
    assert_eq!(shell["how"], "shell: cp");
    assert_eq!(r["columns"]["email"], "email");

    // The sentence first.
    let human = leak(&[sample.as_os_str(), root.as_os_str()]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    let first = human.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("Genuine: ")
            && first.contains(
                "/srv/app/exports/clients.csv, which 198.18.0.5 downloaded at 2024-03-01T10:22:33Z"
            ),
        "{first}"
    );
}

#[test]
fn a_captured_archive_gives_the_same_answer() {
    let (t, root, ps) = setup();
    let summary = capture(
        &[
            "--root",
            root.to_str().unwrap(),
            "/srv",
            "/var/log",
            "/home",
        ],
        &t.path().join("out"),
    );
    let archive = archive_path(&summary);
    let sample = t.path().join("sample.csv");
    let sub = subset(&ps);
    std::fs::write(&sample, sample_csv(&sub)).unwrap();
    let r = leak_json(&sample, &[&archive], &[]);
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    assert_eq!(r["matched"], sub.len() as u64);
    let src = &r["sources"][0];
    assert_eq!(src["path"], "/srv/app/exports/clients.csv");
    assert_eq!(src["snapshot"], archive.display().to_string());
    assert_eq!(src["first_seen"], "2024-02-29T09:46:40Z");
    let by = src["accessed_by"].as_array().unwrap();
    let web = by
        .iter()
        .find(|a| a["ip"] == "198.18.0.5")
        .expect("the downloader");
    assert_eq!(web["requests"], 2);
    assert!(str_list(&web["evidence"])[0].contains("/var/log/nginx/access.log:2"));
}

#[test]
fn fabricated_rows_are_named_by_line() {
    let (t, root, ps) = setup();
    let sub = subset(&ps);
    // Made-up people (new ids, emails and phones) at known lines.
    let fake = people(9, 99, "mail.test", 900_000);
    let mut text = String::from("id,email,first_name,last_name,phone,city,country,signup_date\n");
    let mut want = Vec::new();
    let mut line = 1;
    let mut f = fake.iter();
    for (k, p) in sub.iter().enumerate() {
        if k % 23 == 5
            && let Some(x) = f.next()
        {
            line += 1;
            want.push(line);
            text.push_str(
                internal_csv(std::slice::from_ref(x))
                    .lines()
                    .nth(1)
                    .unwrap(),
            );
            text.push('\n');
        }
        line += 1;
        text.push_str(
            internal_csv(std::slice::from_ref(p))
                .lines()
                .nth(1)
                .unwrap(),
        );
        text.push('\n');
    }
    assert!(want.len() >= 8);
    let sample = t.path().join("sample.csv");
    std::fs::write(&sample, text).unwrap();
    let r = leak_json(&sample, &[&root], &[]);
    assert_eq!(r["verdict"], "genuine_with_fabricated_rows", "{r:#}");
    let got: Vec<u64> = r["fabricated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(got, want);
    assert_eq!(r["matched"], sub.len() as u64);
    assert_eq!(r["rows"], (sub.len() + want.len()) as u64);
}

#[test]
fn reordered_renamed_missing_and_extra_columns_still_match() {
    let (t, root, ps) = setup();
    let sub = subset(&ps);
    // Semicolons, other names, other order, no id, an extra column, the
    // email in capitals, phones written differently, dates in words.
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut text = String::from("Town;Tel;E-Mail Address;Name;Joined;Note\n");
    for p in &sub {
        let (y, m, d) = p.signup;
        text.push_str(&format!(
            "{};{};{};{} {};{d} {} {y};seen on forum\n",
            p.city,
            p.phone.replace(' ', "-"),
            p.email.to_uppercase(),
            p.first,
            p.last,
            months[(m - 1) as usize],
        ));
    }
    let sample = t.path().join("sample.txt");
    std::fs::write(&sample, text).unwrap();
    let r = leak_json(&sample, &[&root], &[]);
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    assert_eq!(r["matched"], sub.len() as u64);
    assert_eq!(r["sample"]["delimiter"], ";");
    assert_eq!(r["columns"]["E-Mail Address"], "email");
    assert_eq!(r["columns"]["Tel"], "phone");
    assert_eq!(r["columns"]["Joined"], "signup_date");
    assert_eq!(r["columns"]["Town"], "city");
    assert!(r["columns"].get("Note").is_none());
}

fn sql_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

fn mysql_dump(ps: &[Person]) -> String {
    let mut out = String::from(
        "-- MySQL dump 10.13  Distrib 8.0.36\n/*!40101 SET NAMES utf8mb4 */;\nDROP TABLE IF EXISTS `clients`;\nCREATE TABLE `clients` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `email` varchar(255) NOT NULL,\n  `first_name` varchar(64) DEFAULT NULL,\n  `last_name` varchar(64) DEFAULT NULL,\n  `phone` varchar(32) DEFAULT NULL,\n  `city` varchar(64) DEFAULT NULL,\n  `country` char(2) DEFAULT NULL,\n  `signup_date` date DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `email` (`email`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\nLOCK TABLES `clients` WRITE;\n",
    );
    for chunk in ps.chunks(50) {
        out.push_str("INSERT INTO `clients` VALUES ");
        let tuples: Vec<String> = chunk
            .iter()
            .map(|p| {
                let (y, m, d) = p.signup;
                format!(
                    "({},'{}','{}','{}','{}','{}','{}','{y:04}-{m:02}-{d:02}')",
                    p.id,
                    sql_escape(&p.email),
                    sql_escape(&p.first),
                    sql_escape(&p.last),
                    p.phone,
                    p.city,
                    p.country
                )
            })
            .collect();
        out.push_str(&tuples.join(","));
        out.push_str(";\n");
    }
    out.push_str("UNLOCK TABLES;\n");
    out
}

fn postgres_dump(ps: &[Person]) -> String {
    let mut out = String::from(
        "--\n-- PostgreSQL database dump\n--\nSET statement_timeout = 0;\nCREATE TABLE public.clients (\n    id integer NOT NULL,\n    email text\n);\nCOPY public.clients (id, email, first_name, last_name, phone, city) FROM stdin;\n",
    );
    for p in ps {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            p.id, p.email, p.first, p.last, p.phone, p.city
        ));
    }
    out.push_str("\\.\n\n");
    out
}

#[test]
fn sql_dump_samples_match_the_csv_export() {
    let (t, root, ps) = setup();
    let sub = subset(&ps);
    let my = t.path().join("dump.sql");
    std::fs::write(&my, mysql_dump(&sub)).unwrap();
    let r = leak_json(&my, &[&root], &[]);
    assert_eq!(r["sample"]["format"], "mysql_dump");
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    assert_eq!(r["matched"], sub.len() as u64);
    assert_eq!(r["columns"]["email"], "email");

    let pg = t.path().join("pg.sql");
    std::fs::write(&pg, postgres_dump(&sub)).unwrap();
    let r = leak_json(&pg, &[&root], &[]);
    assert_eq!(r["sample"]["format"], "postgres_copy");
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    assert_eq!(r["matched"], sub.len() as u64);
    // COPY data starts on line 10: the first row's line.
    assert_eq!(r["examples"][0]["line"], 10);
}

#[test]
fn json_and_plain_list_samples() {
    let (t, root, ps) = setup();
    let sub = subset(&ps);
    let doc: Vec<Value> = sub
        .iter()
        .map(|p| serde_json::json!({"user": {"mail": p.email, "id": p.id}, "city": p.city}))
        .collect();
    let js = t.path().join("leak.json");
    std::fs::write(
        &js,
        serde_json::to_string_pretty(&serde_json::json!({"data": doc})).unwrap(),
    )
    .unwrap();
    let r = leak_json(&js, &[&root], &[]);
    assert_eq!(r["sample"]["format"], "json");
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    assert_eq!(r["columns"]["user.mail"], "email");

    let list = t.path().join("emails.txt");
    let text: String = sub.iter().map(|p| format!("{}\n", p.email)).collect();
    std::fs::write(&list, text).unwrap();
    let r = leak_json(&list, &[&root], &[]);
    assert_eq!(r["sample"]["format"], "lines");
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    assert_eq!(r["matched"], sub.len() as u64);
}

#[test]
fn a_csv_sample_matches_a_mysql_dump_inside_a_tar_gz_backup() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("server");
    let ps = customers();
    // No CSV export here: only the nightly backup.
    let dump = mysql_dump(&ps);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    {
        let mut tar = tar::Builder::new(&mut gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(dump.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "backup/dump.sql", dump.as_bytes())
            .unwrap();
        let readme = b"nightly backup\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(readme.len() as u64);
        h.set_cksum();
        tar.append_data(&mut h, "backup/README", &readme[..])
            .unwrap();
        tar.finish().unwrap();
    }
    write(&root, "var/backups/db.tar.gz", &gz.finish().unwrap());
    write(
        &root,
        "home/ops/.bash_history",
        b"tar czf /var/backups/db.tar.gz backup/\nscp /var/backups/db.tar.gz ops@198.51.100.4:/tmp/\n",
    );
    let sample = t.path().join("sample.csv");
    let sub = subset(&ps);
    std::fs::write(&sample, sample_csv(&sub)).unwrap();
    let r = leak_json(&sample, &[&root], &[]);
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    let src = &r["sources"][0];
    assert_eq!(src["path"], "/var/backups/db.tar.gz!backup/dump.sql");
    assert_eq!(src["table"], "clients");
    assert_eq!(src["records"], ps.len() as u64);
    let ops = src["accessed_by"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user"] == "ops")
        .expect("the scp");
    assert_eq!(ops["requests"], 2);
    assert!(ops["how"].as_str().unwrap().contains("shell: scp"), "{ops}");
}

#[test]
fn a_sample_of_other_people_is_not_from_these_records() {
    let (t, root, _ps) = setup();
    let others = people(200, 12345, "elsewhere.net", 50_000);
    let sample = t.path().join("sample.csv");
    std::fs::write(&sample, sample_csv(&others)).unwrap();
    let r = leak_json(&sample, &[&root], &[]);
    assert_eq!(r["verdict"], "not_from_these_records", "{r:#}");
    assert_eq!(r["matched"], 0);
    assert_eq!(r["sources"].as_array().unwrap().len(), 0);
    assert_eq!(r["fabricated"].as_array().unwrap().len(), 200);
}

#[test]
fn only_cities_and_countries_cannot_tell() {
    let (t, root, ps) = setup();
    let mut text = String::from("city,country\n");
    for p in subset(&ps) {
        text.push_str(&format!("{},{}\n", p.city, p.country));
    }
    let sample = t.path().join("sample.csv");
    std::fs::write(&sample, text).unwrap();
    let r = leak_json(&sample, &[&root], &[]);
    assert_eq!(r["verdict"], "cannot_tell", "{r:#}");
    assert_eq!(r["fabricated"].as_array().unwrap().len(), 0);
    assert!(r["reasons"][0].as_str().unwrap().contains("repeat"));
}

#[test]
fn values_are_masked_unless_asked_for() {
    let (t, root, ps) = setup();
    let sub = subset(&ps);
    let sample = t.path().join("sample.csv");
    std::fs::write(&sample, sample_csv(&sub)).unwrap();
    let no_email = |out: &str| sub.iter().all(|p| !out.to_lowercase().contains(&p.email));
    let human = leak(&[sample.as_os_str(), root.as_os_str()]);
    assert_eq!(human.code, 0);
    assert!(no_email(&human.stdout), "{}", human.stdout);
    assert!(human.stdout.contains("***@example.com"));
    let json = leak(&[sample.as_os_str(), root.as_os_str(), "--json".as_ref()]);
    assert!(no_email(&json.stdout));
    assert!(!json.stdout.contains(&sub[0].phone));
    let shown = leak(&[
        sample.as_os_str(),
        root.as_os_str(),
        "--json".as_ref(),
        "--show-values".as_ref(),
    ]);
    assert!(shown.stdout.contains(&sub[0].email), "{}", shown.stdout);
}

#[test]
fn hostile_samples_give_clear_errors() {
    let (t, root, _ps) = setup();
    let empty = t.path().join("empty.csv");
    std::fs::write(&empty, b"").unwrap();
    let r = leak(&[empty.as_os_str(), root.as_os_str()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no rows") && r.stderr.contains("empty"),
        "{}",
        r.stderr
    );

    let garbage = t.path().join("garbage.bin");
    let bytes: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, bytes).unwrap();
    let r = leak(&[garbage.as_os_str(), root.as_os_str()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("binary"), "{}", r.stderr);

    // One 40 MiB line with an open quote: an error, not 40 MiB records.
    let huge = t.path().join("huge.csv");
    let mut f = std::fs::File::create(&huge).unwrap();
    f.write_all(b"email,name\n\"").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..40 {
        f.write_all(&chunk).unwrap();
    }
    drop(f);
    let r = leak(&[huge.as_os_str(), root.as_os_str()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("longer than"), "{}", r.stderr);

    // A missing sample.
    let r = leak(&[t.path().join("nope.csv").as_os_str(), root.as_os_str()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.csv"));
}

#[test]
fn a_gzip_bomb_in_the_evidence_is_stopped_and_noted() {
    let (t, root, ps) = setup();
    // 300 MiB of one repeated CSV line in about 300 KiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let line = b"1,bomb@example.com,x\n";
    let block: Vec<u8> = line.iter().copied().cycle().take(1 << 20).collect();
    for _ in 0..300 {
        gz.write_all(&block).unwrap();
    }
    write(&root, "var/backups/export.csv.gz", &gz.finish().unwrap());
    let sample = t.path().join("sample.csv");
    let sub = subset(&ps);
    std::fs::write(&sample, sample_csv(&sub)).unwrap();
    let r = leak_json(&sample, &[&root], &[]);
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    let notes = str_list(&r["notes"]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("/var/backups/export.csv.gz") && n.contains("bomb")),
        "{notes:?}"
    );
}

#[test]
fn edited_rows_are_partial_not_fabricated() {
    let (t, root, ps) = setup();
    let mut sub = subset(&ps);
    // Five rows with another phone number: the id and email still agree.
    for p in sub.iter_mut().skip(10).step_by(30).take(5) {
        p.phone = "+44 20 0000 0001".into();
    }
    let sample = t.path().join("sample.csv");
    std::fs::write(&sample, sample_csv(&sub)).unwrap();
    let r = leak_json(&sample, &[&root], &[]);
    assert_eq!(r["verdict"], "genuine", "{r:#}");
    assert_eq!(r["partial"], 5);
    assert_eq!(r["matched"], (sub.len() - 5) as u64);
    assert_eq!(r["fabricated"].as_array().unwrap().len(), 0);
    let partial: Vec<&Value> = r["examples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["state"] == "partial")
        .collect();
    assert_eq!(partial.len(), 5);
    assert!(
        partial[0]["source"]
            .as_str()
            .unwrap()
            .starts_with("/srv/app/exports/clients.csv:")
    );
}

/// The export rewritten in the archive behind its seal (a row added with
/// Python's zipfile, every ZIP CRC right): the verdict still comes, but the
/// source says its rows were read from bytes that are not the sealed ones,
/// and stderr warns; the intact archive says nothing of the kind.
#[test]
fn a_source_altered_behind_its_seal_is_marked() {
    let (t, root, ps) = setup();
    let summary = capture(
        &["--root", root.to_str().unwrap(), "/srv", "/var/log"],
        &t.path().join("out"),
    );
    let archive = archive_path(&summary);
    let sample = t.path().join("sample.csv");
    std::fs::write(&sample, sample_csv(&subset(&ps))).unwrap();
    let intact = leak_json(&sample, &[&archive], &[]);
    assert!(intact["sources"][0].get("altered").is_none(), "{intact:#}");

    let mut forged = internal_csv(&ps);
    forged.push_str("999999,planted@example.com,Eve,Planted,+33100000000,Paris,FR,2024-03-01\n");
    crate::util::alter_member(&archive, "/srv/app/exports/clients.csv", forged.as_bytes());
    let args: Vec<&std::ffi::OsStr> =
        vec![sample.as_os_str(), archive.as_os_str(), "--json".as_ref()];
    let r = leak(&args);
    assert!(
        r.stderr
            .contains("WARNING: content does not match the sealed manifest")
            && r.stderr.contains("/srv/app/exports/clients.csv"),
        "{}",
        r.stderr
    );
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["verdict"], "genuine", "{doc:#}");
    let src = &doc["sources"][0];
    assert_eq!(src["path"], "/srv/app/exports/clients.csv");
    assert!(
        src["altered"]
            .as_str()
            .is_some_and(|w| w.contains("but the manifest sealed")),
        "{src:#}"
    );
}
