//! Word (.docx) transcripts: the text of `word/document.xml`, read straight from the zip.
//!
//! The document's text is its paragraphs in order, each followed by `\n`; a line break inside
//! a paragraph (`<w:br/>`, `<w:cr/>`) is `\n` and a tab `\t`.  A table row is one line whose
//! cells are separated by `\t` (paragraphs inside a cell by a space).  Deleted text (tracked
//! changes), field codes, footnotes and headers are not part of the transcript.
//!
//! Turns: a paragraph starting with a speaker label (the same pattern as plain text) starts a
//! turn, and so does a paragraph whose leading bold run is a name (`**Dan** Why?` in Word,
//! with or without a colon).  A table of `(speaker, text)` or `(time, speaker, text)` rows
//! gives one turn per row; a first row of column names (`Speaker`, `Text` …) is skipped.
//!
//! Hostile files: the zip must hold `word/document.xml`, which may not inflate past
//! [`MAX_DOCUMENT_XML`]; DTDs are refused; the XML must be well formed.

use std::io::Read;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::corpus::{parse_timestamp, KnownLabel, LabelParser, Line, TurnSpec};
use crate::error::{Error, ErrorKind, Result};

/// Most bytes `word/document.xml` may inflate to (a zip bomb guard): 1 GiB.
pub const MAX_DOCUMENT_XML: u64 = 1 << 30;

fn fail(path: &str, line: usize, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Parse {
        path: path.to_string(),
        line,
        message: message.into(),
    })
}

/// Reads a .docx transcript: its text and turns.
pub fn read_docx(path: &str, parser: &LabelParser) -> Result<(String, Vec<TurnSpec>)> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::new(ErrorKind::Io {
            path: path.to_string(),
            message: e.to_string(),
        })
    })?;
    let xml = document_xml(std::io::BufReader::new(file), path)?;
    parse_document(&xml, path, parser)
}

/// The bytes of `word/document.xml` from a .docx zip.
pub fn document_xml<R: Read + std::io::Seek>(reader: R, path: &str) -> Result<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| {
        fail(
            path,
            0,
            format!("not a Word (.docx) file: not a readable zip archive ({e})"),
        )
    })?;
    let mut entry = zip.by_name("word/document.xml").map_err(|e| match e {
        zip::result::ZipError::FileNotFound => fail(
            path,
            0,
            "not a Word (.docx) file: the zip has no word/document.xml",
        ),
        other => fail(
            path,
            0,
            format!("word/document.xml cannot be read from the zip: {other}"),
        ),
    })?;
    if entry.size() > MAX_DOCUMENT_XML {
        return Err(fail(
            path,
            0,
            format!(
                "word/document.xml would inflate to {} bytes, more than the limit of {MAX_DOCUMENT_XML}",
                entry.size()
            ),
        ));
    }
    let mut xml = Vec::with_capacity(entry.size() as usize);
    (&mut entry)
        .take(MAX_DOCUMENT_XML + 1)
        .read_to_end(&mut xml)
        .map_err(|e| {
            fail(
                path,
                0,
                format!("word/document.xml is corrupt in the zip: {e}"),
            )
        })?;
    if xml.len() as u64 > MAX_DOCUMENT_XML {
        return Err(fail(
            path,
            0,
            format!("word/document.xml inflates past the limit of {MAX_DOCUMENT_XML} bytes"),
        ));
    }
    Ok(xml)
}

/// True unless the element carries `w:val="0"`, `"false"` or `"none"` (`<w:b w:val="0"/>`).
fn toggled_on(e: &BytesStart<'_>) -> bool {
    for a in e.attributes().flatten() {
        if a.key.local_name().as_ref() == b"val" {
            return !matches!(a.value.as_ref(), b"0" | b"false" | b"none" | b"off");
        }
    }
    true
}

/// A paragraph or a table row of the document, as byte ranges of the text.
#[derive(Debug)]
enum Block {
    Para {
        start: usize,
        end: usize,
        /// Byte length of the leading bold text (0 when the paragraph does not start in bold).
        bold: usize,
    },
    Row {
        start: usize,
        end: usize,
        cells: Vec<(usize, usize)>,
    },
}

