//! Reading customers: a CSV file with a header row of the service's field
//! names plus `front`/`back` image paths (relative to the file), or NDJSON
//! with the same names, one customer per line. Records are read one at a
//! time, as the batch asks for them.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use dcams_client::{Customer, Document, Error, ErrorKind};
use serde_json::Value;

/// The columns (CSV) and members (NDJSON) a record may have: the service's
/// field names, then the two images. Only `email` and `front` are required.
pub const COLUMNS: [&str; 12] =
    ["reference", "email", "fn", "ln", "addr", "city", "state", "zip", "dob", "phone", "front", "back"];
/// Index of the first image column in [`COLUMNS`].
const FRONT: usize = 10;

/// One image of a record: a file, or base64 text (NDJSON `documents`).
#[derive(Debug, Clone, PartialEq)]
pub enum Image {
    /// A file, already resolved against the input's folder.
    Path(PathBuf),
    /// Base64 text, as given.
    Base64(String),
}

/// One customer as read: the values of [`COLUMNS`] before the images
/// (absent or empty cells are `None`), and the images.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub values: [Option<String>; FRONT],
    pub front: Option<Image>,
    pub back: Option<Image>,
}

impl Record {
    /// The e-mail as given (possibly invalid or absent).
    pub fn email(&self) -> &str {
        self.values[1].as_deref().unwrap_or_default()
    }

    /// The customer to send. Nothing is checked here: the client validates
    /// `email`, `dob` and the images before any traffic.
    pub fn customer(&self) -> Customer<'static> {
        let v = |i: usize| self.values[i].clone();
        let document = |image: &Option<Image>| {
            image.as_ref().map(|i| match i {
                Image::Path(p) => Document::Path(p.clone()),
                Image::Base64(text) => Document::Base64(Cow::Owned(text.clone())),
            })
        };
        Customer {
            reference: v(0),
            email: v(1).unwrap_or_default(),
            r#fn: v(2),
            ln: v(3),
            addr: v(4),
            city: v(5),
            state: v(6),
            zip: v(7),
            dob: v(8),
            phone: v(9),
            front: document(&self.front),
            back: document(&self.back),
            ..Customer::default()
        }
    }
}

/// The record as it was in the input, for the failures file.
#[derive(Debug, Clone)]
pub enum Raw {
    /// The CSV fields (invalid UTF-8 replaced).
    Csv(Vec<String>),
    /// The NDJSON line.
    Line(String),
}

/// One record of the input, read or not.
#[derive(Debug)]
pub struct Row {
    /// 1-based number of the record: for CSV the data row after the
    /// header, for NDJSON the line.
    pub row: u64,
    /// Line of the file where the record starts.
    pub line: u64,
    pub raw: Raw,
    /// The record, or why the row is not one (a `Validation` error naming
    /// the column when known).
    pub record: Result<Record, Error>,
}

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// NDJSON for `.ndjson`/`.jsonl`/`.json`, CSV otherwise.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("ndjson" | "jsonl" | "json") => Format::Ndjson,
            _ => Format::Csv,
        }
    }
}

/// Opens `path` for reading, past a UTF-8 byte-order mark if there is one.
fn open(path: &Path) -> std::io::Result<BufReader<File>> {
    let mut reader = BufReader::with_capacity(64 * 1024, File::open(path)?);
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(reader)
}

/// The folder relative image paths are resolved against.
fn base_of(path: &Path) -> PathBuf {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
}

/// The records of an input file, read as they are asked for.
pub enum Rows {
    Csv(Box<CsvRows>),
    Ndjson(NdjsonRows),
}

impl Rows {
    /// Opens `path` as `format`. For CSV the header is read and checked
    /// here: every column must be one of [`COLUMNS`], once, and `email` and
    /// `front` must be there.
    ///
    /// Errors: a message for the operator (unreadable file, bad header).
    pub fn open(path: &Path, format: Format) -> Result<Rows, String> {
        let reader = open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        match format {
            Format::Csv => {
                let lines = open(path).ok().map(|reader| Lines { reader, offset: 0, newlines: 0 });
                CsvRows::new(reader, lines, base_of(path)).map(|c| Rows::Csv(Box::new(c)))
            }
            Format::Ndjson => Ok(Rows::Ndjson(NdjsonRows { reader, base: base_of(path), line: 0, done: false })),
        }
    }

