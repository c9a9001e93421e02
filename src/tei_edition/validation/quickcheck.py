"""Which documents can the project Schematron have anything to say about?

Running ``schema/tei-edition.sch`` through libxslt costs about 0.6–1 ms per
document, more than parsing and the XSD together. Its rules are simple enough
to test in Python over the attributes the cross-file checks read anyway, so
``validate`` asks this filter first and runs the Schematron only on documents
it cannot clear. Everything reported still comes from the Schematron itself,
so rule ids, messages and positions are the same with or without the filter
(and the same as in oXygen, which runs the .sch).

The filter may only err on the side of running the Schematron: it clears a
document only when no rule of the .sch can fire on it. It is tied to one
version of the .sch by a digest of its canonical form once includes and
abstract patterns are expanded (comments aside); any other version, or any
other Schematron, always runs in full.
"""

from __future__ import annotations

import hashlib
import re

from lxml import etree

from ..edition import Attributes
from ..loader import TEI_NS, Document

#: canonical digest of the schema/tei-edition.sch whose rules :func:`clear` mirrors
MIRRORED_SCH = "bcc39156c9e29008868803b646dfb089738e3d737359374aedc81551dc557bae"

_T = f"{{{TEI_NS}}}"
_NS = {"tei": TEI_NS}
# The document rule, with the .sch's own expressions: true when it would fire.
_DOCUMENT_RULE_FIRES = etree.XPath(
    "not(tei:text/@type = 'edition' or tei:text/@type = 'register')"
    " and boolean(tei:text/tei:body/*[not(self::tei:listPerson or self::tei:listPlace or self::tei:listOrg"
    " or self::tei:listBibl or self::tei:listEvent or self::tei:head or self::tei:note or self::tei:pb"
    " or self::tei:lb)])"
    " and not(tei:text//tei:dateline[descendant::tei:date[@when or @notBefore or @notAfter or @from]]"
    " and (not(tei:text/@type = 'letter' or tei:text//tei:opener/tei:salute or tei:text//tei:closer/tei:salute)"
    " or tei:teiHeader/tei:profileDesc/tei:correspDesc))",
    namespaces=_NS)
_UNDATED = frozenset({f"{_T}biblScope", f"{_T}citedRange"})  # the date rule's exceptions
_W3C = re.compile(r"[0-9]{4}(?:-([0-9]{2})(?:-([0-9]{2}))?)?\Z")
_MANY = re.compile(r"[^ \t\r\n][ \t\r\n]+[^ \t\r\n]")  # normalize-space() would keep a space
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def digest(schema: etree._ElementTree) -> str:
    """The canonical digest a Schematron is recognised by (comments and attribute order aside)."""
    return hashlib.sha256(etree.tostring(schema, method="c14n", with_comments=False)).hexdigest()


def clear(doc: Document, attributes: Attributes) -> bool:
    """True when no rule of the mirrored .sch can fire on ``doc``; False means: run it."""
    if len(attributes.first) != len(attributes.ids):
        return False  # an xml:id used twice (rule id-unique)
    ids = attributes.first
    for _el, _attr, value in attributes.pointers:  # rule pointer-resolves, same-file "#id"
        if value[:1] == "#" and value[1:] not in ids and not _MANY.search(value):
            return False
    for el, dated in attributes.dates:
        if el.tag in _UNDATED:
            continue
        if not _dates_clear(dated):
            return False
    for el in doc.root.iter(f"{_T}TEI"):  # the root, or the TEIs of a teiCorpus
        if _DOCUMENT_RULE_FIRES(el):
            return False
    return True


def _dates_clear(dated: dict[str, str]) -> bool:
    """Rules date-real, date-from-needs-to and date-range-order, for plain W3C dates;
    any other form is left to the Schematron."""
    for value in dated.values():
        real = _REAL.get(value)
        if real is None:
            real = _real(value)
            if len(_REAL) < 100_000:  # bounded: the values come from the input
                _REAL[value] = real
        if not real:
            return False
    if "from" in dated and "to" not in dated:
        return False
    for low, high in (("from", "to"), ("notBefore", "notAfter")):
        if low in dated and high in dated and _as_number(dated[low], "-01-01") > _as_number(dated[high], "-12-31"):
            return False
    return True


_REAL: dict[str, bool] = {}  # the same dates recur across an edition's files


def _real(value: str) -> bool:
    """A plain W3C date (YYYY, YYYY-MM, YYYY-MM-DD) naming a real month or day."""
    m = _W3C.match(value)
    if m is None:
        return False
    month, day = m.group(1), m.group(2)
    if month is None:
        return True
    mm = int(month)
    if not 1 <= mm <= 12:
        return False
    return day is None or 1 <= int(day) <= _days(int(value[:4]), mm)


def _days(year: int, month: int) -> int:
    if month == 2 and ((year % 4 == 0 and year % 100 != 0) or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def _as_number(value: str, pad: str) -> int:
    """The .sch's number(translate(substring(concat(@x, substring(pad, len - 3)), 1, 10), '-', ''))."""
    return int((value + pad[len(value) - 4:])[:10].replace("-", ""))