/// Builds the text and turns from `word/document.xml`.
pub fn parse_document(
    xml: &[u8],
    path: &str,
    parser: &LabelParser,
) -> Result<(String, Vec<TurnSpec>)> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut text = String::with_capacity(xml.len() / 4);
    let mut blocks: Vec<Block> = Vec::new();
    let line_of = |pos: u64| {
        1 + xml[..(pos as usize).min(xml.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };

    // State
    let mut in_text = false; // inside <w:t>
    let mut skip = 0usize; // depth inside deleted text, field codes, etc.
    let mut run_bold = false;
    let mut in_rpr = false;
    let mut in_tabs = false; // tab-stop definitions of a paragraph, not tab characters
    let mut para_start: Option<usize> = None;
    let mut bold_end: Option<usize> = None; // end of the leading bold text of the paragraph
    let mut bold_open = true; // still in the leading bold stretch
    let mut table_depth = 0usize;
    let mut row: Option<(usize, Vec<(usize, usize)>)> = None;
    let mut cell_start: Option<usize> = None;
    let mut cell_paras = 0usize;

    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            fail(
                path,
                line_of(reader.error_position()),
                format!("word/document.xml is not well-formed XML: {e}"),
            )
        })?;
        match ev {
            Event::DocType(_) => {
                return Err(fail(
                    path,
                    line_of(reader.buffer_position()),
                    "word/document.xml has a DTD, which Word never writes: refused",
                ))
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.local_name();
                let name = name.as_ref();
                if skip > 0 {
                    if !empty {
                        skip += 1;
                    }
                    continue;
                }
                match name {
                    // deleted and moved-away text, field codes, note marks, text boxes and
                    // the fallback copy of alternate content are not transcript text
                    b"del" | b"delText" | b"moveFrom" | b"instrText" | b"footnoteReference"
                    | b"endnoteReference" | b"txbxContent" | b"Fallback"
                        if !empty =>
                    {
                        skip = 1;
                    }
                    b"tbl" if !empty => table_depth += 1,
                    b"tr" if !empty && table_depth == 1 => row = Some((text.len(), Vec::new())),
                    b"tc" if !empty && table_depth == 1 => {
                        if let Some((_, cells)) = &row {
                            if !cells.is_empty() {
                                text.push('\t');
                            }
                        }
                        cell_start = Some(text.len());
                        cell_paras = 0;
                    }
                    b"p" => {
                        if table_depth > 0 {
                            if cell_paras > 0 {
                                text.push(' ');
                            }
                            cell_paras += 1;
                        } else {
                            para_start = Some(text.len());
                            bold_end = None;
                            bold_open = true;
                        }
                        if empty && table_depth == 0 {
                            blocks.push(Block::Para {
                                start: text.len(),
                                end: text.len(),
                                bold: 0,
                            });
                            text.push('\n');
                            para_start = None;
                        }
                    }
                    b"r" if !empty => run_bold = false,
                    b"rPr" if !empty => in_rpr = true,
                    b"tabs" if !empty => in_tabs = true,
                    b"b" if in_rpr => run_bold = toggled_on(e),
                    b"t" if !empty => in_text = true,
                    b"tab" if !in_rpr && !in_tabs => push_text(
                        &mut text,
                        "\t",
                        run_bold,
                        para_start,
                        &mut bold_end,
                        &mut bold_open,
                    ),
                    b"br" | b"cr" => {
                        // a line break: a new line for the label parser, outside tables
                        if table_depth > 0 {
                            text.push(' ');
                        } else if let Some(ps) = para_start {
                            blocks.push(Block::Para {
                                start: ps,
                                end: text.len(),
                                bold: bold_end.map_or(0, |b| b - ps),
                            });
                            text.push('\n');
                            para_start = Some(text.len());
                            bold_end = None;
                            bold_open = true;
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                match e.local_name().as_ref() {
                    b"t" => in_text = false,
                    b"rPr" => in_rpr = false,
                    b"tabs" => in_tabs = false,
                    b"r" => run_bold = false,
                    b"p" if table_depth == 0 => {
                        if let Some(ps) = para_start.take() {
                            blocks.push(Block::Para {
                                start: ps,
                                end: text.len(),
                                bold: bold_end.map_or(0, |b| b - ps),
                            });
                            text.push('\n');
                        }
                    }
                    b"tc" if table_depth == 1 => {
                        if let (Some(cs), Some((_, cells))) = (cell_start.take(), row.as_mut()) {
                            cells.push((cs, text.len()));
                        }
                    }
                    b"tr" if table_depth == 1 => {
                        if let Some((rs, cells)) = row.take() {
                            blocks.push(Block::Row {
                                start: rs,
                                end: text.len(),
                                cells,
                            });
                            text.push('\n');
                        }
                    }
                    b"tbl" => table_depth = table_depth.saturating_sub(1),
                    _ => {}
                }
            }
            Event::Text(ref t) if in_text && skip == 0 => {
                let s = t.decode().map_err(|e| {
                    fail(
                        path,
                        line_of(reader.buffer_position()),
                        format!("bad text: {e}"),
                    )
                })?;
                push_text(
                    &mut text,
                    &s,
                    run_bold,
                    para_start,
                    &mut bold_end,
                    &mut bold_open,
                );
            }
            Event::CData(ref t) if in_text && skip == 0 => {
                let s = String::from_utf8_lossy(t.as_ref()).into_owned();
                push_text(
                    &mut text,
                    &s,
                    run_bold,
                    para_start,
                    &mut bold_end,
                    &mut bold_open,
                );
            }
            Event::GeneralRef(ref r) if in_text && skip == 0 => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match &**r {
                        b"amp" => "&".into(),
                        b"lt" => "<".into(),
                        b"gt" => ">".into(),
                        b"quot" => "\"".into(),
                        b"apos" => "'".into(),
                        other => {
                            return Err(fail(
                                path,
                                line_of(reader.buffer_position()),
                                format!("unknown entity &{};", String::from_utf8_lossy(other)),
                            ))
                        }
                    },
                };
                push_text(
                    &mut text,
                    &c,
                    run_bold,
                    para_start,
                    &mut bold_end,
                    &mut bold_open,
                );
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let turns = turns_of(&text, &blocks, parser);
    Ok((text, turns))
}

fn push_text(
    text: &mut String,
    s: &str,
    bold: bool,
    para_start: Option<usize>,
    bold_end: &mut Option<usize>,
    bold_open: &mut bool,
) {
    if s.is_empty() {
        return;
    }
    // Leading bold: bold runs from the paragraph start (white space before them allowed).
    if para_start.is_some() && *bold_open {
        if bold {
            text.push_str(s);
            *bold_end = Some(text.len());
            return;
        }
        if !(bold_end.is_none() && s.trim().is_empty()) {
            *bold_open = false;
        }
    }
    text.push_str(s);
}

const HEADER_SPEAKER: &[&str] = &["speaker", "name", "participant", "who", "sprecher"];
const HEADER_TEXT: &[&str] = &[
    "text",
    "transcript",
    "utterance",
    "content",
    "dialogue",
    "speech",
];
const HEADER_TIME: &[&str] = &[
    "time",
    "timestamp",
    "timecode",
    "start",
    "start time",
    "begin",
    "zeit",
];

fn turns_of(text: &str, blocks: &[Block], parser: &LabelParser) -> Vec<TurnSpec> {
    let name_re = regex::Regex::new(
        r"^[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*(?:[ \t]+[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*){0,3}$",
    )
    .expect("the name pattern compiles");
    let mut lines = Vec::with_capacity(blocks.len());
    for (k, b) in blocks.iter().enumerate() {
        match b {
            Block::Para { start, end, bold } => {
                let mut label = None;
                if *bold > 0 && parser.label(&text[*start..*end]).is_none() {
                    let raw = &text[*start..*start + bold];
                    let lead = raw.len() - raw.trim_start().len();
                    let name = raw.trim().trim_end_matches(':').trim_end();
                    // a paragraph all in bold is a heading, not a label
                    let rest = text[*start + bold..*end].trim_start_matches([' ', '\t', ':']);
                    if name_re.is_match(name) && !rest.trim().is_empty() {
                        let after = &text[*start + bold..*end];
                        let colon = after.len() - after.trim_start_matches([' ', '\t', ':']).len();
                        label = Some(KnownLabel {
                            speaker: name.to_string(),
                            label: (*start + lead, *start + bold),
                            content_start: *start + bold + colon,
                            time: None,
                        });
                    }
                }
                lines.push(Line {
                    start: *start,
                    end: *end,
                    label,
                    outside: false,
                });
            }
            Block::Row { start, end, cells } => {
                let cell = |i: usize| cells.get(i).map(|&(a, b)| (a, b, text[a..b].trim()));
                let (time, spk, body) = match cells.len() {
                    0 | 1 => (None, None, None),
                    2 => (None, cell(0), cell(1)),
                    _ => match cell(0) {
                        Some((_, _, t)) if parse_timestamp(t).is_some() => {
                            (cell(0), cell(1), cell(2))
                        }
                        _ => (None, cell(0), cell(1)),
                    },
                };
                let header =
                    k == 0 || matches!(blocks.get(k.wrapping_sub(1)), Some(Block::Para { .. }));
                let named = |c: Option<(usize, usize, &str)>, names: &[&str]| {
                    c.is_some_and(|(_, _, s)| names.contains(&s.to_lowercase().as_str()))
                };
                let is_header = header
                    && ((named(spk, HEADER_SPEAKER) && named(body, HEADER_TEXT))
                        || (cells.len() >= 3
                            && named(cell(0), HEADER_TIME)
                            && named(cell(1), HEADER_SPEAKER)
                            && named(cell(2), HEADER_TEXT)));
                let label = match (spk, body) {
                    (Some((sa, sb, s)), Some((ba, _, _))) if !is_header => Some(KnownLabel {
                        speaker: s.to_string(),
                        label: (time.map_or(sa, |t| t.0), sb),
                        content_start: ba,
                        time: time.and_then(|t| parse_timestamp(t.2)),
                    }),
                    _ => None,
                };
                lines.push(Line {
                    start: *start,
                    end: *end,
                    label,
                    outside: is_header,
                });
            }
        }
    }
    parser.parse_lines(text, lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::DEFAULT_LABEL_PATTERN;

    fn doc(body: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
        )
        .into_bytes()
    }

    fn para(runs: &[(&str, bool)]) -> String {
        let mut s = String::from("<w:p>");
        for (t, b) in runs {
            s.push_str("<w:r>");
            if *b {
                s.push_str("<w:rPr><w:b/></w:rPr>");
            }
            s.push_str(&format!(r#"<w:t xml:space="preserve">{t}</w:t></w:r>"#));
        }
        s.push_str("</w:p>");
        s
    }

    fn parse(body: &str) -> (String, Vec<TurnSpec>) {
        let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
        parse_document(&doc(body), "t.docx", &p).unwrap()
    }

    fn turns(text: &str, t: &[TurnSpec]) -> Vec<(Option<String>, String, Option<f64>)> {
        t.iter()
            .map(|t| {
                (
                    t.speaker.clone(),
                    text[t.start..t.end].to_string(),
                    t.time_start,
                )
            })
            .collect()
    }

    #[test]
    fn paragraphs_labels_and_bold_names() {
        let body = [
            para(&[("Interview 4", false)]),
            para(&[("Dan: Who ", false), ("funds", true), (" it?", false)]),
            para(&[("Siân", true), (" The trust &amp; the &lt;board&gt;.", false)]),
            para(&[("Ólafur:", true), (" Yes.", false)]),
            "<w:p/>".to_string(),
            para(&[("Not a name because lower case", true), (" text", false)]),
            "<w:p><w:r><w:t>李: a</w:t><w:br/><w:t>Dan: b</w:t><w:tab/><w:t>c</w:t></w:r></w:p>".into(),
            "<w:p><w:del><w:r><w:delText>deleted</w:delText></w:r></w:del><w:r><w:t>kept</w:t></w:r></w:p>".into(),
        ]
        .concat();
        let (text, t) = parse(&body);
        assert_eq!(
            text,
            "Interview 4\nDan: Who funds it?\nSiân The trust & the <board>.\nÓlafur: Yes.\n\nNot a name because lower case text\n李: a\nDan: b\tc\nkept\n"
        );
        assert_eq!(
            turns(&text, &t),
            [
                (Some("Dan".into()), "Who funds it?".into(), None),
                (Some("Siân".into()), "The trust & the <board>.".into(), None),
                (
                    Some("Ólafur".into()),
                    "Yes.\n\nNot a name because lower case text".into(),
                    None
                ),
                (Some("李".into()), "a".into(), None),
                (Some("Dan".into()), "b\tc\nkept".into(), None),
            ]
        );
        let (a, b) = t[1].label.unwrap();
        assert_eq!(&text[a..b], "Siân");
    }

    #[test]
    fn tab_stops_text_boxes_and_moves_are_not_text() {
        let body = concat!(
            r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>"#,
            r#"<w:r><w:t>Dan: hi</w:t></w:r><mc:AlternateContent><mc:Choice><w:txbxContent><w:p><w:r><w:t>Box</w:t></w:r></w:p></w:txbxContent></mc:Choice>"#,
            r#"<mc:Fallback><w:p><w:r><w:t>Box</w:t></w:r></w:p></mc:Fallback></mc:AlternateContent><w:r><w:t xml:space="preserve"> more</w:t></w:r></w:p>"#,
            r#"<w:p><w:moveFrom><w:r><w:t>moved</w:t></w:r></w:moveFrom><w:r><w:t>Ann: yes</w:t></w:r></w:p>"#,
        );
        let (text, t) = parse(body);
        assert_eq!(text, "Dan: hi more\nAnn: yes\n");
        assert_eq!(
            turns(&text, &t),
            [
                (Some("Dan".into()), "hi more".into(), None),
                (Some("Ann".into()), "yes".into(), None)
            ]
        );
    }

    #[test]
    fn tables_of_turns() {
        let cell = |s: &str| format!("<w:tc>{}</w:tc>", para(&[(s, false)]));
        let row = |cells: &[&str]| {
            format!(
                "<w:tr>{}</w:tr>",
                cells.iter().map(|c| cell(c)).collect::<String>()
            )
        };
        let body = format!(
            "<w:tbl>{}{}{}</w:tbl>{}<w:tbl>{}</w:tbl>",
            row(&["Speaker", "Text"]),
            row(&["Dan", "Why?"]),
            row(&["A1", "Because."]),
            para(&[("Between tables.", false)]),
            row(&["00:01:05", "B2", "Timed."]),
        );
        let (text, t) = parse(&body);
        assert_eq!(
            text,
            "Speaker\tText\nDan\tWhy?\nA1\tBecause.\nBetween tables.\n00:01:05\tB2\tTimed.\n"
        );
        assert_eq!(
            turns(&text, &t),
            [
                (Some("Dan".into()), "Why?".into(), None),
                (Some("A1".into()), "Because.\nBetween tables.".into(), None),
                (Some("B2".into()), "Timed.".into(), Some(65.0)),
            ]
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
        let e = parse_document(b"<w:document><w:body><w:p></w:body>", "x.docx", &p)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.docx, line 1: word/document.xml is not well-formed XML"),
            "{e}"
        );
        let e = parse_document(
            b"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x \"y\">]><w:document/>",
            "x.docx",
            &p,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("has a DTD"), "{e}");
        let e = document_xml(std::io::Cursor::new(b"not a zip".to_vec()), "x.docx")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a readable zip archive"), "{e}");
        // a zip without word/document.xml
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            w.start_file("hello.txt", zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut w, b"hi").unwrap();
            w.finish().unwrap();
        }
        buf.set_position(0);
        let e = document_xml(buf, "x.docx").unwrap_err().to_string();
        assert!(e.contains("the zip has no word/document.xml"), "{e}");
    }
}
