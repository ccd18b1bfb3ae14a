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

/// The shared storage of many events' texts: the lines (with their derived
/// values) one after another, and the field spans of every event, in event
/// order and, within an event, in [`Field::ALL`] order.
#[derive(Debug, Default)]
struct Chunk {
    text: String,
    spans: Vec<Span>,
}

/// One parsed log line or binary record.
///
/// The record is kept small (80 bytes on 64-bit targets; it was 144): the
/// text and the field spans live in a shared [`Chunk`] reached through one
/// thin pointer, and the event keeps only which fields it has (a bit per
/// [`Field`]) and where its spans start.
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
    /// The chunk holding this event's text (from byte `off`) and spans
    /// (from index `spans_at`); `None` only while a [`TextArena`] has not
    /// sealed it yet.
    chunk: Option<Arc<Chunk>>,
    off: u32,
    line_len: u32,
    spans_at: u32,
    /// Bit `f as usize` is set when field `f` has a span.
    present: u16,
}

impl Event {
    /// The evidence line as read (lossy UTF-8, without its line ending).
    pub fn line_text(&self) -> &str {
        let off = self.off as usize;
        self.chunk
            .as_ref()
            .and_then(|c| c.text.get(off..off + self.line_len as usize))
            .unwrap_or_default()
    }

    /// A field's value, if the line has it.
    pub fn get(&self, f: Field) -> Option<&str> {
        let bit = 1u16 << (f as u16);
        if self.present & bit == 0 {
            return None;
        }
        let c = self.chunk.as_ref()?;
        let at = self.spans_at as usize + (self.present & (bit - 1)).count_ones() as usize;
        let s = c.spans.get(at)?;
        let off = self.off as usize;
        c.text.get(off + s.start as usize..off + s.end as usize)
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
///
/// The draft's text is written where it will be kept: a [`TextArena`]
/// lends the draft its current chunk, so the line and its derived values are
/// copied once, from the read buffer into the chunk. The event being built
/// is the text from `base` on; what is before it belongs to events already
/// pushed.
#[derive(Debug, Clone)]
pub struct Draft {
    pub time_us: Option<i64>,
    pub kind: Kind,
    pub status: Option<u16>,
    pub port: Option<u16>,
    pub bytes: Option<u64>,
    pub count: u32,
    text: String,
    base: usize,
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
            base: 0,
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
        self.text.truncate(self.base);
        self.text.push_str(line);
        self.line_len = line.len();
        self.spans = [NONE; NFIELD];
    }

    /// The text of the event being built (line and derived values).
    fn own(&self) -> &str {
        self.text.get(self.base..).unwrap_or_default()
    }

    /// The line being parsed.
    pub fn line(&self) -> &str {
        self.own().get(..self.line_len).unwrap_or("")
    }

    /// Set a field to a byte range of the line. Out-of-range or non-boundary
    /// ranges are ignored (the field stays absent).
    pub fn set(&mut self, f: Field, start: usize, end: usize) {
        if start <= end
            && end <= self.line_len
            && self.own().get(start..end).is_some()
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
        let start = self.text.len() - self.base + 1;
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
        self.own().get(s.start as usize..s.end as usize)
    }

    /// The bit set of the fields present, and their spans in order.
    fn present(&self) -> (u16, impl Iterator<Item = Span> + '_) {
        let mut bits = 0u16;
        for (i, s) in self.spans.iter().enumerate() {
            if *s != NONE {
                bits |= 1 << i;
            }
        }
        (bits, self.spans.iter().copied().filter(|s| *s != NONE))
    }

    /// Build the event, with a text chunk of its own.
    pub fn finish(&self, source: u32, line: u64) -> Event {
        let (present, spans) = self.present();
        let chunk = Chunk {
            text: self.own().to_owned(),
            spans: spans.collect(),
        };
        self.build(source, line, Some(Arc::new(chunk)), 0, 0, present)
    }

    fn build(
        &self,
        source: u32,
        line: u64,
        chunk: Option<Arc<Chunk>>,
        off: u32,
        spans_at: u32,
        present: u16,
    ) -> Event {
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
            spans_at,
            present,
        }
    }
}

/// Packs the texts of consecutive events into shared chunks of about
/// [`TextArena::CHUNK`] bytes: one allocation per chunk instead of one per
/// line, and one copy of each line (the [`Draft`] writes into the chunk).
/// Events are pushed without a chunk and given theirs when it is sealed, so
/// [`TextArena::seal`] must run before anything reorders or reads the
/// pushed events.
#[derive(Debug, Default)]
pub struct TextArena {
    spans: Vec<Span>,
    /// Index in the event list of the first event not yet sealed.
    pending: usize,
}

