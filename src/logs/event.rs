//! The log event: one parsed line (or binary record) with its UTC time, its
//! kind, named fields and where it came from.
//!
//! An event's text is the evidence line exactly as read (lossy UTF-8,
//! without the line ending), optionally followed by values a parser derived
//! (a hex-decoded command, a synthesized utmp description). Fields are byte
//! ranges into that text. The text lives in a shared chunk: the line driver
//! packs the texts of many consecutive lines into one chunk of about 1 MiB
//! ([`TextArena`]), so reading a line allocates nothing of its own; an event
//! built alone ([`Draft::finish`]) gets a chunk of its own.

use serde::Serialize;
use std::sync::Arc;

/// A named field of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum Field {
    /// The host that wrote the line (syslog host, web virtual host).
    Host,
    /// The program that wrote the line (`sshd`, `sudo`, `apache`...).
    Program,
    /// Process id as written.
    Pid,
    /// The account concerned (login name, sudo caller, new user...).
    User,
    /// The remote address (client IP or hostname as logged).
    Ip,
    /// HTTP method.
    Method,
    /// Request target (path and query) or file path.
    Path,
    /// HTTP protocol.
    Protocol,
    /// HTTP referer.
    Referer,
    /// HTTP user agent.
    Agent,
    /// X-Forwarded-For as logged.
    Forwarded,
    /// Command line (sudo, cron, history, EXECVE).
    Command,
    /// The other account or object: sudo target user, group name, tty.
    Target,
    /// Numeric uid as written (useradd, auditd).
    Uid,
    /// Authentication method, package action, audit record type...
    Detail,
}

impl Field {
    /// Every field, in serialization order.
    pub const ALL: [Field; 15] = [
        Field::Host,
        Field::Program,
        Field::Pid,
        Field::User,
        Field::Ip,
        Field::Method,
        Field::Path,
        Field::Protocol,
        Field::Referer,
        Field::Agent,
        Field::Forwarded,
        Field::Command,
        Field::Target,
        Field::Uid,
        Field::Detail,
    ];

    /// The field's name in JSON and CSV output.
    pub fn name(self) -> &'static str {
        match self {
            Field::Host => "host",
            Field::Program => "program",
            Field::Pid => "pid",
            Field::User => "user",
            Field::Ip => "ip",
            Field::Method => "method",
            Field::Path => "path",
            Field::Protocol => "protocol",
            Field::Referer => "referer",
            Field::Agent => "user_agent",
            Field::Forwarded => "forwarded_for",
            Field::Command => "command",
            Field::Target => "target",
            Field::Uid => "uid",
            Field::Detail => "detail",
        }
    }
}

const NFIELD: usize = Field::ALL.len();

/// What an event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// A line no parser understood, kept verbatim.
    Unparsed,
    /// A recognised line with nothing more specific to say.
    Info,
    /// A failed authentication (ssh, PAM, su, sudo password, btmp, audit).
    AuthFailure,
    /// A login attempt for an account that does not exist.
    InvalidUser,
    /// A successful authentication / login.
    AuthSuccess,
    SessionOpen,
    SessionClose,
    /// A command run through sudo (or su to another account).
    Sudo,
    /// sudo refused or password wrong.
    SudoFailure,
    UserAdd,
    UserChange,
    UserDelete,
    GroupAdd,
    GroupChange,
    PasswordChange,
    /// A cron job run.
    Cron,
    /// An HTTP request from an access log, or a completed FTP download
    /// (method `RETR`, status 226).
    WebRequest,
    /// An entry of a web server error log.
    WebError,
    /// A client's TLS handshake that failed or did not fit the server
    /// (nginx `SSL_do_handshake() failed`, Apache's SNI and Host
    /// mismatches): a probe or a broken client, not a failed login, so the
    /// authentication detections do not count it.
    TlsFailure,
    /// A client refused for its request rate (mod_evasive, nginx
    /// `limit_req`/`limit_conn`): flooding, not a failed login.
    RateLimited,
    /// A login record (utmp/wtmp USER_PROCESS).
    Login,
    /// A logout record (utmp/wtmp DEAD_PROCESS).
    Logout,
    /// A boot, shutdown or run-level record.
    System,
    /// A shell history command.
    Command,
    /// A process execution (auditd EXECVE).
    Exec,
    /// A package installed, removed or upgraded (dpkg, apt).
    Package,
}

