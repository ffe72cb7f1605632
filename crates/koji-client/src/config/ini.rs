//! A reader for koji's INI files that behaves like Python's
//! `configparser.ConfigParser` with the settings koji uses: `=` and `:`
//! delimiters, full-line `#`/`;` comments only, indented continuation
//! lines, blank lines kept inside values, case-sensitive section names,
//! lower-cased option names, a `[DEFAULT]` section, strict mode (duplicates
//! within one file are errors), no valueless options, and
//! `BasicInterpolation` (`%(name)s`, `%%`).
//!
//! Like Python, all files are read into one [`Ini`]: a section that
//! appears in several files is merged, and later files replace earlier
//! values option by option.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, InterpolationErrorKind, SyntaxErrorKind};
use super::pyvalue::{is_space, rstrip, strip};

/// The name of the section whose options every other section inherits.
pub(crate) const DEFAULT_SECTION: &str = "DEFAULT";

/// Python's `configparser.MAX_INTERPOLATION_DEPTH`.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// Our own cap on an expanded value, so that a file of nested references
/// cannot exhaust memory (Python has none and would hang).
const MAX_EXPANDED_LEN: usize = 1 << 20;

/// A map that remembers insertion order; replacing a value keeps its place,
/// like a Python `dict`.
pub(crate) type OrderedMap<V> = indexmap::IndexMap<String, V>;

/// One option value and the file that set it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) value: String,
    /// Index into [`Ini::files`].
    pub(crate) file: usize,
}

/// One section: its options and the files that have its header.
#[derive(Debug, Clone, Default)]
pub(crate) struct Section {
    pub(crate) options: OrderedMap<Entry>,
    /// Indexes into [`Ini::files`], in reading order, without repeats.
    pub(crate) files: Vec<usize>,
}

impl Section {
    fn note_file(&mut self, file: usize) {
        if self.files.last() != Some(&file) {
            self.files.push(file);
        }
    }
}

/// Everything read from a sequence of files, like one Python
/// `ConfigParser` after several `read()` calls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ini {
    /// The files read, in order.
    pub(crate) files: Vec<PathBuf>,
    pub(crate) defaults: Section,
    pub(crate) sections: OrderedMap<Section>,
}

/// Where the parser currently puts options.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Current {
    Defaults,
    Named(String),
}

impl Current {
    fn name(&self) -> &str {
        match self {
            Current::Defaults => DEFAULT_SECTION,
            Current::Named(name) => name,
        }
    }
}

/// Splits text into lines the way Python's text files do with universal
/// newlines: `\n`, `\r\n` and a lone `\r` all end a line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find(['\n', '\r']) {
            None => {
                let line = rest;
                rest = "";
                Some(line)
            }
            Some(i) => {
                let line = rest.get(..i).unwrap_or_default();
                let skip = if rest.get(i..).is_some_and(|r| r.starts_with("\r\n")) {
                    2
                } else {
                    1
                };
                rest = rest.get(i + skip..).unwrap_or_default();
                Some(line)
            }
        }
    })
}

/// The name in a `[name]` header, as Python's `\[(?P<header>.+)\]` matches
/// at the start of the stripped line: up to the last `]`, with at least one
/// character in between. Text after that `]` is ignored, as in Python.
fn section_header(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('[')?;
    let close = inner.rfind(']')?;
    if close == 0 {
        return None;
    }
    inner.get(..close)
}

/// The number of leading whitespace characters (Python counts characters,
/// not bytes).
fn indent(line: &str) -> usize {
    line.chars().take_while(|&c| is_space(c)).count()
}

impl Ini {
    /// The section for `current`, which the parser has already created.
    fn section_mut(&mut self, current: &Current) -> Option<&mut Section> {
        match current {
            Current::Defaults => Some(&mut self.defaults),
            Current::Named(name) => self.sections.get_mut(name),
        }
    }

