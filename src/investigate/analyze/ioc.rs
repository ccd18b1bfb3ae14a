//! What the indicator lists (`--ioc`) add to the answers
//! (`investigate::analyze::ioc`): the addresses, accounts and user agents
//! their hits name join the *who* (and, for addresses, every event from
//! them counts as attacker activity), and the *how* says which of its
//! actors are known indicators, or, when no attack technique is
//! recognised, names the first known indicator seen.

use super::{Analysis, EvidenceRef, excerpt};
use crate::detect::logs::Finding as LogFinding;
use crate::investigate::model::Confidence;
use crate::logs::event::Field;

/// Indicator hits whose events name the attacker's address.
const ADDRESS_RULES: &[&str] = &[
    "ioc.ip",
    "ioc.cidr",
    "ioc.user_agent",
    "ioc.url",
    "ioc.filename",
];
/// Indicator hits whose events name the attacker's account.
const ACCOUNT_RULES: &[&str] = &["ioc.account", "ioc.email"];
/// Weight of an indicator hit in the actors' ranking.
const WEIGHT: u32 = 40;

impl<'a> Analysis<'a> {
    fn ioc_log_findings(&self) -> impl Iterator<Item = &'a LogFinding> + 'a {
        self.i
            .log_findings
            .iter()
            .filter(|f| f.rule.starts_with("ioc."))
    }

    /// Addresses and accounts the indicator hits name.
    pub(super) fn ioc_attackers(&mut self) {
        for f in self.ioc_log_findings().collect::<Vec<_>>() {
            let ev = f
                .subject
                .events
                .first()
                .map(|&e| self.ev_ref(e, Some(&f.rule)));
            let did = format!("known indicator: {}", f.title);
            if ADDRESS_RULES.contains(&f.rule.as_str()) {
                for ip in f.subject.ips.iter().take(50) {
                    self.attacker_ips.insert(ip.clone());
                    self.actor(
                        "ip",
                        ip,
                        WEIGHT,
                        did.clone(),
                        f.subject.first_us,
                        ev.clone(),
                    );
                }
            }
            if ACCOUNT_RULES.contains(&f.rule.as_str()) {
                for u in f.subject.users.iter().take(50) {
                    self.attacker_accounts.insert(u.clone());
                    self.actor(
                        "account",
                        u,
                        WEIGHT,
                        did.clone(),
                        f.subject.first_us,
                        ev.clone(),
                    );
                }
            }
            if f.rule == "ioc.user_agent"
                && let Some(agent) = f
                    .subject
                    .events
                    .first()
                    .and_then(|&e| self.event(e))
                    .and_then(|e| e.get(Field::Agent))
            {
                self.actor(
                    "user_agent",
                    agent,
                    WEIGHT / 2,
                    did.clone(),
                    f.subject.first_us,
                    ev.clone(),
                );
            }
        }
    }

    /// The indicators behind the *how*.
    pub(super) fn ioc_how(&mut self) {
        // Log hits in time order, then file hits.
        let mut logs: Vec<&LogFinding> = self.ioc_log_findings().collect();
        logs.sort_by_key(|f| (f.subject.first_us.is_none(), f.subject.first_us));
        let mut hits: Vec<(String, String, EvidenceRef)> = Vec::new();
        for f in &logs {
            if let Some(&e) = f.subject.events.first() {
                hits.push((
                    f.title.clone(),
                    f.explanation.clone(),
                    self.ev_ref(e, Some(&f.rule)),
                ));
            }
        }
        let files: Vec<_> = self
            .file_findings()
            .filter(|f| f.rule.starts_with("ioc."))
            .collect();
        for f in files {
            hits.push((
                format!("{}: {}", f.title, f.subject.path),
                f.explanation.clone(),
                self.finding_ref(f),
            ));
        }
        let Some(first) = hits.first().cloned() else {
            return;
        };
        let how = &mut self.inv.answers.how;
        if how.confidence.unwrap_or_default() == Confidence::None {
            how.summary = excerpt(&format!(
                "No attack technique is recognised, but known indicators are in the evidence; the first: {}.",
                first.0
            ));
            how.confidence = Some(Confidence::Low);
            for (title, explanation, r) in hits.iter().take(5) {
                how.details
                    .push(excerpt(&format!("{title}: {explanation}")));
                how.evidence.push(r.clone());
            }
            return;
        }
        // Which of the vector's actors are known indicators.
        let text = format!("{} {}", how.summary, how.details.join(" "));
        let named: Vec<(String, EvidenceRef)> = logs
            .iter()
            .filter(|f| {
                f.subject
                    .ips
                    .iter()
                    .chain(&f.subject.users)
                    .any(|v| text.contains(v.as_str()))
            })
            .filter_map(|f| {
                let &e = f.subject.events.first()?;
                Some((
                    excerpt(&format!("Known indicator: {}", f.explanation)),
                    self.ev_ref(e, Some(&f.rule)),
                ))
            })
            .take(3)
            .collect();
        let how = &mut self.inv.answers.how;
        let none_named = named.is_empty();
        for (detail, r) in named {
            how.details.push(detail);
            how.evidence.push(r);
        }
        if none_named {
            how.details.push(excerpt(&format!(
                "Known indicators are in the evidence too; the first: {}.",
                first.0
            )));
            how.evidence.push(first.2);
        }
    }
}