impl Kind {
    /// The kind's name in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unparsed => "unparsed",
            Kind::Info => "info",
            Kind::AuthFailure => "auth_failure",
            Kind::InvalidUser => "invalid_user",
            Kind::AuthSuccess => "auth_success",
            Kind::SessionOpen => "session_open",
            Kind::SessionClose => "session_close",
            Kind::Sudo => "sudo",
            Kind::SudoFailure => "sudo_failure",
            Kind::UserAdd => "user_add",
            Kind::UserChange => "user_change",
            Kind::UserDelete => "user_delete",
            Kind::GroupAdd => "group_add",
            Kind::GroupChange => "group_change",
            Kind::PasswordChange => "password_change",
            Kind::Cron => "cron",
            Kind::WebRequest => "web_request",
            Kind::WebError => "web_error",
            Kind::TlsFailure => "tls_failure",
            Kind::RateLimited => "rate_limited",
            Kind::Login => "login",
            Kind::Logout => "logout",
            Kind::System => "system",
            Kind::Command => "command",
            Kind::Exec => "exec",
            Kind::Package => "package",
        }
    }
}

/// A byte range of the event's text. 16-bit offsets keep events small;
/// fields beyond 64 KiB into a line are left unset (the line itself is kept
/// whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

const NONE: Span = Span {
    start: u16::MAX,
    end: u16::MAX,
};

fn span(start: usize, end: usize) -> Option<Span> {
    if end >= usize::from(u16::MAX) {
        return None;
    }
    Some(Span {
        start: start as u16,
        end: end as u16,
    })
}

/// One parsed log line or binary record.
#[derive(Debug, Clone)]
pub struct Event {
    /// UTC time in microseconds since the Unix epoch, when the line has one.
    pub time_us: Option<i64>,
    /// Index of the source in [`super::LogStore::sources`].
    pub source: u32,
    /// 1-based line number (text) or record index (binary formats).
    pub line: u64,
    pub kind: Kind,
    /// HTTP status.
    pub status: Option<u16>,
    /// Remote port.
    pub port: Option<u16>,
    /// Response size in bytes (access logs).
    pub bytes: Option<u64>,
    /// How many occurrences this line stands for (`message repeated N times`).
    pub count: u32,
    /// The chunk holding this event's text, from byte `off`.
    chunk: Arc<str>,
    off: u32,
    line_len: u32,
    spans: [Span; NFIELD],
}

impl Event {
    /// The evidence line as read (lossy UTF-8, without its line ending).
    pub fn line_text(&self) -> &str {
        let off = self.off as usize;
        self.chunk
            .get(off..off + self.line_len as usize)
            .unwrap_or_default()
    }

    /// A field's value, if the line has it.
    pub fn get(&self, f: Field) -> Option<&str> {
        let s = self.spans.get(f as usize)?;
        if *s == NONE {
            return None;
        }
        let off = self.off as usize;
        self.chunk.get(off + s.start as usize..off + s.end as usize)
    }

    /// The fields present, in [`Field::ALL`] order.
    pub fn fields(&self) -> impl Iterator<Item = (Field, &str)> {
        Field::ALL
            .iter()
            .filter_map(|f| self.get(*f).map(|v| (*f, v)))
    }

    /// A short human description: `kind program: message`.
    pub fn summary(&self) -> String {
        let mut s = String::from(self.kind.as_str());
        for (f, v) in self.fields() {
            if matches!(
                f,
                Field::Host | Field::Pid | Field::Protocol | Field::Referer
            ) {
                continue;
            }
            s.push(' ');
            s.push_str(f.name());
            s.push('=');
            s.push_str(v);
        }
        if let Some(st) = self.status {
            s.push_str(&format!(" status={st}"));
        }
        if let Some(b) = self.bytes {
            s.push_str(&format!(" bytes={b}"));
        }
        if self.count > 1 {
            s.push_str(&format!(" count={}", self.count));
        }
        s
    }
}

/// A reusable builder for one event. Parsers fill it from a line; the driver
/// turns it into an [`Event`] when the parser accepts the line.
#[derive(Debug, Clone)]
pub struct Draft {
    pub time_us: Option<i64>,
    pub kind: Kind,
    pub status: Option<u16>,
    pub port: Option<u16>,
    pub bytes: Option<u64>,
    pub count: u32,
    text: String,
    line_len: usize,
    spans: [Span; NFIELD],
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            time_us: None,
            kind: Kind::Info,
            status: None,
            port: None,
            bytes: None,
            count: 1,
            text: String::new(),
            line_len: 0,
            spans: [NONE; NFIELD],
        }
    }
}