    /// Reads one file's text, as `ConfigParser._read` does.
    pub(crate) fn read_str(&mut self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let file = self.files.len();
        self.files.push(path.to_owned());
        let syntax = |line: usize, kind: SyntaxErrorKind| ConfigError::Syntax {
            path: path.to_owned(),
            line,
            kind,
        };

        let mut added_sections: HashSet<String> = HashSet::new();
        let mut added_options: HashSet<(String, String)> = HashSet::new();
        let mut current: Option<Current> = None;
        // The option that continuation lines extend; Python treats an empty
        // name as "none".
        let mut option: Option<String> = None;
        let mut indent_level = 0usize;
        // Python collects plain parsing errors and raises the first at the
        // end of the file, unless a fatal error comes first.
        let mut deferred: Option<ConfigError> = None;

        for (index, raw_line) in lines(text).enumerate() {
            let lineno = index + 1;
            let stripped = strip(raw_line);
            let is_comment = stripped.starts_with('#') || stripped.starts_with(';');
            let value = if is_comment { "" } else { stripped };
            let has_option = option.as_deref().is_some_and(|o| !o.is_empty());

            if value.is_empty() {
                // A blank line (not a comment) inside a value is kept as an
                // empty line of that value; trailing ones are stripped later.
                if !is_comment && has_option {
                    if let (Some(cur), Some(name)) = (current.clone(), option.as_deref()) {
                        if let Some(entry) =
                            self.section_mut(&cur).and_then(|s| s.options.get_mut(name))
                        {
                            entry.value.push('\n');
                        }
                    }
                }
                continue;
            }

            let cur_indent = indent(raw_line);
            if current.is_some() && has_option && cur_indent > indent_level {
                if let (Some(cur), Some(name)) = (current.clone(), option.as_deref()) {
                    if let Some(entry) =
                        self.section_mut(&cur).and_then(|s| s.options.get_mut(name))
                    {
                        entry.value.push('\n');
                        entry.value.push_str(value);
                    }
                }
                continue;
            }

            indent_level = cur_indent;
            if let Some(name) = section_header(value) {
                if let Some(section) = self.sections.get_mut(name) {
                    if added_sections.contains(name) {
                        return Err(syntax(
                            lineno,
                            SyntaxErrorKind::DuplicateSection {
                                section: name.to_owned(),
                            },
                        ));
                    }
                    section.note_file(file);
                    added_sections.insert(name.to_owned());
                    current = Some(Current::Named(name.to_owned()));
                } else if name == DEFAULT_SECTION {
                    self.defaults.note_file(file);
                    current = Some(Current::Defaults);
                } else {
                    let mut section = Section::default();
                    section.note_file(file);
                    self.sections.insert(name.to_owned(), section);
                    added_sections.insert(name.to_owned());
                    current = Some(Current::Named(name.to_owned()));
                }
                option = None;
                continue;
            }

            let Some(cur) = current.clone() else {
                return Err(syntax(lineno, SyntaxErrorKind::MissingSectionHeader));
            };

            let Some(delim) = value.find(['=', ':']) else {
                deferred.get_or_insert_with(|| syntax(lineno, SyntaxErrorKind::MissingDelimiter));
                continue;
            };
            let raw_name = rstrip(value.get(..delim).unwrap_or_default());
            if raw_name.is_empty() {
                deferred.get_or_insert_with(|| syntax(lineno, SyntaxErrorKind::EmptyOptionName));
            }
            let name = raw_name.to_lowercase();
            let key = (cur.name().to_owned(), name.clone());
            if added_options.contains(&key) {
                return Err(syntax(
                    lineno,
                    SyntaxErrorKind::DuplicateOption {
                        section: key.0,
                        option: key.1,
                    },
                ));
            }
            added_options.insert(key);
            let val = strip(value.get(delim + 1..).unwrap_or_default()).to_owned();
            if let Some(section) = self.section_mut(&cur) {
                section
                    .options
                    .insert(name.clone(), Entry { value: val, file });
            }
            option = Some(name);
        }

        // Python joins multi-line values and strips trailing whitespace
        // (the blank lines kept above) once per file read.
        let all = std::iter::once(&mut self.defaults).chain(self.sections.values_mut());
        for section in all {
            for entry in section.options.values_mut() {
                let keep = rstrip(&entry.value).len();
                entry.value.truncate(keep);
            }
        }

        match deferred {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Whether a (non-DEFAULT) section of this name was read.
    pub(crate) fn has_section(&self, name: &str) -> bool {
        self.sections.contains_key(name)
    }

    /// The options a section sees, as `ConfigParser.items(section, raw=True)`:
    /// `[DEFAULT]` options first, in their order, then the section's own,
    /// with the section's values winning. Each comes with whether it was
    /// set in `[DEFAULT]`.
    pub(crate) fn raw_items(&self, section: &str) -> Option<OrderedMap<(&Entry, bool)>> {
        let own = self.sections.get(section)?;
        let mut map: OrderedMap<(&Entry, bool)> = OrderedMap::default();
        for (name, entry) in self.defaults.options.iter() {
            map.insert(name.to_owned(), (entry, true));
        }
        for (name, entry) in own.options.iter() {
            map.insert(name.to_owned(), (entry, false));
        }
        Some(map)
    }
}

/// Expands `%(name)s` and `%%` in `value` as Python's `BasicInterpolation`
/// does, looking names up (lower-cased) with `lookup`. A referenced value
/// that itself contains `%` is expanded in turn, up to 10 levels.
pub(crate) fn interpolate<'a, F>(value: &str, lookup: &F) -> Result<String, InterpolationErrorKind>
where
    F: Fn(&str) -> Option<&'a str>,
{
    let mut out = String::with_capacity(value.len());
    interpolate_into(&mut out, value, lookup, 1)?;
    Ok(out)
}

fn interpolate_into<'a, F>(
    out: &mut String,
    value: &str,
    lookup: &F,
    depth: usize,
) -> Result<(), InterpolationErrorKind>
where
    F: Fn(&str) -> Option<&'a str>,
{
    if depth > MAX_INTERPOLATION_DEPTH {
        return Err(InterpolationErrorKind::DepthExceeded);
    }
    let mut rest = value;
    while !rest.is_empty() {
        let Some(p) = rest.find('%') else {
            push_capped(out, rest)?;
            return Ok(());
        };
        push_capped(out, rest.get(..p).unwrap_or_default())?;
        rest = rest.get(p + 1..).unwrap_or_default();
        if let Some(after) = rest.strip_prefix('%') {
            push_capped(out, "%")?;
            rest = after;
        } else if let Some(after) = rest.strip_prefix('(') {
            // `%\(([^)]+)\)s`: a non-empty name up to the first `)`, then `s`.
            let close = after.find(')').ok_or(InterpolationErrorKind::BadSyntax)?;
            let tail = after.get(close + 1..).unwrap_or_default();
            let Some(tail) = tail.strip_prefix('s') else {
                return Err(InterpolationErrorKind::BadSyntax);
            };
            if close == 0 {
                return Err(InterpolationErrorKind::BadSyntax);
            }
            let name = after.get(..close).unwrap_or_default().to_lowercase();
            rest = tail;
            let referenced = lookup(&name)
                .ok_or(InterpolationErrorKind::MissingReference { reference: name })?;
            if referenced.contains('%') {
                interpolate_into(out, referenced, lookup, depth + 1)?;
            } else {
                push_capped(out, referenced)?;
            }
        } else {
            return Err(InterpolationErrorKind::BadSyntax);
        }
    }
    Ok(())
}

fn push_capped(out: &mut String, s: &str) -> Result<(), InterpolationErrorKind> {
    if out.len() + s.len() > MAX_EXPANDED_LEN {
        return Err(InterpolationErrorKind::TooLong);
    }
    out.push_str(s);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> Result<Ini, ConfigError> {
        let mut ini = Ini::default();
        ini.read_str(text, Path::new("/test.conf"))?;
        Ok(ini)
    }

    fn value(ini: &Ini, section: &str, option: &str) -> Option<String> {
        let s = if section == DEFAULT_SECTION {
            &ini.defaults
        } else {
            ini.sections.get(section)?
        };
        s.options.get(option).map(|e| e.value.clone())
    }

    fn syntax_kind(err: ConfigError) -> (usize, SyntaxErrorKind) {
        match err {
            ConfigError::Syntax { line, kind, .. } => (line, kind),
            other => panic!("not a syntax error: {other:?}"),
        }
    }

    #[test]
    fn both_delimiters_and_whitespace_around_them() {
        let ini = parse("[s]\na=1\nb : 2\nc\t=\t three  \nd = x = y\ne: f = g\nh =\n").unwrap();
        assert_eq!(value(&ini, "s", "a").as_deref(), Some("1"));
        assert_eq!(value(&ini, "s", "b").as_deref(), Some("2"));
        assert_eq!(value(&ini, "s", "c").as_deref(), Some("three"));
        assert_eq!(value(&ini, "s", "d").as_deref(), Some("x = y"));
        assert_eq!(value(&ini, "s", "e").as_deref(), Some("f = g"));
        assert_eq!(value(&ini, "s", "h").as_deref(), Some(""));
    }

    #[test]
    fn full_line_comments_only() {
        let ini = parse(
            "# top\n; top\n[s]\n  # indented comment\na = 1 # not a comment\nb = 2 ; nor this\n",
        )
        .unwrap();
        assert_eq!(value(&ini, "s", "a").as_deref(), Some("1 # not a comment"));
        assert_eq!(value(&ini, "s", "b").as_deref(), Some("2 ; nor this"));
        assert_eq!(ini.sections.get("s").unwrap().options.keys().count(), 2);
    }

    #[test]
    fn continuation_lines_and_blank_lines_inside_values() {
        let text =
            "[s]\na = one\n  two\n\n    three\n\n\nb = x\n  # comment skipped\n  y\nc =\n  42\n";
        let ini = parse(text).unwrap();
        assert_eq!(value(&ini, "s", "a").as_deref(), Some("one\ntwo\n\nthree"));
        assert_eq!(value(&ini, "s", "b").as_deref(), Some("x\ny"));
        assert_eq!(value(&ini, "s", "c").as_deref(), Some("\n42"));
    }

    #[test]
    fn continuation_depends_on_the_option_lines_indent() {
        // An indented option line sets the level; a line indented no deeper
        // is a new option, not a continuation.
        let ini = parse("[s]\n  a = 1\n  b = 2\n    more\n").unwrap();
        assert_eq!(value(&ini, "s", "a").as_deref(), Some("1"));
        assert_eq!(value(&ini, "s", "b").as_deref(), Some("2\nmore"));
        // An indented header right after an option is part of its value.
        let ini = parse("[s]\na = 1\n  [t]\n").unwrap();
        assert_eq!(value(&ini, "s", "a").as_deref(), Some("1\n[t]"));
        assert!(!ini.has_section("t"));
        // An indented line right after a header is an option.
        let ini = parse("[s]\n   a = 1\n").unwrap();
        assert_eq!(value(&ini, "s", "a").as_deref(), Some("1"));
    }

    #[test]
    fn section_names_are_case_sensitive_and_option_names_lower_cased() {
        let ini = parse("[Koji]\nSERVER = a\n[koji]\nServer = b\n").unwrap();
        assert_eq!(value(&ini, "Koji", "server").as_deref(), Some("a"));
        assert_eq!(value(&ini, "koji", "server").as_deref(), Some("b"));
    }

    #[test]
    fn section_header_details() {
        let ini = parse("[ spaced ]\na=1\n[x] trailing\nb=2\n[a]b]\nc=3\n").unwrap();
        assert!(ini.has_section(" spaced "));
        assert_eq!(value(&ini, "x", "b").as_deref(), Some("2"));
        assert_eq!(value(&ini, "a]b", "c").as_deref(), Some("3"));
        // `[]` is not a header; before any section that is an error.
        assert_eq!(
            syntax_kind(parse("[]\n").unwrap_err()),
            (1, SyntaxErrorKind::MissingSectionHeader)
        );
    }

    #[test]
    fn universal_newlines() {
        let ini = parse("[s]\r\na = 1\r\n  2\rb = 3").unwrap();
        assert_eq!(value(&ini, "s", "a").as_deref(), Some("1\n2"));
        assert_eq!(value(&ini, "s", "b").as_deref(), Some("3"));
    }

    #[test]
    fn default_section() {
        let ini = parse("[DEFAULT]\nx = 1\n[s]\ny = 2\n[DEFAULT]\nz = 3\n").unwrap();
        assert_eq!(value(&ini, DEFAULT_SECTION, "z").as_deref(), Some("3"));
        assert!(!ini.has_section(DEFAULT_SECTION));
        let items = ini.raw_items("s").unwrap();
        let keys: Vec<&str> = items.keys().map(String::as_str).collect();
        assert_eq!(keys, ["x", "z", "y"]);
        assert!(items.get("x").unwrap().1);
        assert!(!items.get("y").unwrap().1);
    }

    #[test]
    fn errors_with_line_numbers() {
        assert_eq!(
            syntax_kind(parse("\n# c\na = 1\n").unwrap_err()),
            (3, SyntaxErrorKind::MissingSectionHeader)
        );
        assert_eq!(
            syntax_kind(parse("[s]\na=1\n[t]\n[s]\n").unwrap_err()),
            (
                4,
                SyntaxErrorKind::DuplicateSection {
                    section: "s".into()
                }
            )
        );
        assert_eq!(
            syntax_kind(parse("[s]\na=1\nA=2\n").unwrap_err()),
            (
                3,
                SyntaxErrorKind::DuplicateOption {
                    section: "s".into(),
                    option: "a".into()
                }
            )
        );
        // Duplicate options in DEFAULT count across its headers in one file.
        assert_eq!(
            syntax_kind(parse("[DEFAULT]\na=1\n[DEFAULT]\na=2\n").unwrap_err()),
            (
                4,
                SyntaxErrorKind::DuplicateOption {
                    section: "DEFAULT".into(),
                    option: "a".into()
                }
            )
        );
        assert_eq!(
            syntax_kind(parse("[s]\nflag\n").unwrap_err()),
            (2, SyntaxErrorKind::MissingDelimiter)
        );
        assert_eq!(
            syntax_kind(parse("[s]\n= x\n").unwrap_err()),
            (2, SyntaxErrorKind::EmptyOptionName)
        );
        // A plain parsing error is reported at the end of the file, so a
        // later fatal error wins, as in Python.
        assert_eq!(
            syntax_kind(parse("[s]\nflag\na=1\na=2\n").unwrap_err()),
            (
                4,
                SyntaxErrorKind::DuplicateOption {
                    section: "s".into(),
                    option: "a".into()
                }
            )
        );
    }

    #[test]
    fn files_merge_and_later_values_win() {
        let mut ini = Ini::default();
        ini.read_str("[s]\na = 1\nb = 1\n[DEFAULT]\nd = 1\n", Path::new("/one"))
            .unwrap();
        ini.read_str("[s]\nb = 2\n[DEFAULT]\nd = 2\n", Path::new("/two"))
            .unwrap();
        assert_eq!(value(&ini, "s", "a").as_deref(), Some("1"));
        assert_eq!(value(&ini, "s", "b").as_deref(), Some("2"));
        assert_eq!(value(&ini, DEFAULT_SECTION, "d").as_deref(), Some("2"));
        let section = ini.sections.get("s").unwrap();
        assert_eq!(section.files, [0, 1]);
        assert_eq!(section.options.get("a").unwrap().file, 0);
        assert_eq!(section.options.get("b").unwrap().file, 1);
    }

    fn expand(
        value: &str,
        pairs: &[(&'static str, &'static str)],
    ) -> Result<String, InterpolationErrorKind> {
        let lookup = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        interpolate(value, &lookup)
    }

    #[test]
    fn interpolation() {
        let vars = [
            ("host", "example.com"),
            ("url", "https://%(host)s/x"),
            ("pct", "100%%"),
        ];
        assert_eq!(
            expand("%(url)s/hub", &vars).unwrap(),
            "https://example.com/x/hub"
        );
        assert_eq!(expand("%(HOST)s", &vars).unwrap(), "example.com");
        assert_eq!(expand("a%%b", &vars).unwrap(), "a%b");
        assert_eq!(expand("%(pct)s", &vars).unwrap(), "100%");
        assert_eq!(
            expand("%(nope)s", &vars),
            Err(InterpolationErrorKind::MissingReference {
                reference: "nope".into()
            })
        );
        for bad in ["%", "50%", "%d", "%(host)d", "%()s", "%(host"] {
            assert_eq!(
                expand(bad, &vars),
                Err(InterpolationErrorKind::BadSyntax),
                "{bad}"
            );
        }
    }

    #[test]
    fn interpolation_depth_limit_is_ten() {
        // "%(a0)s" -> a0 -> a1 -> ... -> "end": each value containing '%'
        // is one level; the value asked for is level 1.
        let names: Vec<String> = (0..12).map(|i| format!("a{i}")).collect();
        let chain = |levels: usize| -> Vec<(String, String)> {
            (0..levels)
                .map(|i| {
                    let v = if i + 1 < levels {
                        format!("%({})s", names[i + 1])
                    } else {
                        "end".to_owned()
                    };
                    (names[i].clone(), v)
                })
                .collect()
        };
        for (levels, ok) in [(9, true), (10, true), (11, false)] {
            let pairs = chain(levels);
            let lookup = |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            let result = interpolate("%(a0)s", &lookup);
            assert_eq!(result.is_ok(), ok, "{levels} levels: {result:?}");
        }
        let looped = [("a", "%(a)s")];
        assert_eq!(
            expand("%(a)s", &looped),
            Err(InterpolationErrorKind::DepthExceeded)
        );
    }

    #[test]
    fn interpolation_bomb_is_capped() {
        let pairs: Vec<(String, String)> = (0..9)
            .map(|i| (format!("b{i}"), format!("%(b{})s", i + 1).repeat(64)))
            .chain(std::iter::once(("b9".to_owned(), "x".repeat(64))))
            .collect();
        let lookup = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            interpolate("%(b0)s", &lookup),
            Err(InterpolationErrorKind::TooLong)
        );
    }
}
