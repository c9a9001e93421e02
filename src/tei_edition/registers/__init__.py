"""The edition's registers, wherever TEI keeps them, as one model of compact values.

Entries are read from ``listPerson``, ``listPlace``, ``listOrg``, ``listBibl`` and
``listEvent`` (nested lists included) anywhere in ``text`` (front, body, back) or
``standOff``, and from ``teiHeader/profileDesc/particDesc`` and ``settingDesc``
(with or without a list). Other lists of the header (the ``listBibl`` of a
``sourceDesc`` names the editors' sources) are not registers. A ``place`` inside a
``place`` (or an ``org`` inside an ``org``, an ``event`` inside an ``event``) is an
entry of its own.

An entry is keyed by its ``xml:id``. The same id in several files (a letter's own
``back`` repeating a person of another letter) is one entry: names, dates,
coordinates, authority ids and notes are united; where two files disagree on a date
of the same role (two births) or on the coordinates, the first one read is kept and
the other is reported once as a ``register-conflict`` warning, where it is written.

An entry without ``xml:id`` is reported (``register-no-id``) and kept only when it
has a name or an authority id, under the key ``FILE:LINE`` (a colon never occurs in
an ``xml:id``, so the two cannot meet); nothing can point at it, and it is never
merged.

Mentions are counted on ``persName``, ``placeName``, ``orgName``, ``rs``, ``name``,
``title`` and ``date`` carrying ``@ref`` or ``@corresp`` (each a list of pointers),
outside the entries themselves: a register's cross-references between its entries
are not mentions. ``#id`` and ``file.xml#id`` are resolved as :mod:`tei_edition.edition`
draws the line (:func:`~tei_edition.edition.file_inside`); the pointer counts when it
names a file the entry was read from. An ``http(s)`` pointer counts for the entries
carrying that URI as an authority id. One element counts once per entry it names.
Files are read one at a time and only values are kept, never trees, so a corpus of
thousands of letters fits in little memory; pointers are therefore resolved to
``(file, id)`` keys instead of elements (:meth:`Edition.resolver` would keep every
target tree). Only the files given are read: a pointer into a file that was not
given does not count.

Coordinates (``location/geo``): see :func:`~.model.parse_geo`. ``@decls`` on ``geo`` is not
followed: the value is read as TEI's default, latitude then longitude in WGS 84.
"""

from .collect import BAD_GEO, CONFLICT, NO_ID, collect
from .model import KINDS, Authority, Date, Entry, Name, Point, Registers, authority_uri, parse_geo
from .read import MENTION_TAGS

__all__ = ["Name", "Date", "Authority", "Point", "Entry", "Registers", "collect", "parse_geo",
           "authority_uri", "CONFLICT", "NO_ID", "BAD_GEO", "KINDS", "MENTION_TAGS"]