impl Draft {
    /// Reset the draft for a new line.
    pub fn reset(&mut self, line: &str) {
        self.time_us = None;
        self.kind = Kind::Info;
        self.status = None;
        self.port = None;
        self.bytes = None;
        self.count = 1;
        self.text.clear();
        self.text.push_str(line);
        self.line_len = line.len();
        self.spans = [NONE; NFIELD];
    }

    /// The line being parsed.
    pub fn line(&self) -> &str {
        self.text.get(..self.line_len).unwrap_or("")
    }

    /// Set a field to a byte range of the line. Out-of-range or non-boundary
    /// ranges are ignored (the field stays absent).
    pub fn set(&mut self, f: Field, start: usize, end: usize) {
        if start <= end
            && end <= self.line_len
            && self.text.get(start..end).is_some()
            && let (Some(s), Some(new)) = (self.spans.get_mut(f as usize), span(start, end))
        {
            *s = new;
        }
    }

    /// Set a field to `sub`: a sub-slice of `line` (the string this draft
    /// was reset with) is stored as a range of it; any other string (a
    /// constant such as the program name of a format) is stored after the
    /// line, as [`Draft::set_owned`] does.
    pub fn set_sub(&mut self, line: &str, f: Field, sub: &str) {
        let base = line.as_ptr() as usize;
        let p = sub.as_ptr() as usize;
        if p >= base && p + sub.len() <= base + line.len() {
            self.set(f, p - base, p - base + sub.len());
        } else {
            self.set_owned(f, sub);
        }
    }

    /// Set a field to a derived value stored after the line.
    pub fn set_owned(&mut self, f: Field, value: &str) {
        let start = self.text.len() + 1;
        let Some(new) = span(start, start + value.len()) else {
            return;
        };
        self.text.push('\u{1f}');
        self.text.push_str(value);
        if let Some(s) = self.spans.get_mut(f as usize) {
            *s = new;
        }
    }

    /// Whether a field is set.
    pub fn has(&self, f: Field) -> bool {
        self.spans.get(f as usize).is_some_and(|s| *s != NONE)
    }

    /// A field's current value.
    pub fn get(&self, f: Field) -> Option<&str> {
        let s = self.spans.get(f as usize)?;
        if *s == NONE {
            return None;
        }
        self.text.get(s.start as usize..s.end as usize)
    }

    /// Build the event, with a text chunk of its own.
    pub fn finish(&self, source: u32, line: u64) -> Event {
        self.build(source, line, self.text.as_str().into(), 0)
    }

    fn build(&self, source: u32, line: u64, chunk: Arc<str>, off: u32) -> Event {
        // `line_text` must not include derived values.
        Event {
            time_us: self.time_us,
            source,
            line,
            kind: self.kind,
            status: self.status,
            port: self.port,
            bytes: self.bytes,
            count: self.count.max(1),
            chunk,
            off,
            line_len: self.line_len as u32,
            spans: self.spans,
        }
    }
}

/// Packs the texts of consecutive events into shared chunks of about
/// [`TextArena::CHUNK`] bytes: one allocation per chunk instead of one per
/// line. Events are pushed with a placeholder chunk and given the real one
/// when it is sealed, so [`TextArena::seal`] must run before anything
/// reorders or reads the pushed events.
#[derive(Debug)]
pub struct TextArena {
    cur: String,
    /// Index in the event list of the first event not yet sealed.
    pending: usize,
    placeholder: Arc<str>,
}

impl Default for TextArena {
    fn default() -> Self {
        Self {
            cur: String::with_capacity(Self::CHUNK),
            pending: 0,
            placeholder: Arc::from(""),
        }
    }
}

impl TextArena {
    /// Target chunk size.
    pub const CHUNK: usize = 1 << 20;

    /// Start packing after the events already in `events`.
    pub fn new(events: &[Event]) -> Self {
        Self {
            pending: events.len(),
            ..Self::default()
        }
    }

