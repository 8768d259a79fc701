//! The desk's texts, one file per language (templates-desk/texts/kk.toml, ru.toml), embedded in
//! the binary ([`crate::texts`]). Kazakh is the default; Russian is one click away and remembered in a cookie.

use std::collections::BTreeMap;

use crate::texts::Catalog;

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

static DESK: Catalog = Catalog::new(&[
    ("kk", include_str!("../../templates-desk/texts/kk.toml")),
    ("ru", include_str!("../../templates-desk/texts/ru.toml")),
]);

/// The texts of `lang`, by key.
pub fn texts(lang: Lang) -> &'static BTreeMap<String, String> {
    DESK.texts(lang.code())
}

/// The text `key` in `lang`, with `{name}` placeholders filled from `values`.
pub fn text(lang: Lang, key: &str, values: &[(&str, &str)]) -> String {
    DESK.text(lang.code(), key, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_text() {
        DESK.assert_complete(40);
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