    /// The CSV header as read (for the failures file); `None` for NDJSON.
    pub fn header(&self) -> Option<&[String]> {
        match self {
            Rows::Csv(c) => Some(&c.header),
            Rows::Ndjson(_) => None,
        }
    }
}

impl Iterator for Rows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        match self {
            Rows::Csv(c) => c.next(),
            Rows::Ndjson(n) => n.next(),
        }
    }
}

/// Counts the records of `path` without keeping any (for the progress total).
pub fn count(path: &Path, format: Format) -> Option<u64> {
    let reader = open(path).ok()?;
    match format {
        Format::Csv => {
            let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
            let mut record = csv::ByteRecord::new();
            let mut n = 0;
            while csv.read_byte_record(&mut record).ok()? {
                n += 1;
            }
            Some(n)
        }
        Format::Ndjson => {
            let mut n = 0;
            for line in reader.split(b'\n') {
                if !line.ok()?.iter().all(u8::is_ascii_whitespace) {
                    n += 1;
                }
            }
            Some(n)
        }
    }
}

/// Line numbers of byte offsets, read forward on a second handle (the csv
/// crate's own line count is off by one after CRLF line ends).
struct Lines {
    reader: BufReader<File>,
    offset: u64,
    newlines: u64,
}

impl Lines {
    /// The 1-based line of byte `offset` (after any byte-order mark); offsets never go back.
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.offset < offset {
            let Ok(buf) = self.reader.fill_buf() else { break };
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min((offset - self.offset) as usize);
            self.newlines += buf[..take].iter().filter(|b| **b == b'\n').count() as u64;
            self.offset += take as u64;
            self.reader.consume(take);
        }
        // csv puts a record's start before the line ends that precede it (the
        // LF of a CRLF, blank lines it skips); a record never starts with one.
        while let Ok(buf) = self.reader.fill_buf() {
            let skip = buf.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
            if skip == 0 {
                break;
            }
            self.newlines += buf[..skip].iter().filter(|b| **b == b'\n').count() as u64;
            self.offset += skip as u64;
            self.reader.consume(skip);
        }
        self.newlines + 1
    }
}

pub struct CsvRows {
    reader: csv::Reader<BufReader<File>>,
    lines: Option<Lines>,
    header: Vec<String>,
    /// For each column of the file, its index in [`COLUMNS`].
    columns: Vec<usize>,
    base: PathBuf,
    row: u64,
    done: bool,
}