    /// Build the draft's event into `events`.
    pub fn push(&mut self, d: &Draft, source: u32, line: u64, events: &mut Vec<Event>) {
        let t = d.text.as_str();
        if t.len() > Self::CHUNK / 4 {
            // A huge line gets its own chunk.
            self.seal(events);
            events.push(d.finish(source, line));
            self.pending = events.len();
            return;
        }
        if self.cur.len() + t.len() > Self::CHUNK {
            self.seal(events);
        }
        let off = self.cur.len() as u32;
        self.cur.push_str(t);
        events.push(d.build(source, line, self.placeholder.clone(), off));
    }

    /// Give the events pushed since the last seal their chunk.
    pub fn seal(&mut self, events: &mut [Event]) {
        if let Some(pending) = events.get_mut(self.pending..)
            && !pending.is_empty()
        {
            let chunk: Arc<str> = Arc::from(self.cur.as_str());
            for e in pending {
                e.chunk = chunk.clone();
            }
        }
        self.cur.clear();
        self.pending = events.len();
    }
}

/// Every event of a store under one index (`0..len`), kept as the blocks
/// the parsing threads filled (one per source file) instead of copied into
/// one list: copying a million-line store's events costs as much as
/// reading them. Reads like a slice: [`Events::get`], [`Events::len`],
/// iteration in index order, `events[i]`.
#[derive(Debug, Default, Clone)]
pub struct Events {
    blocks: Vec<Vec<Event>>,
    /// Index of each block's first event.
    starts: Vec<usize>,
    /// For each page of `1 << PAGE_SHIFT` indices, the block holding the
    /// page's first index: a lookup reads one entry and searches only the
    /// blocks starting inside that page.
    page_block: Vec<u32>,
    len: usize,
}

const PAGE_SHIFT: u32 = 12;

impl Events {
    /// Append a block: its events get the next indices.
    pub fn push_block(&mut self, block: Vec<Event>) {
        if block.is_empty() {
            return;
        }
        let b = self.blocks.len() as u32;
        self.starts.push(self.len);
        self.len += block.len();
        self.blocks.push(block);
        // Pages whose first index now falls in this block.
        while self.page_block.len() << PAGE_SHIFT < self.len {
            self.page_block.push(b);
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The event at an index.
    pub fn get(&self, i: usize) -> Option<&Event> {
        let b = match self.blocks.len() {
            0 => return None,
            1 => 0,
            _ => {
                let page = i >> PAGE_SHIFT;
                let lo = *self.page_block.get(page)? as usize;
                let hi = self
                    .page_block
                    .get(page + 1)
                    .map_or(self.blocks.len(), |&x| x as usize + 1);
                let within = self.starts.get(lo..hi)?;
                lo + within.partition_point(|&s| s <= i).checked_sub(1)?
            }
        };
        self.blocks.get(b)?.get(i - self.starts.get(b)?)
    }

    /// Events in index order.
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.blocks.iter().flatten()
    }

    /// Events in index order, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Event> {
        self.blocks.iter_mut().flatten()
    }

    /// The blocks, in index order.
    pub fn blocks(&self) -> &[Vec<Event>] {
        &self.blocks
    }

    /// The blocks, mutably (their lengths cannot change).
    pub fn blocks_mut(&mut self) -> impl Iterator<Item = &mut [Event]> {
        self.blocks.iter_mut().map(Vec::as_mut_slice)
    }
}

impl From<Vec<Event>> for Events {
    fn from(v: Vec<Event>) -> Self {
        let mut e = Events::default();
        e.push_block(v);
        e
    }
}

impl std::ops::Index<usize> for Events {
    type Output = Event;

