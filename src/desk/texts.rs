//! The desk's texts, one file per language (templates-desk/texts/kk.toml, ru.toml), embedded in
//! the binary. Kazakh is the default; Russian is one click away and remembered in a cookie.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A language of the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Қазақ тілі (the default).
    Kk,
    /// Русский язык.
    Ru,
}

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::Kk, Lang::Ru];

    /// The language a code names (`kk`, `ru`); the default for anything else.
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some("ru") => Lang::Ru,
            _ => Lang::Kk,
        }
    }

    /// Its code, as in HTML's `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
        }
    }
}

/// The texts of `lang`, by key.
pub fn texts(lang: Lang) -> &'static BTreeMap<String, String> {
    static KK: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    static RU: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let (cell, source) = match lang {
        Lang::Kk => (&KK, include_str!("../../templates-desk/texts/kk.toml")),
        Lang::Ru => (&RU, include_str!("../../templates-desk/texts/ru.toml")),
    };
    // The files are part of the binary and checked by the tests below: a syntax error cannot
    // reach a running service, and an empty table would show as missing texts, not a crash.
    cell.get_or_init(|| toml::from_str(source).unwrap_or_default())
}

/// The text `key` in `lang`, with `{name}` placeholders filled from `values`.
pub fn text(lang: Lang, key: &str, values: &[(&str, &str)]) -> String {
    let mut out = texts(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string());
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_text() {
        let keys = |lang| texts(lang).keys().cloned().collect::<Vec<_>>();
        assert!(texts(Lang::Kk).len() > 40, "kk.toml did not load");
        assert_eq!(keys(Lang::Kk), keys(Lang::Ru));
        for lang in Lang::ALL {
            for (key, value) in texts(lang) {
                assert!(!value.trim().is_empty(), "{key} is empty in {lang:?}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            text(Lang::Ru, "summary", &[("valid", "2"), ("total", "3")]),
            "Действительны 2 из 3 подписей"
        );
        assert_eq!(Lang::from_code(Some("fr")), Lang::Kk);
    }
}
