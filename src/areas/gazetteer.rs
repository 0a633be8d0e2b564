//! The gazetteer: kecamatan and kelurahan with their Kemendagri codes, read
//! from CSV files, with aliases (other spellings, landmarks) and a name
//! index for texts. It holds no polygons and knows no rules.

use super::names::NameIndex;
use super::{AreaError, AreaFound, AreaRef, AreaSource};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kecamatan {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kelurahan {
    pub code: String,
    pub name: String,
    pub kecamatan_code: String,
}

#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    kecamatan: BTreeMap<String, Kecamatan>,
    kelurahan: BTreeMap<String, Kelurahan>,
    names: NameIndex,
}

/// `1371111009` -> `13.71.11.1009`; dotted codes are kept as written.
pub fn canonical_code(code: &str) -> String {
    let code = code.trim();
    if code.bytes().all(|b| b.is_ascii_digit()) {
        match code.len() {
            6 => return format!("{}.{}.{}", &code[..2], &code[2..4], &code[4..]),
            10 => {
                return format!(
                    "{}.{}.{}.{}",
                    &code[..2],
                    &code[2..4],
                    &code[4..6],
                    &code[6..]
                )
            }
            _ => {}
        }
    }
    code.to_string()
}

impl Gazetteer {
    pub fn kecamatan(&self) -> impl Iterator<Item = &Kecamatan> {
        self.kecamatan.values()
    }

    pub fn kelurahan(&self) -> impl Iterator<Item = &Kelurahan> {
        self.kelurahan.values()
    }

    pub fn is_empty(&self) -> bool {
        self.kecamatan.is_empty()
    }

    /// The area named by a code or a name (names compared tolerantly).
    pub fn resolve(&self, code_or_name: &str) -> Option<AreaRef> {
        let code = canonical_code(code_or_name);
        if self.kelurahan.contains_key(&code) {
            return Some(AreaRef::Kelurahan(code));
        }
        if self.kecamatan.contains_key(&code) {
            return Some(AreaRef::Kecamatan(code));
        }
        self.names
            .resolve_name(&crate::normalize::words(code_or_name))
    }

    /// The full description of an area for a decision.
    pub fn found(&self, area: &AreaRef, source: AreaSource) -> Option<AreaFound> {
        let (kecamatan_code, kelurahan) = match area {
            AreaRef::Kecamatan(code) => (code.clone(), None),
            AreaRef::Kelurahan(code) => {
                let k = self.kelurahan.get(code)?;
                (k.kecamatan_code.clone(), Some(k))
            }
        };
        let kecamatan = self.kecamatan.get(&kecamatan_code)?;
        Some(AreaFound {
            kecamatan_code,
            kecamatan: kecamatan.name.clone(),
            kelurahan_code: kelurahan.map(|k| k.code.clone()),
            kelurahan: kelurahan.map(|k| k.name.clone()),
            source,
            evidence: String::new(),
        })
    }

    /// The area a text names (see [`NameIndex::find`]).
    pub fn find_in_words(&self, words: &[String]) -> Option<AreaFound> {
        let (area, evidence) = self.names.find(words)?;
        let mut found = self.found(&area, AreaSource::Text)?;
        found.evidence = evidence;
        Some(found)
    }
}

/// Collects rows from CSV files, then checks and indexes them.
#[derive(Default)]
pub(super) struct Builder {
    kecamatan: BTreeMap<String, (Kecamatan, PathBuf, usize)>,
    kelurahan: BTreeMap<String, (Kelurahan, PathBuf, usize)>,
    aliases: Vec<(String, String, PathBuf, usize)>,
}

fn err(file: &Path, line: Option<usize>, message: impl Into<String>) -> AreaError {
    AreaError {
        file: file.to_path_buf(),
        line,
        message: message.into(),
    }
}

