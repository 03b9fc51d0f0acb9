//! Subtitle-style transcripts: WebVTT and SRT, read into speaker turns with times.
//!
//! Cues become turns: consecutive cues of one speaker are merged (times from the first cue's
//! start to the last cue's end).  The document text is the turns, each written as
//! `Speaker: text` (or just `text` when the cue has no speaker), joined by a blank line; turn
//! offsets point at the text after the label, the label's span is kept.  Markup (voice and
//! style tags, inline timestamps) and HTML entities are removed from the text.

use crate::corpus::{LabelParser, TurnSpec};
use crate::error::{Error, ErrorKind, Result};

/// One cue: times in seconds, speaker (from a `<v Name>` tag or a `Name:` prefix), text.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// Start (s).
    pub start: f64,
    /// End (s).
    pub end: f64,
    /// Speaker, when the cue names one.
    pub speaker: Option<String>,
    /// Text without markup, lines joined by spaces.
    pub text: String,
}

fn parse_error(path: &str, line: usize, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Parse {
        path: path.to_string(),
        line,
        message: message.into(),
    })
}

/// Parses `hh:mm:ss.mmm`, `mm:ss.mmm` (`,` also accepted before the milliseconds).
fn parse_time(s: &str) -> Option<f64> {
    let s = s.trim();
    let (main, frac) = match s.rfind(['.', ',']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let parts: Vec<&str> = main.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 3 {
        return None;
    }
    let nums: Vec<f64> = parts
        .iter()
        .map(|p| p.parse::<f64>().ok())
        .collect::<Option<_>>()?;
    let (h, m, sec) = if nums.len() == 3 {
        (nums[0], nums[1], nums[2])
    } else {
        (0.0, nums[0], nums[1])
    };
    if m >= 60.0 || sec >= 60.0 {
        return None;
    }
    let ms = if frac.is_empty() {
        0.0
    } else {
        frac.parse::<f64>().ok()? / 10f64.powi(frac.len() as i32)
    };
    Some(h * 3600.0 + m * 60.0 + sec + ms)
}

/// Parses a timing line `start --> end [settings]`.
fn parse_timing(line: &str, path: &str, lineno: usize) -> Result<(f64, f64)> {
    let (a, rest) = line.split_once("-->").ok_or_else(|| {
        parse_error(
            path,
            lineno,
            format!("expected a timing line 'start --> end', got {line:?}"),
        )
    })?;
    let b = rest.split_whitespace().next().unwrap_or("");
    let start = parse_time(a).ok_or_else(|| {
        parse_error(
            path,
            lineno,
            format!(
                "start time {:?} is not hh:mm:ss.mmm (minutes and seconds below 60)",
                a.trim()
            ),
        )
    })?;
    let end = parse_time(b).ok_or_else(|| {
        parse_error(
            path,
            lineno,
            format!("end time {b:?} is not hh:mm:ss.mmm (minutes and seconds below 60)"),
        )
    })?;
    if end < start {
        return Err(parse_error(
            path,
            lineno,
            format!("cue ends ({b}) before it starts ({})", a.trim()),
        ));
    }
    Ok((start, end))
}

/// Removes `<...>` markup (keeping a leading voice tag's name) and decodes the usual entities.
fn clean_payload(payload: &str) -> (Option<String>, String) {
    let mut speaker = None;
    let mut out = String::with_capacity(payload.len());
    let mut rest = payload;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        match rest[i..].find('>') {
            Some(j) => {
                let tag = &rest[i + 1..i + j];
                if speaker.is_none() && (tag.starts_with("v ") || tag.starts_with("v.")) {
                    let name = tag.split_once(' ').map_or("", |(_, n)| n).trim();
                    if !name.is_empty() {
                        speaker = Some(name.to_string());
                    }
                }
                rest = &rest[i + j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // SRT style overrides such as {\an8}.
    while let (Some(a), Some(b)) = (out.find("{\\"), out.find('}')) {
        if b > a {
            out.replace_range(a..=b, "");
        } else {
            break;
        }
    }
    let text = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&lrm;", "\u{200e}")
        .replace("&rlm;", "\u{200f}");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (speaker, text)
}

/// The blocks of non-blank lines from line `from` on, each with the index of its first line.
fn blocks<'a>(lines: &'a [&'a str], from: usize) -> Vec<(usize, &'a [&'a str])> {
    let mut out = Vec::new();
    let mut i = from;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && !lines[i].trim().is_empty() {
            i += 1;
        }
        out.push((start, &lines[start..i]));
    }
    out
}

fn lines_of(src: &str) -> Vec<&str> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    src.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// Parses a WebVTT file.  The first line must start with `WEBVTT`; NOTE, STYLE and REGION
/// blocks are skipped; cue settings are ignored.
pub fn parse_vtt(src: &str, path: &str, labels: &LabelParser) -> Result<Vec<Cue>> {
    let lines = lines_of(src);
    let first = lines.first().copied().unwrap_or("");
    let header_ok = first.starts_with("WEBVTT")
        && first[6..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t');
    if !header_ok {
        return Err(parse_error(
            path,
            1,
            format!("not a WebVTT file: the first line must be 'WEBVTT', got {first:?}"),
        ));
    }
    let mut cues = Vec::new();
    // The header block ends at the first blank line.
    let header_end = lines
        .iter()
        .position(|l| l.trim().is_empty())
        .unwrap_or(lines.len());
    for (block_start, block) in blocks(&lines, header_end) {
        let head = block[0];
        if head == "NOTE"
            || head.starts_with("NOTE ")
            || head.starts_with("NOTE\t")
            || head == "STYLE"
            || head == "REGION"
        {
            continue;
        }
        let timing_at = block.iter().position(|l| l.contains("-->"));
        let Some(t) = timing_at.filter(|&t| t <= 1) else {
            return Err(parse_error(
                path,
                block_start + 1,
                format!("expected a cue (an optional id, then 'start --> end'), got {head:?}"),
            ));
        };
        let (start, end) = parse_timing(block[t], path, block_start + t + 1)?;
        let payload = block[t + 1..].join("\n");
        push_cue(&mut cues, start, end, &payload, labels);
    }
    Ok(cues)
}

/// Parses an SRT file: blocks of an index, a timing line and text lines.
pub fn parse_srt(src: &str, path: &str, labels: &LabelParser) -> Result<Vec<Cue>> {
    let lines = lines_of(src);
    let mut cues = Vec::new();
    for (block_start, block) in blocks(&lines, 0) {
        let Some(t) = block
            .iter()
            .position(|l| l.contains("-->"))
            .filter(|&t| t <= 1)
        else {
            return Err(parse_error(
                path,
                block_start + 1,
                format!(
                    "expected a subtitle (an index, then 'start --> end'), got {:?}",
                    block[0]
                ),
            ));
        };
        let (start, end) = parse_timing(block[t], path, block_start + t + 1)?;
        let payload = block[t + 1..].join("\n");
        push_cue(&mut cues, start, end, &payload, labels);
    }
    Ok(cues)
}

fn push_cue(cues: &mut Vec<Cue>, start: f64, end: f64, payload: &str, labels: &LabelParser) {
    let (mut speaker, mut text) = clean_payload(payload);
    if speaker.is_none() {
        if let Some(t) = labels
            .parse(&text)
            .first()
            .filter(|t| t.label.is_some_and(|(s, _)| s == 0))
        {
            speaker = t.speaker.clone();
            text = text[t.start..t.end].to_string();
        }
    }
    if !text.is_empty() {
        cues.push(Cue {
            start,
            end,
            speaker,
            text,
        });
    }
}

/// The document text and turns of a list of cues; consecutive cues of one speaker (or of no
/// speaker) form one turn.
pub fn cues_to_document(cues: &[Cue]) -> (String, Vec<TurnSpec>) {
    let mut text = String::new();
    let mut turns: Vec<TurnSpec> = Vec::new();
    let mut k = 0;
    while k < cues.len() {
        let mut m = k + 1;
        while m < cues.len() && cues[m].speaker == cues[k].speaker {
            m += 1;
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let label = cues[k].speaker.as_ref().map(|s| {
            let a = text.len();
            text.push_str(s);
            text.push(':');
            let b = text.len();
            text.push(' ');
            (a, b)
        });
        let start = text.len();
        for (n, c) in cues[k..m].iter().enumerate() {
            if n > 0 {
                text.push(' ');
            }
            text.push_str(&c.text);
        }
        turns.push(TurnSpec {
            speaker: cues[k].speaker.clone(),
            start,
            end: text.len(),
            label,
            time_start: Some(cues[k].start),
            time_end: Some(cues[k..m].iter().map(|c| c.end).fold(f64::MIN, f64::max)),
        });
        k = m;
    }
    (text, turns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::DEFAULT_LABEL_PATTERN;

    fn labels() -> LabelParser {
        LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap()
    }

    #[test]
    fn vtt_with_voices_notes_styles_and_merging() {
        let src = "\u{feff}WEBVTT - interview 3\r\nKind: captions\r\n\r\nNOTE recorded on Teams\r\nsecond line\r\n\r\nSTYLE\r\n::cue { color: red }\r\n\r\n1\r\n00:00:01.000 --> 00:00:04.500 align:start\r\n<v Dan>Do you <i>trust</i> it?</v>\r\n\r\n00:04.500 --> 00:06.000\r\n<v Dan>Really?\r\n\r\n00:00:06,000 --> 00:00:09.250\r\nSiân: Not &amp; never.\r\n\r\n00:00:09.250 --> 00:00:09.500\r\n<v Siân></v>\r\n";
        let cues = parse_vtt(src, "x.vtt", &labels()).unwrap();
        assert_eq!(cues.len(), 3);
        assert_eq!(cues[0].speaker.as_deref(), Some("Dan"));
        assert_eq!(cues[0].text, "Do you trust it?");
        assert_eq!((cues[1].start, cues[1].end), (4.5, 6.0));
        assert_eq!(cues[2].speaker.as_deref(), Some("Siân"));
        assert_eq!(cues[2].text, "Not & never.");
        let (text, turns) = cues_to_document(&cues);
        assert_eq!(text, "Dan: Do you trust it? Really?\n\nSiân: Not & never.");
        assert_eq!(turns.len(), 2);
        assert_eq!(
            &text[turns[0].start..turns[0].end],
            "Do you trust it? Really?"
        );
        assert_eq!(
            (turns[0].time_start, turns[0].time_end),
            (Some(1.0), Some(6.0))
        );
        assert_eq!(
            &text[turns[1].label.unwrap().0..turns[1].label.unwrap().1],
            "Siân:"
        );
    }

    #[test]
    fn srt_with_both_separators() {
        let src = "1\n00:00:01,000 --> 00:00:02,500\n[Laughs] Hello\nthere\n\n2\n00:00:03.000 --> 00:00:04.000\nB3: Yes.\n";
        let cues = parse_srt(src, "x.srt", &labels()).unwrap();
        assert_eq!(cues[0].text, "[Laughs] Hello there");
        assert_eq!(cues[0].speaker, None);
        assert_eq!(cues[1].speaker.as_deref(), Some("B3"));
        assert_eq!((cues[1].start, cues[1].end), (3.0, 4.0));
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let e = parse_vtt("00:00:01.000 --> 00:00:02.000\nHi\n", "a.vtt", &labels()).unwrap_err();
        assert_eq!(e.to_string(), "a.vtt, line 1: not a WebVTT file: the first line must be 'WEBVTT', got \"00:00:01.000 --> 00:00:02.000\"");
        let e = parse_vtt(
            "WEBVTT\n\n00:00:01.000 --> 00:61:02.000\nHi\n",
            "b.vtt",
            &labels(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("b.vtt, line 3: end time \"00:61:02.000\""),
            "{e}"
        );
        let e =
            parse_srt("1\n00:00:05,000 --> 00:00:02,000\nHi\n", "c.srt", &labels()).unwrap_err();
        assert!(e.to_string().starts_with("c.srt, line 2: cue ends"), "{e}");
        let e = parse_srt("1\nno timing here\n", "d.srt", &labels()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("d.srt, line 1: expected a subtitle"),
            "{e}"
        );
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("01:02:03.5"), Some(3723.5));
        assert_eq!(parse_time("02:03,250"), Some(123.25));
        assert_eq!(parse_time("1:60:00.000"), None);
        assert_eq!(parse_time("aa:00.000"), None);
    }
}
