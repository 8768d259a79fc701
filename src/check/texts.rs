//! The check page's texts in Kazakh, Russian and English (templates-check/texts/*.toml, embedded
//! in the binary). The readers are mostly abroad: a browser that asks for none of the three
//! gets English.

use std::collections::BTreeMap;

use crate::texts::Catalog;

/// A language of the check page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Қазақ тілі.
    Kk,
    /// Русский язык.
    Ru,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order the page's switch shows them.
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    /// The language a code names (`kk`, `ru`, `en`, any case, a region ignored).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|lang| lang.code() == primary)
    }

    /// The page's language: `?lang=` when it names one, else the first of the browser's
    /// Accept-Language that the page has, else English.
    pub fn choose(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        query
            .and_then(Lang::from_code)
            .or_else(|| {
                accept_language.and_then(|header| {
                    accept_language::parse(header)
                        .iter()
                        .find_map(|tag| Lang::from_code(tag))
                })
            })
            .unwrap_or(Lang::En)
    }

    /// Its code, as in HTML's `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// Its name in itself, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Kk => "Қазақша",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }
}

static CHECK: Catalog = Catalog::new(&[
    ("en", include_str!("../../templates-check/texts/en.toml")),
    ("kk", include_str!("../../templates-check/texts/kk.toml")),
    ("ru", include_str!("../../templates-check/texts/ru.toml")),
]);

/// The texts of `lang`, by key.
pub fn texts(lang: Lang) -> &'static BTreeMap<String, String> {
    CHECK.texts(lang.code())
}

/// The text `key` in `lang`, with `{name}` placeholders filled from `values`.
pub fn text(lang: Lang, key: &str, values: &[(&str, &str)]) -> String {
    CHECK.text(lang.code(), key, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_text() {
        CHECK.assert_complete(40);
    }

    #[test]
    fn the_language_is_the_query_then_the_browser_then_english() {
        assert_eq!(Lang::choose(Some("ru"), Some("kk")), Lang::Ru);
        assert_eq!(Lang::choose(Some("fr"), Some("kk-KZ,ru;q=0.8")), Lang::Kk);
        assert_eq!(
            Lang::choose(None, Some("de-DE,de;q=0.9,ru;q=0.5")),
            Lang::Ru
        );
        assert_eq!(Lang::choose(None, Some("ru;q=0.4,en-GB;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, Some("de")), Lang::En);
        assert_eq!(Lang::choose(None, Some(";;,q=")), Lang::En);
        assert_eq!(Lang::choose(None, None), Lang::En);
    }

    #[test]
    fn the_test_warning_is_plain_in_english() {
        assert_eq!(
            text(Lang::En, "test_document", &[]),
            "TEST DOCUMENT — NOT VALID"
        );
    }
}
