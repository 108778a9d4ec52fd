"""TwiML documents as text: exactly what `str(document)` gives, without ElementTree.

`twilio`'s `TwiML.to_xml` builds an ElementTree from the document and serialises it with
`ET.tostring`, about 50 µs for a menu answer. `to_xml` writes the same characters
straight from the document's `.name`, `.attrs`, `.value` and `.verbs`, following
`TwiML.xml` (attributes sorted, bools lower-cased, a dict value as JSON, a string child
as the text or the previous verb's tail) and ElementTree's own escaping and empty
elements (`<Hangup />`). A document it cannot match for certain (a value that is not a
string, a namespaced name, a lone surrogate) is left to `str(document)`.
"""

from __future__ import annotations

import json
from typing import Any

from twilio.twiml import TwiML

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class _Unmatched(Exception):
    """ElementTree would write this differently, or refuse it: `str(document)` decides."""


def to_xml(document: TwiML) -> str:
    """`str(document)`, byte for byte, written directly."""
    out = [DECLARATION]
    try:
        _element(document, out)
    except Exception:
        # _Unmatched, or an error TwiML.xml() would raise as well (an attribute that
        # cannot be sorted or made a string, a dict value that is not JSON).
        return str(document)
    xml = "".join(out)
    if not xml.isascii():
        try:
            xml.encode("utf-8")
        except UnicodeEncodeError:
            return str(document)  # a lone surrogate, which ET writes as `&#55357;`
    return xml


def _element(node: TwiML, out: list[str]) -> None:
    name = _name(node.name)
    out.append("<" + name)
    attrs = node.attrs
    for key in sorted(attrs):
        value = attrs[key]
        value = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(f' {_name(key)}="{_escape_attrib(value)}"')

    # TwiML.xml(): the value is the text (a dict as JSON); a string before the first
    # verb replaces it, a string after a verb is that verb's tail (the last one wins).
    text: Any = node.value
    if text and isinstance(text, dict):
        text = json.dumps(text)
    verbs = node.verbs
    first = 0
    while first < len(verbs) and isinstance(verbs[first], str):
        text = verbs[first]
        first += 1
    if not text and first == len(verbs):
        out.append(" />")
        return
    out.append(">")
    if text:
        out.append(_escape_cdata(text))
    tail = None
    for verb in verbs[first:]:
        if isinstance(verb, str):
            tail = verb
            continue
        if tail:
            out.append(_escape_cdata(tail))
        tail = None
        if not isinstance(verb, TwiML):
            raise _Unmatched(verb)
        _element(verb, out)
    if tail:
        out.append(_escape_cdata(tail))
    out.append(f"</{name}>")


def _name(name: object) -> str:
    """A tag or attribute name, which ElementTree writes as it is unless it is `{ns}name`."""
    if type(name) is not str or name.startswith("{"):
        raise _Unmatched(name)
    return name


# ElementTree's escapes (Python 3.11's `_escape_cdata` and `_escape_attrib`), in its order.
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTRIB_ESCAPES = (
    *_TEXT_ESCAPES,
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


def _escape_cdata(text: object) -> str:
    """xml.etree.ElementTree._escape_cdata."""
    return _escaped(text, _TEXT_ESCAPES)


def _escape_attrib(text: object) -> str:
    """xml.etree.ElementTree._escape_attrib (Python 3.11)."""
    return _escaped(text, _ATTRIB_ESCAPES)


def _escaped(text: object, escapes: tuple[tuple[str, str], ...]) -> str:
    if type(text) is not str:
        raise _Unmatched(text)
    for char, entity in escapes:
        if char in text:
            text = text.replace(char, entity)
    return text