impl Builder {
    /// Reads a CSV of areas (`code,kecamatan_code,kecamatan,kelurahan`) or
    /// of aliases (`alias,code`); `#` starts a comment line.
    pub fn add_csv(&mut self, file: &Path) -> Result<(), AreaError> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .flexible(true)
            .from_path(file)
            .map_err(|e| err(file, None, e.to_string()))?;
        let headers = reader
            .headers()
            .map_err(|e| err(file, None, e.to_string()))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let areas = (
            column("code"),
            column("kecamatan_code"),
            column("kecamatan"),
            column("kelurahan"),
        );
        let aliases = (column("alias"), column("code"));
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line() as usize);
                err(file, line, e.to_string())
            })?;
            let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
            let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
            match (areas, aliases) {
                ((Some(_), Some(kc), Some(kn), Some(_)), _) => {
                    let kec_code = canonical_code(get(Some(kc)));
                    let kec_name = get(Some(kn));
                    if kec_code.is_empty() || kec_name.is_empty() {
                        return Err(err(file, Some(line), "kecamatan_code and kecamatan are required / kode dan nama kecamatan wajib diisi"));
                    }
                    self.add_kecamatan(file, line, &kec_code, kec_name)?;
                    let code = canonical_code(get(areas.0));
                    let name = get(areas.3);
                    if !name.is_empty() && code != kec_code {
                        self.add_kelurahan(file, line, &code, name, &kec_code)?;
                    }
                }
                (_, (Some(_), Some(_))) => {
                    let alias = get(aliases.0);
                    let code = canonical_code(get(aliases.1));
                    if alias.is_empty() || code.is_empty() {
                        return Err(err(
                            file,
                            Some(line),
                            "alias and code are required / alias dan kode wajib diisi",
                        ));
                    }
                    self.aliases
                        .push((alias.to_string(), code, file.to_path_buf(), line));
                }
                _ => {
                    return Err(err(
                        file,
                        Some(1),
                        "unknown columns: expected `code,kecamatan_code,kecamatan,kelurahan` or `alias,code` / kolom tidak dikenal",
                    ))
                }
            }
        }
        Ok(())
    }

    fn add_kecamatan(
        &mut self,
        file: &Path,
        line: usize,
        code: &str,
        name: &str,
    ) -> Result<(), AreaError> {
        if let Some((existing, f, l)) = self.kecamatan.get(code) {
            if existing.name != name {
                return Err(err(
                    file,
                    Some(line),
                    format!(
                        "kecamatan {code} is `{name}` here but `{}` at {}:{l}",
                        existing.name,
                        f.display()
                    ),
                ));
            }
            return Ok(());
        }
        self.kecamatan.insert(
            code.to_string(),
            (
                Kecamatan {
                    code: code.to_string(),
                    name: name.to_string(),
                },
                file.to_path_buf(),
                line,
            ),
        );
        Ok(())
    }

    fn add_kelurahan(
        &mut self,
        file: &Path,
        line: usize,
        code: &str,
        name: &str,
        kecamatan_code: &str,
    ) -> Result<(), AreaError> {
        if !code.starts_with(&format!("{kecamatan_code}.")) {
            return Err(err(
                file,
                Some(line),
                format!(
                    "kelurahan code {code} does not start with its kecamatan code {kecamatan_code}"
                ),
            ));
        }
        if let Some((_, f, l)) = self.kelurahan.get(code) {
            return Err(err(
                file,
                Some(line),
                format!(
                    "kelurahan {code} is listed twice (also at {}:{l})",
                    f.display()
                ),
            ));
        }
        self.kelurahan.insert(
            code.to_string(),
            (
                Kelurahan {
                    code: code.to_string(),
                    name: name.to_string(),
                    kecamatan_code: kecamatan_code.to_string(),
                },
                file.to_path_buf(),
                line,
            ),
        );
        Ok(())
    }

    pub fn build(self) -> Result<Gazetteer, AreaError> {
        let kecamatan: BTreeMap<_, _> = self
            .kecamatan
            .into_iter()
            .map(|(c, (k, _, _))| (c, k))
            .collect();
        let kelurahan: BTreeMap<_, _> = self
            .kelurahan
            .into_iter()
            .map(|(c, (k, _, _))| (c, k))
            .collect();
        let mut aliases = Vec::with_capacity(self.aliases.len());
        for (alias, code, file, line) in self.aliases {
            let area = if kelurahan.contains_key(&code) {
                AreaRef::Kelurahan(code)
            } else if kecamatan.contains_key(&code) {
                AreaRef::Kecamatan(code)
            } else {
                return Err(err(
                    &file,
                    Some(line),
                    format!(
                        "alias `{alias}`: unknown area code {code} / kode wilayah tidak dikenal"
                    ),
                ));
            };
            aliases.push((alias, area));
        }
        let names = NameIndex::build(kecamatan.values(), kelurahan.values(), &aliases);
        Ok(Gazetteer {
            kecamatan,
            kelurahan,
            names,
        })
    }
}

impl Gazetteer {
    /// Builds a gazetteer in code, for tests and benchmarks: rows of
    /// (code, kecamatan code, kecamatan, kelurahan) and (alias, code).
    pub fn from_rows(
        rows: &[(&str, &str, &str, &str)],
        aliases: &[(&str, &str)],
    ) -> Result<Gazetteer, AreaError> {
        let mut b = Builder::default();
        let here = Path::new("<memory>");
        for (i, (code, kec_code, kec, kel)) in rows.iter().enumerate() {
            b.add_kecamatan(here, i + 1, &canonical_code(kec_code), kec)?;
            if !kel.is_empty() {
                b.add_kelurahan(
                    here,
                    i + 1,
                    &canonical_code(code),
                    kel,
                    &canonical_code(kec_code),
                )?;
            }
        }
        for (i, (alias, code)) in aliases.iter().enumerate() {
            b.aliases.push((
                alias.to_string(),
                canonical_code(code),
                here.to_path_buf(),
                i + 1,
            ));
        }
        b.build()
    }
}