impl TextArena {
    /// Target chunk size.
    pub const CHUNK: usize = 1 << 20;

    /// Room for a chunk and the line that overflows it.
    const ROOM: usize = Self::CHUNK + Self::CHUNK / 4 + 4096;

    /// Start packing after the events already in `events`, with `d` as the
    /// draft whose lines are pushed (its text becomes the chunk).
    pub fn new(events: &[Event], d: &mut Draft) -> Self {
        d.text = String::with_capacity(Self::ROOM);
        d.base = 0;
        Self {
            spans: Vec::with_capacity(Self::CHUNK / 16),
            pending: events.len(),
        }
    }

    /// Build the draft's event into `events`.
    pub fn push(&mut self, d: &mut Draft, source: u32, line: u64, events: &mut Vec<Event>) {
        let own = d.text.len() - d.base;
        if own > Self::CHUNK / 4 {
            // A huge line gets its own chunk.
            let e = d.finish(source, line);
            d.text.truncate(d.base);
            self.seal(d, events);
            events.push(e);
            self.pending = events.len();
            return;
        }
        if d.text.len() > Self::CHUNK {
            // This line starts the next chunk.
            let tail = d.text.split_off(d.base);
            d.text.truncate(d.base);
            self.seal(d, events);
            d.text.push_str(&tail);
        }
        let (present, spans) = d.present();
        let spans_at = self.spans.len() as u32;
        self.spans.extend(spans);
        events.push(d.build(source, line, None, d.base as u32, spans_at, present));
        d.base = d.text.len();
    }

    /// Give the events pushed since the last seal their chunk (the draft's
    /// text up to the event being built, which must be empty), and start a
    /// new one.
    pub fn seal(&mut self, d: &mut Draft, events: &mut [Event]) {
        if events.len() <= self.pending {
            d.text.truncate(d.base);
            self.pending = events.len();
            return;
        }
        let mut text = std::mem::replace(&mut d.text, String::with_capacity(Self::ROOM));
        text.truncate(d.base);
        d.base = 0;
        let mut spans = std::mem::replace(&mut self.spans, Vec::with_capacity(Self::CHUNK / 16));
        if let Some(pending) = events.get_mut(self.pending..)
            && !pending.is_empty()
        {
            text.shrink_to_fit();
            spans.shrink_to_fit();
            let chunk = Arc::new(Chunk { text, spans });
            for e in pending {
                e.chunk = Some(chunk.clone());
            }
        }
        self.pending = events.len();
    }

    /// Seal the last chunk and give the draft back a text of its own (the
    /// end of packing).
    pub fn finish(&mut self, d: &mut Draft, events: &mut [Event]) {
        self.seal(d, events);
        d.text = String::new();
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
    }

    /// Fill `d` from `line` the way a parser would: a field inside the
    /// line, and now and then a derived value.
    fn fill(d: &mut Draft, line: &str, derived: Option<&str>) {
        d.reset(line);
        if line.len() >= 4 {
            d.set(Field::User, 1, 4);
        }
        if let Some(v) = derived {
            d.set_owned(Field::Command, v);
        }
    }