    /// Panics when `i` is out of range, like a slice.
    fn index(&self, i: usize) -> &Event {
        match self.get(i) {
            Some(e) => e,
            None => panic!("event index {i} out of range ({} events)", self.len),
        }
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<Event>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.blocks.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_given_to_set_sub_is_kept_not_dropped() {
        let line = String::from("2026-01-01 10:00:00 install foo:amd64 <none> 1.0");
        let mut d = Draft::default();
        d.reset(&line);
        d.set_sub(&line, Field::Program, "dpkg");
        d.set_sub(&line, Field::Detail, line.get(20..27).unwrap());
        let e = d.finish(1, 1);
        assert_eq!(e.get(Field::Program), Some("dpkg"));
        assert_eq!(e.get(Field::Detail), Some("install"));
    }

    #[test]
    fn fields_and_derived_values() {
        let mut d = Draft::default();
        d.reset("Failed password for root from 1.2.3.4");
        d.set(Field::User, 20, 24);
        d.set_owned(Field::Command, "id");
        d.set(Field::Ip, 30, 99); // out of range: ignored
        let e = d.finish(3, 7);
        assert_eq!(e.get(Field::User), Some("root"));
        assert_eq!(e.get(Field::Command), Some("id"));
        assert_eq!(e.get(Field::Ip), None);
        assert_eq!(e.line_text(), "Failed password for root from 1.2.3.4");
        assert!(
            std::mem::size_of::<Event>() <= 144,
            "{}",
            std::mem::size_of::<Event>()
        );
    }

    fn draft(line: &str, derived: Option<&str>) -> Draft {
        let mut d = Draft::default();
        d.reset(line);
        if line.len() >= 4 {
            d.set(Field::User, 1, 4);
        }
        if let Some(v) = derived {
            d.set_owned(Field::Command, v);
        }
        d
    }

    #[test]
    fn arena_events_read_like_events_built_alone() {
        // Sizes that fill and seal chunks, one line too big for a chunk,
        // and derived values after some lines.
        let sizes = [
            10,
            TextArena::CHUNK / 3,
            TextArena::CHUNK / 5,
            TextArena::CHUNK / 5,
            5,
            TextArena::CHUNK / 4 + 1,
            7,
            TextArena::CHUNK / 5,
            0,
            1,
        ];
        let mut events = vec![Draft::default().finish(0, 0)];
        let mut arena = TextArena::new(&events);
        let mut alone = Vec::new();
        for (n, &size) in sizes.iter().enumerate() {
            let line: String = (0..size)
                .map(|k| char::from(b'a' + ((k + n) % 26) as u8))
                .collect();
            let derived = (n % 3 == 0).then(|| format!("derived {n}"));
            let d = draft(&line, derived.as_deref());
            arena.push(&d, 1, n as u64 + 1, &mut events);
            alone.push(d.finish(1, n as u64 + 1));
        }
        arena.seal(&mut events);
        assert_eq!(events.len(), sizes.len() + 1);
        for (a, b) in events.iter().skip(1).zip(&alone) {
            assert_eq!(a.line_text(), b.line_text());
            assert_eq!(a.line, b.line);
            for f in Field::ALL {
                assert_eq!(a.get(f), b.get(f), "{f:?} of line {}", a.line);
            }
        }
        // The event before the arena started is untouched.
        assert_eq!(events[0].line_text(), "");
    }

    fn event(line: u64) -> Event {
        let mut d = Draft::default();
        d.reset(&line.to_string());
        d.finish(0, line)
    }

    proptest::proptest! {
        #[test]
        fn events_in_blocks_index_like_one_list(sizes in proptest::collection::vec(0usize..40, 0..400), big in 0usize..5000) {
            let mut all = Events::default();
            let mut flat: Vec<u64> = Vec::new();
            let mut n = 0u64;
            for (k, &size) in sizes.iter().enumerate() {
                // Now and then a block larger than a lookup page.
                let size = if k % 97 == 3 { size + big } else { size };
                let block: Vec<Event> = (0..size).map(|_| { n += 1; event(n) }).collect();
                flat.extend(block.iter().map(|e| e.line));
                all.push_block(block);
            }
            proptest::prop_assert_eq!(all.len(), flat.len());
            for (i, want) in flat.iter().enumerate() {
                proptest::prop_assert_eq!(all.get(i).map(|e| e.line), Some(*want));
                proptest::prop_assert_eq!(all[i].line_text(), want.to_string());
            }
            proptest::prop_assert!(all.get(flat.len()).is_none());
            let iterated: Vec<u64> = all.iter().map(|e| e.line).collect();
            proptest::prop_assert_eq!(iterated, flat);
        }
    }

    #[test]
    fn huge_lines_keep_text_without_far_fields() {
        let line = format!("{}user", "x".repeat(70_000));
        let mut d = Draft::default();
        d.reset(&line);
        d.set(Field::User, 70_000, 70_004);
        let e = d.finish(0, 1);
        assert_eq!(e.get(Field::User), None);
        assert_eq!(e.line_text().len(), 70_004);
    }
}
