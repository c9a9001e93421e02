"""Small text helpers every room of the site uses: escaping, normalising, dates, URLs."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from ..loader import TEI_NS

T = f"{{{TEI_NS}}}"
NS = {"tei": TEI_NS}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def text_of(el) -> str:
    """Normalised text of an element, without the notes inside it (they are not part of a
    name or title); a note asked for itself gives its own text."""
    if el is None:
        return ""
    parts = []

    def walk(e):
        if isinstance(e.tag, str) and e.tag == T + "note" and e is not el:
            return
        if e.text:
            parts.append(e.text)
        for child in e:
            walk(child)
            if child.tail:
                parts.append(child.tail)
    walk(el)
    return norm("".join(parts))


def script_json(value) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' survive, so '</script>' cannot break out."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def format_date(iso: str | None) -> str:
    """'1848-03-18' -> '18 March 1848'; '1848-03' -> 'March 1848'; '1848' -> '1848'."""
    if not iso:
        return ""
    m = re.fullmatch(r"(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", iso.strip())
    if not m:
        return iso
    year, month, day = m.groups()
    if month and 1 <= int(month) <= 12:
        label = f"{MONTHS[int(month) - 1]} {int(year)}"
        return f"{int(day)} {label}" if day else label
    return str(int(year))


def date_attrs(el) -> tuple[str, str]:
    """(sort key, label) of a TEI date-like element from @when / @from-@to / @notBefore-@notAfter."""
    when = el.get("when") or el.get("when-iso")
    if when:
        return when, format_date(when)
    start, end = el.get("from") or el.get("notBefore"), el.get("to") or el.get("notAfter")
    if start and end:
        return start, f"{format_date(start)} – {format_date(end)}"
    if end:
        return end, f"by {format_date(end)}" if el.get("notAfter") else f"to {format_date(end)}"
    if start:
        return start, f"after {format_date(start)}" if el.get("notBefore") else f"from {format_date(start)}"
    return "", ""


def safe_url(url: str | None) -> str | None:
    """Keep http(s)/mailto and relative URLs; drop javascript:, data:, file: and the like."""
    if not url:
        return None
    url = url.strip()
    if re.match(r"^[\x00-\x20]*$", url) or any(c in url for c in "\x00\r\n\t"):
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https", "mailto"):
        return url
    if scheme == "" and not url.startswith("//"):
        return url
    return None


def ref_ids(ref: str | None) -> list[str]:
    """'persons.xml#a places.xml#b #c' -> ['a', 'b', 'c']; bare 'x.xml' -> the file's root id later."""
    out = []
    for token in (ref or "").split():
        if "#" in token:
            out.append(token.split("#", 1)[1])
        elif token.endswith(".xml"):
            out.append(Path(token).stem)
    return [i for i in out if i]


def humanise(token: str) -> str:
    """A TEI @type as a heading: 'office-in-text' -> 'Office in text'."""
    words = re.sub(r"[-_\s]+", " ", token).strip()
    return words[:1].upper() + words[1:]


# Writing CON.html on Windows talks to the console, not to a file.
WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def free_name(name: str, used: set[str], prefix: str) -> str:
    """``name``, or ``{prefix}-{name}`` (then ``-2``, ``-3``...) when it is taken (``used``,
    lower case) or a Windows device; the name returned is added to ``used``."""
    if name.lower() in used or name.split(".")[0].lower() in WINDOWS_DEVICES:
        base, n = f"{prefix}-{name}", 1
        name = base
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
    used.add(name.lower())
    return name


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
                  .decode().lower()).strip("-") or "x"