impl CsvRows {
    fn new(reader: BufReader<File>, lines: Option<Lines>, base: PathBuf) -> Result<CsvRows, String> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(reader);
        let header: Vec<String> = reader
            .byte_headers()
            .map_err(|e| format!("cannot read the header row: {e}"))?
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let mut columns = Vec::new();
        for name in &header {
            let Some(i) = COLUMNS.iter().position(|c| c == name) else {
                return Err(format!(
                    "unknown column {name:?} in the header row; the columns are the service's field names: {}",
                    COLUMNS.join(",")
                ));
            };
            if columns.contains(&i) {
                return Err(format!("column {name:?} appears twice in the header row"));
            }
            columns.push(i);
        }
        for required in ["email", "front"] {
            if !header.iter().any(|h| h == required) {
                return Err(format!("the header row has no {required:?} column"));
            }
        }
        Ok(CsvRows { reader, lines, header, columns, base, row: 0, done: false })
    }

    fn next(&mut self) -> Option<Row> {
        if self.done {
            return None;
        }
        let mut fields = csv::ByteRecord::new();
        match self.reader.read_byte_record(&mut fields) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                // The file itself failed (I/O): report it on a row of its own, then stop.
                self.done = true;
                self.row += 1;
                let line = e.position().map_or(0, |p| self.line_of(p));
                let error = row_error(format!("the input cannot be read past here: {e}"));
                return Some(Row { row: self.row, line, raw: Raw::Csv(Vec::new()), record: Err(error) });
            }
        }
        self.row += 1;
        let line = fields.position().map_or(0, |p| self.line_of(p));
        let raw = Raw::Csv(fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect());
        Some(Row { row: self.row, line, raw, record: self.record(&fields) })
    }

    fn line_of(&mut self, position: &csv::Position) -> u64 {
        match &mut self.lines {
            Some(lines) => lines.line_at(position.byte()),
            None => position.line(),
        }
    }

    fn record(&self, fields: &csv::ByteRecord) -> Result<Record, Error> {
        if fields.len() != self.columns.len() {
            return Err(Error::validation(
                "",
                format!("the row has {} fields, the header row has {}", fields.len(), self.columns.len()),
            ));
        }
        let mut record = Record::default();
        for (value, &column) in fields.iter().zip(&self.columns) {
            let name = COLUMNS[column];
            let text = std::str::from_utf8(value)
                .map_err(|_| Error::validation(field_name(name), format!("{name} is not valid UTF-8")))?;
            if text.is_empty() {
                continue;
            }
            match column {
                c if c < FRONT => record.values[c] = Some(text.to_owned()),
                FRONT => record.front = Some(Image::Path(self.base.join(text))),
                _ => record.back = Some(Image::Path(self.base.join(text))),
            }
        }
        Ok(record)
    }
}

/// A row that is not a record at all (no single field to name).
fn row_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Validation, message)
}

/// The service's field for a column: the images are `documents.front`/`back`.
fn field_name(column: &str) -> &str {
    match column {
        "front" => "documents.front",
        "back" => "documents.back",
        other => other,
    }
}

pub struct NdjsonRows {
    reader: BufReader<File>,
    base: PathBuf,
    line: u64,
    done: bool,
}

