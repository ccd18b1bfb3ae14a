//! Reading a tag file line by line straight from the inflater: a manifest
//! or `files.jsonl` of millions of lines is never held whole, and a line
//! longer than a limit is reported instead of being buffered.

use std::io::{self, BufRead, BufReader, Read};

/// One line as [`Lines`] hands it out.
pub(super) enum Line<'a> {
    /// The line without its `\n`.
    Text(&'a [u8]),
    /// Longer than the limit: skipped.
    TooLong,
}

/// The lines of a stream, numbered from 1 as `text.split('\n')` numbers
/// them (empty lines counted).
pub(super) struct Lines<R: Read> {
    r: BufReader<R>,
    line: Vec<u8>,
    number: usize,
    max: usize,
    done: bool,
}

impl<R: Read> Lines<R> {
    /// Lines of `r`, each at most `max` bytes.
    pub(super) fn new(r: R, max: usize) -> Self {
        Self {
            r: BufReader::with_capacity(1 << 16, r),
            line: Vec::new(),
            number: 0,
            max,
            done: false,
        }
    }

    /// The next line and its number; `None` after the last one.
    pub(super) fn next(&mut self) -> io::Result<Option<(usize, Line<'_>)>> {
        if self.done {
            return Ok(None);
        }
        self.line.clear();
        if self.line.capacity() > 1 << 20 {
            self.line.shrink_to(1 << 16);
        }
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                self.done = true;
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (chunk, ends) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            if !too_long {
                if self.line.len() + chunk.len() > self.max {
                    too_long = true;
                    self.line.clear();
                } else {
                    self.line.extend_from_slice(chunk);
                }
            }
            let used = chunk.len() + usize::from(ends);
            self.r.consume(used);
            if ends {
                break;
            }
        }
        self.number += 1;
        Ok(Some((
            self.number,
            if too_long {
                Line::TooLong
            } else {
                Line::Text(&self.line)
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(text: &[u8], max: usize) -> Vec<(usize, Option<Vec<u8>>)> {
        let mut l = Lines::new(text, max);
        let mut out = Vec::new();
        while let Some((n, line)) = l.next().expect("read") {
            out.push((
                n,
                match line {
                    Line::Text(t) => Some(t.to_vec()),
                    Line::TooLong => None,
                },
            ));
        }
        out
    }

    #[test]
    fn long_lines_are_skipped_and_counted() {
        let got = all(b"ab\n\nabcdef\nxy", 4);
        assert_eq!(
            got,
            vec![
                (1, Some(b"ab".to_vec())),
                (2, Some(Vec::new())),
                (3, None),
                (4, Some(b"xy".to_vec())),
            ]
        );
    }

    proptest! {
        /// The non-empty lines and their numbers are those of `split`.
        #[test]
        fn numbers_lines_as_split_does(text in "[a\\n]{0,40}") {
            let want: Vec<(usize, Vec<u8>)> = text
                .split('\n')
                .enumerate()
                .filter(|(_, l)| !l.is_empty())
                .map(|(i, l)| (i + 1, l.as_bytes().to_vec()))
                .collect();
            let got: Vec<(usize, Vec<u8>)> = all(text.as_bytes(), 1000)
                .into_iter()
                .filter_map(|(n, l)| l.filter(|l| !l.is_empty()).map(|l| (n, l)))
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
