"""What a poster or wallet card says in one language, and the PDF of it.

Every word comes from data: the hotline's number from `Settings`, the language's
`<calling code>#` from `languages.csv`, the menu keys' short texts from the `poster:`
section of `ivr_scripts/prompts/<lang>.yaml`, the SMS keywords from
`ivr_scripts/sms/<lang>.yaml`. Japanese and English stand beside the worker's language
so a Japanese colleague or supporter can read the same poster.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import phonenumbers
from jinja2 import Environment, PackageLoader, select_autoescape

from hotline import languages
from hotline.config import Settings
from hotline.languages import Language
from hotline.pdf import NOTO_FONT_STACK, html_to_pdf, is_right_to_left
from hotline.sms import scripts as sms_scripts
from hotline.voice.scripts import get_scripts

FORMATS = ("a4", "card")
# The menu keys printed, in poster order, with their `poster:` text names (DESIGN.md).
MENU_KEYS = (
    ("1", "key_1"),
    ("2", "key_2"),
    ("3", "key_3"),
    ("4", "key_4"),
    ("9", "key_9"),
    ("0", "key_0"),
    ("*", "key_star"),
)
EMERGENCY_NUMBERS = "110 · 119"
NUMBER_PLACEHOLDER = "TWILIO_NUMBER not set"
# A keyword's first words are printed (the others are spellings for phones without accents).
PRINTED_WORDS = 2
# Keywords whose word is followed by a value the worker types.
_KEYWORD_ARGUMENTS = {"lang": "{calling_code}"}


class UnknownLanguage(ValueError):
    """A poster was asked for in a language the hotline does not support."""

    def __init__(self, code: str) -> None:
        supported = ", ".join(sorted(languages.LANGUAGES))
        super().__init__(f"unknown language {code!r}; choose one of: {supported}")


@dataclass(frozen=True)
class Text:
    """One poster text in the worker's language with its Japanese and English."""

    own: str
    ja: str
    en: str


@dataclass(frozen=True)
class MenuKey:
    key: str
    text: Text


@dataclass(frozen=True)
class Keyword:
    english: str  # the English word, which works in every language
    own: tuple[str, ...]  # the language's own words
    ja: tuple[str, ...]


@dataclass(frozen=True)
class Poster:
    language: Language
    right_to_left: bool
    number: str | None  # as dialled inside Japan; None: TWILIO_NUMBER is not set
    number_international: str | None
    selection: str  # e.g. "84#"
    headline: Text
    call: Text
    choose_language: Text
    keys: tuple[MenuKey, ...]
    text_us: Text
    keywords: tuple[Keyword, ...]


def _numbers(e164: str | None) -> tuple[str | None, str | None]:
    if not e164:
        return None, None
    number = phonenumbers.parse(e164, None)
    if not phonenumbers.is_valid_number(number):
        return e164, None
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if number.country_code == 81:
        return national, international
    return international, None


def poster_content(settings: Settings, code: str) -> Poster:
    """Everything one language's poster prints; UnknownLanguage for an unsupported code."""
    if code not in languages.LANGUAGES:
        raise UnknownLanguage(code)
    language = languages.get(code)
    voice = get_scripts(settings).languages
    own_texts, ja_texts, en_texts = voice[code].poster, voice["ja"].poster, voice["en"].poster

    def text(name: str) -> Text:
        return Text(own_texts[name].text, ja_texts[name].text, en_texts[name].text)

    sms = sms_scripts.default_scripts(settings).languages
    calling_code = language.calling_codes[0]
    keywords = []
    for keyword in sms_scripts.KEYWORDS:
        argument = _KEYWORD_ARGUMENTS.get(keyword, "").format(calling_code=calling_code)

        def words(lang: str, keyword: str = keyword, argument: str = argument) -> tuple[str, ...]:
            found = sms[lang].keywords.get(keyword, ())[:PRINTED_WORDS] if lang in sms else ()
            return tuple(f"{word} {argument}".strip() for word in found)

        english = f"{keyword.upper()} {argument}".strip()
        own = tuple(word for word in words(code) if word != english)
        keywords.append(Keyword(english, own, words("ja")))
    number, international = _numbers(settings.twilio_number)
    return Poster(
        language=language,
        right_to_left=is_right_to_left(own_texts["headline"].text),
        number=number,
        number_international=international,
        selection=f"{calling_code}#",
        headline=text("headline"),
        call=text("call"),
        choose_language=text("choose_language"),
        keys=tuple(MenuKey(key, text(name)) for key, name in MENU_KEYS),
        text_us=text("text_us"),
        keywords=tuple(keywords),
    )


@cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("hotline.posters", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.globals.update(
        font_stack=NOTO_FONT_STACK,
        emergency_numbers=EMERGENCY_NUMBERS,
        number_placeholder=NUMBER_PLACEHOLDER,
    )
    return env


def render_html(poster: Poster, page_format: str) -> str:
    if page_format not in FORMATS:
        raise ValueError(f"unknown format {page_format!r}; choose one of: {', '.join(FORMATS)}")
    return _templates().get_template(f"{page_format}.html").render(p=poster)


def render_pdf(settings: Settings, code: str, page_format: str = "a4") -> bytes:
    """The poster (`a4`, one page) or wallet card (`card`, front and back) as PDF bytes."""
    return html_to_pdf(render_html(poster_content(settings, code), page_format))