impl NdjsonRows {
    fn next(&mut self) -> Option<Row> {
        let mut bytes = Vec::new();
        loop {
            if self.done {
                return None;
            }
            bytes.clear();
            match self.reader.read_until(b'\n', &mut bytes) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    self.line += 1;
                    let error = row_error(format!("the input cannot be read past here: {e}"));
                    return Some(Row {
                        row: self.line,
                        line: self.line,
                        raw: Raw::Line(String::new()),
                        record: Err(error),
                    });
                }
            }
            self.line += 1;
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                break;
            }
        }
        let text = String::from_utf8_lossy(&bytes).trim_end_matches(['\r', '\n']).to_owned();
        let record = match std::str::from_utf8(&bytes) {
            Ok(line) => self.record(line),
            Err(_) => Err(row_error("the line is not valid UTF-8")),
        };
        Some(Row { row: self.line, line: self.line, raw: Raw::Line(text), record })
    }

    fn record(&self, line: &str) -> Result<Record, Error> {
        let invalid = |m: String| row_error(m);
        let Value::Object(object) =
            serde_json::from_str::<Value>(line).map_err(|e| invalid(format!("the line is not JSON: {e}")))?
        else {
            return Err(invalid("the line is not a JSON object".to_owned()));
        };
        let mut record = Record::default();
        let text = |name: &str, v: &Value| match v {
            Value::String(s) => Ok((!s.is_empty()).then(|| s.clone())),
            Value::Null => Ok(None),
            _ => Err(Error::validation(field_name(name), format!("{} must be a string", field_name(name)))),
        };
        for (name, value) in &object {
            match COLUMNS.iter().position(|c| c == name) {
                Some(c) if c < FRONT => record.values[c] = text(name, value)?,
                Some(FRONT) => record.front = text(name, value)?.map(|p| Image::Path(self.base.join(p))),
                Some(_) => record.back = text(name, value)?.map(|p| Image::Path(self.base.join(p))),
                None if name == "documents" => {
                    let Value::Object(documents) = value else {
                        return Err(Error::validation("documents", "documents must be {\"front\": base64, \"back\": base64}"));
                    };
                    for (side, value) in documents {
                        let field = format!("documents.{side}");
                        let image = text(&field, value)?.map(Image::Base64);
                        let slot = match side.as_str() {
                            "front" => &mut record.front,
                            "back" => &mut record.back,
                            _ => return Err(Error::validation(&field, format!("unknown member {field}"))),
                        };
                        if slot.is_some() && image.is_some() {
                            return Err(Error::validation(&field, format!("{side} and {field} are both given")));
                        }
                        if image.is_some() {
                            *slot = image;
                        }
                    }
                }
                None => {
                    return Err(invalid(format!(
                        "unknown member {name:?}; the members are the service's field names: {} (or documents.front/back as base64)",
                        COLUMNS.join(",")
                    )))
                }
            }
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dcams-cli-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn csv_with_bom_crlf_quoted_commas_and_empty_back() {
        let path = write(
            "a.csv",
            b"\xEF\xBB\xBFemail,fn,addr,front,back\r\na@example.com,Ann,\"1 Main St, Apt 2\",id/f.jpg,\r\nb@example.com,Bo,x,f.jpg,b.png\r\n",
        );
        let rows: Vec<Row> = Rows::open(&path, Format::Csv).unwrap().collect();
        assert_eq!(rows.len(), 2);
        let first = rows[0].record.as_ref().unwrap();
        assert_eq!((rows[0].row, rows[0].line), (1, 2));
        assert_eq!(first.email(), "a@example.com");
        assert_eq!(first.values[4].as_deref(), Some("1 Main St, Apt 2"));
        assert_eq!(first.front, Some(Image::Path(path.parent().unwrap().join("id/f.jpg"))));
        assert_eq!(first.back, None);
        assert_eq!(rows[1].record.as_ref().unwrap().back, Some(Image::Path(path.parent().unwrap().join("b.png"))));
        assert_eq!(count(&path, Format::Csv), Some(2));
    }

    #[test]
    fn csv_header_must_use_the_service_names() {
        let bad = write("b.csv", b"email,DOB,front\n");
        assert!(Rows::open(&bad, Format::Csv).err().unwrap().contains("\"DOB\""));
        let missing = write("c.csv", b"email,fn\n");
        assert!(Rows::open(&missing, Format::Csv).err().unwrap().contains("\"front\""));
    }

    #[test]
    fn bad_csv_rows_are_reported_and_reading_goes_on() {
        let path = write(
            "d.csv",
            b"email,dob,front\na@example.com,19800101\n\nb@example.com,\xff,f.jpg\r\n\"c@example.com\",,\"f\nx.jpg\"\nd@example.com,,f.jpg\n",
        );
        let rows: Vec<Row> = Rows::open(&path, Format::Csv).unwrap().collect();
        assert_eq!(rows.len(), 4);
        assert!(rows[0].record.as_ref().unwrap_err().message().contains("2 fields"));
        assert_eq!(rows[1].record.as_ref().unwrap_err().field(), Some("dob"));
        assert_eq!(rows[2].record.as_ref().unwrap().values[8], None);
        // Lines count the empty line, CRLF and the line break inside quotes.
        assert_eq!(rows.iter().map(|r| (r.row, r.line)).collect::<Vec<_>>(), [(1, 2), (2, 4), (3, 5), (4, 7)]);
    }

    #[test]
    fn ndjson_paths_and_base64() {
        let path = write(
            "e.ndjson",
            b"{\"email\":\"a@example.com\",\"front\":\"f.jpg\"}\n\n{\"email\":\"b@example.com\",\"documents\":{\"front\":\"iVBORw0KGgo=\"}}\n{\"email\":7}\nnot json\n",
        );
        let rows: Vec<Row> = Rows::open(&path, Format::Ndjson).unwrap().collect();
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [1, 3, 4, 5]);
        assert_eq!(rows[1].record.as_ref().unwrap().front, Some(Image::Base64("iVBORw0KGgo=".into())));
        assert_eq!(rows[2].record.as_ref().unwrap_err().field(), Some("email"));
        assert!(rows[3].record.is_err());
        assert_eq!(count(&path, Format::Ndjson), Some(4));
        assert_eq!(Format::of(&path), Format::Ndjson);
    }
}
