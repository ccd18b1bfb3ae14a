//! `exhibit profiles`: list the collection profiles (built-in and the user's)
//! with what they collect.

use super::{EXIT_ERROR, EXIT_OK, report_error};
use exhibit::capture::profile::{DEFAULT_PROFILE, ProfileSet, Take, user_profile_dir};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the profiles (with their rules) as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Also list every rule with its patterns and limits.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

fn size(n: u64) -> String {
    const U: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < U.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.0} {}", U.get(i).unwrap_or(&"B"))
}

pub fn run(a: Args) -> u8 {
    let dir = user_profile_dir();
    let set = match ProfileSet::load(dir.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            report_error(&anyhow::Error::new(e).context("loading profiles"));
            return EXIT_ERROR;
        }
    };
    if a.json {
        let profiles: Vec<serde_json::Value> = set
            .profiles
            .values()
            .map(|p| {
                serde_json::json!({
                    "name": p.name,
                    "description": p.description,
                    "includes": p.includes,
                    "origin": p.origin,
                    "default": p.name == DEFAULT_PROFILE,
                    "rules": p.rules,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "user_profile_dir": dir,
            "profiles": profiles,
        });
        super::print_json(&doc);
        return EXIT_OK;
    }
    for p in set.profiles.values() {
        let default = if p.name == DEFAULT_PROFILE {
            " (default)"
        } else {
            ""
        };
        outln!("{}{default}", p.name);
        outln!("    {}", p.description);
        if !p.includes.is_empty() {
            outln!("    includes: {}", p.includes.join(", "));
        }
        if !p.origin.starts_with("builtin") {
            outln!("    from: {}", p.origin);
        }
        if a.verbose {
            for r in &p.rules {
                let take = match r.take {
                    Take::Content => "content",
                    Take::Metadata => "metadata only",
                    Take::MetadataHash => "metadata + SHA-256",
                    Take::MetadataHashExecutables => "metadata + SHA-256 of executables",
                };
                let mut notes = vec![take.to_string()];
                if let Some(l) = r.size_limit_bytes {
                    notes.push(format!("up to {} per file", size(l)));
                }
                if let Some(d) = r.max_depth {
                    notes.push(format!("{d} levels deep"));
                }
                if r.secret {
                    notes.push("secret: only with --include-secrets".into());
                }
                outln!("    - {} ({}): {}", r.name, notes.join(", "), r.description);
                for path in &r.paths {
                    outln!("        {path}");
                }
                for x in &r.exclude {
                    outln!("        not {x}");
                }
            }
        }
        outln!();
    }
    if let Some(d) = dir {
        outln!(
            "User profiles: {} (a file there replaces a built-in profile of the same name).",
            d.display()
        );
    }
    outln!("Format: docs/profiles.md. Use with: exhibit capture --profile NAME ...");
    EXIT_OK
}
