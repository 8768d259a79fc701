//! Texts of the server-rendered pages, one TOML file per language embedded in the binary: the
//! officers' desk (kk, ru) and the public check page (kk, ru, en). Each page family names its
//! languages; this module loads and fills them.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The texts of one page family: per language code, a TOML table of key → text.
pub struct Catalog {
    sources: &'static [(&'static str, &'static str)],
    loaded: OnceLock<Vec<BTreeMap<String, String>>>,
}

impl Catalog {
    /// The catalog of `sources` (language code, TOML text), the default language first.
    pub const fn new(sources: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            sources,
            loaded: OnceLock::new(),
        }
    }

    /// The texts of the language `code`; the default language's for a code it lacks.
    pub fn texts(&self, code: &str) -> &BTreeMap<String, String> {
        // The files are part of the binary and checked by each family's tests: a syntax error
        // cannot reach a running service, and an empty table would show as missing texts, not
        // a crash.
        let loaded = self.loaded.get_or_init(|| {
            self.sources
                .iter()
                .map(|(_, source)| toml::from_str(source).unwrap_or_default())
                .collect()
        });
        let index = self
            .sources
            .iter()
            .position(|(known, _)| *known == code)
            .unwrap_or(0);
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        loaded.get(index).unwrap_or(&EMPTY)
    }

    /// The text `key` in the language `code`, with `{name}` placeholders filled from `values`;
    /// the key itself when no text has it.
    pub fn text(&self, code: &str, key: &str, values: &[(&str, &str)]) -> String {
        let mut out = self
            .texts(code)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string());
        for (name, value) in values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// Every language has the same keys, none empty, and more than `at_least` of them: the
    /// families' tests call it.
    pub fn assert_complete(&self, at_least: usize) {
        let (first, _) = self.sources[0];
        let keys = |code| self.texts(code).keys().cloned().collect::<Vec<_>>();
        assert!(
            self.texts(first).len() > at_least,
            "{first}.toml did not load"
        );
        for (code, _) in self.sources {
            assert_eq!(
                keys(first),
                keys(code),
                "{code} has other keys than {first}"
            );
            for (key, value) in self.texts(code) {
                assert!(!value.trim().is_empty(), "{key} is empty in {code}");
            }
        }
    }
}