    fn same(a: &Event, b: &Event) {
        assert_eq!(a.line_text(), b.line_text());
        assert_eq!(a.line, b.line);
        assert_eq!(a.source, b.source);
        assert_eq!(a.kind, b.kind);
        assert_eq!(a.time_us, b.time_us);
        for f in Field::ALL {
            assert_eq!(a.get(f), b.get(f), "{f:?} of line {}", a.line);
        }
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
            TextArena::CHUNK / 4 - 3,
            TextArena::CHUNK / 4 - 3,
            TextArena::CHUNK / 4 - 3,
            TextArena::CHUNK / 4 - 3,
            TextArena::CHUNK / 4 - 3,
            2,
        ];
        let mut events = vec![Draft::default().finish(0, 0)];
        let mut d = Draft::default();
        let mut arena = TextArena::new(&events, &mut d);
        let mut alone = Vec::new();
        for (n, &size) in sizes.iter().enumerate() {
            let line: String = (0..size)
                .map(|k| char::from(b'a' + ((k + n) % 26) as u8))
                .collect();
            let derived = (n % 3 == 0).then(|| format!("derived {n}"));
            fill(&mut d, &line, derived.as_deref());
            alone.push(d.finish(1, n as u64 + 1));
            arena.push(&mut d, 1, n as u64 + 1, &mut events);
        }
        arena.finish(&mut d, &mut events);
        assert_eq!(events.len(), sizes.len() + 1);
        for (a, b) in events.iter().skip(1).zip(&alone) {
            same(a, b);
        }
        // The event before the arena started is untouched.
        assert_eq!(events[0].line_text(), "");
        // Sealed chunks are shared, not one per line.
        let chunks: std::collections::HashSet<*const Chunk> = events
            .iter()
            .filter_map(|e| e.chunk.as_ref().map(Arc::as_ptr))
            .collect();
        assert!(chunks.len() < events.len(), "{} chunks", chunks.len());
    }

    #[test]
    fn an_event_record_is_80_bytes_at_most() {
        assert!(
            std::mem::size_of::<Event>() <= 80,
            "{}",
            std::mem::size_of::<Event>()
        );
    }

    #[test]
    fn every_field_and_fields_at_the_end_of_the_span_range_round_trip() {
        // All fifteen fields at once, some derived, in an arena and alone.
        let line = "h p 1 u 1.2.3.4 GET /x HTTP/1.1 r a f c t 0 d";
        let mut d = Draft::default();
        let mut events = Vec::new();
        let mut arena = TextArena::new(&events, &mut d);
        d.reset(line);
        let mut at = 0;
        for (i, w) in line.split(' ').enumerate() {
            let f = Field::ALL[i];
            if i % 4 == 3 {
                d.set_owned(f, &format!("derived-{w}"));
            } else {
                d.set(f, at, at + w.len());
            }
            at += w.len() + 1;
        }
        let alone = d.finish(0, 1);
        arena.push(&mut d, 0, 1, &mut events);
        // A line whose last field ends just below the 16-bit span limit,
        // and one whose field lies beyond it (left unset, line kept).
        let near = format!("{}zz", "y".repeat(usize::from(u16::MAX) - 3));
        d.reset(&near);
        d.set(Field::Path, near.len() - 2, near.len());
        let near_alone = d.finish(0, 2);
        arena.push(&mut d, 0, 2, &mut events);
        arena.finish(&mut d, &mut events);
        same(&events[0], &alone);
        assert_eq!(events[0].fields().count(), 15);
        assert_eq!(events[0].get(Field::User), Some("derived-u"));
        assert_eq!(events[0].get(Field::Ip), Some("1.2.3.4"));
        same(&events[1], &near_alone);
        assert_eq!(events[1].get(Field::Path), Some("zz"));
        assert_eq!(events[1].line_text(), near);
    }

    proptest::proptest! {
        /// Lines of any text (multi-byte characters, empty, long), with
        /// any fields and derived values, and parsers that reject a line
        /// before another accepts it (each reset rewrites the draft): the
        /// packed events read exactly like events built alone.
        #[test]
        fn packed_events_round_trip(
            lines in proptest::collection::vec(
                (".{0,60}", 0usize..3, proptest::collection::vec((0usize..15, 0usize..80, 0usize..80, proptest::bool::ANY), 0..6), 0usize..3),
                0..60,
            ),
            long in 0usize..400_000,
        ) {
            let mut d = Draft::default();
            let mut events = Vec::new();
            let mut arena = TextArena::new(&events, &mut d);
            let mut alone = Vec::new();
            for (n, (text, repeat, fields, rejects)) in lines.iter().enumerate() {
                let mut line = text.repeat(*repeat + 1);
                if n % 17 == 5 {
                    line.push_str(&"é".repeat(long));
                }
                for _ in 0..*rejects {
                    d.reset("a line another parser looked at first");
                    d.set_owned(Field::Detail, "rejected");
                }
                d.reset(&line);
                d.time_us = Some(n as i64);
                for &(f, a, b, owned) in fields {
                    let f = Field::ALL[f];
                    if owned {
                        d.set_owned(f, text);
                    } else {
                        d.set(f, a.min(b), a.max(b));
                    }
                }
                alone.push(d.finish(2, n as u64 + 1));
                arena.push(&mut d, 2, n as u64 + 1, &mut events);
            }
            arena.finish(&mut d, &mut events);
            proptest::prop_assert_eq!(events.len(), alone.len());
            for (a, b) in events.iter().zip(&alone) {
                same(a, b);
            }
        }
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
