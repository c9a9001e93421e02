"""Validating a letter edition by its own schemas: an XSD and an xslt2 Schematron that every
file declares, TEI's id and pointer rules, prefixDef pointers into a register.

    python bench/bench_schemas.py              # 4,000 letters
    python bench/bench_schemas.py -n 1000 -r 3

The edition is generated in the conventions of real letter editions: note ids (tn1,
tn2, ...) repeat from letter to letter, persons are named by ``psn:`` pointers that a
``prefixDef`` expands into ``registers/persons.xml``, each letter keeps a copy of its
correspondents in ``<back>``, and each declares its schemas with ``xsi:schemaLocation``
(the XSD) and ``<?xml-model?>`` (the Schematron, queryBinding xslt2).

Rows, all in this run on the same files (docs/s; ratio over xmllint):
- the lxml floor: parsing each file, nothing else;
- xmllint --noout --schema: the XSD alone, one process;
- the Schematron alone on saxonche: parsing each file into Saxon and running the
  compiled Schematron, no Python around it (the ceiling for that step);
- tei-edition validate, in this process (schemas compiled), then as a fresh command,
  then with --jobs 2;
- peak RSS of the command at N/10 and at N files.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from tei_edition import validate  # noqa: E402
from tei_edition.validation import schematron  # noqa: E402

TEI = "http://www.tei-c.org/ns/1.0"
NAMES = ["Anna", "Bruno", "Clara", "Dora", "Emil", "Felix", "Greta", "Hugo", "Ida", "Jakob"]
FAMILY = ["Adler", "Berger", "Common", "Dorn", "Eck", "Fink", "Graf", "Horn", "Igel", "Jung"]
WORDS = ("the proofs arrived on tuesday and I return them corrected with thanks for your patience "
         "as the printer promised the second volume before the autumn fair").split()

XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{TEI}" xmlns="{TEI}"
           elementFormDefault="qualified">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>
  <xs:element name="TEI"><xs:complexType><xs:sequence>
    <xs:element ref="teiHeader"/><xs:element ref="text"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="teiHeader"><xs:complexType><xs:sequence>
    <xs:element ref="fileDesc"/><xs:element ref="encodingDesc" minOccurs="0"/>
    <xs:element ref="profileDesc" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="fileDesc"><xs:complexType><xs:sequence>
    <xs:element ref="titleStmt"/><xs:element ref="publicationStmt"/><xs:element ref="sourceDesc"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="titleStmt"><xs:complexType><xs:sequence>
    <xs:element ref="title" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="title"><xs:complexType mixed="true">
    <xs:attribute name="level" type="xs:token"/></xs:complexType></xs:element>
  <xs:element name="publicationStmt"><xs:complexType><xs:sequence>
    <xs:element ref="p" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="sourceDesc"><xs:complexType><xs:sequence>
    <xs:element ref="p" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="encodingDesc"><xs:complexType><xs:sequence>
    <xs:element ref="listPrefixDef"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="listPrefixDef"><xs:complexType><xs:sequence>
    <xs:element ref="prefixDef" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="prefixDef"><xs:complexType>
    <xs:attribute name="ident" type="xs:NCName" use="required"/>
    <xs:attribute name="matchPattern" type="xs:string" use="required"/>
    <xs:attribute name="replacementPattern" type="xs:string" use="required"/></xs:complexType></xs:element>
  <xs:element name="profileDesc"><xs:complexType><xs:sequence>
    <xs:element ref="correspDesc"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="correspDesc"><xs:complexType><xs:sequence>
    <xs:element ref="correspAction" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="correspAction"><xs:complexType><xs:sequence>
    <xs:element ref="persName"/><xs:element ref="date" minOccurs="0"/></xs:sequence>
    <xs:attribute name="type" use="required"><xs:simpleType><xs:restriction base="xs:token">
      <xs:enumeration value="sent"/><xs:enumeration value="received"/></xs:restriction></xs:simpleType>
    </xs:attribute></xs:complexType></xs:element>
  <xs:element name="persName"><xs:complexType mixed="true">
    <xs:attribute name="ref" type="xs:string"/></xs:complexType></xs:element>
  <xs:element name="date"><xs:complexType mixed="true">
    <xs:attribute name="when" type="xs:date"/></xs:complexType></xs:element>
  <xs:element name="text"><xs:complexType><xs:sequence>
    <xs:element ref="body"/><xs:element ref="back" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="body"><xs:complexType><xs:sequence>
    <xs:element ref="div"/><xs:element ref="note" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="div"><xs:complexType><xs:sequence>
    <xs:element ref="opener"/><xs:element ref="p" maxOccurs="unbounded"/><xs:element ref="closer"/>
  </xs:sequence><xs:attribute name="type" type="xs:token"/>
</xs:complexType></xs:element>
  <xs:element name="opener"><xs:complexType><xs:sequence>
    <xs:element ref="dateline"/><xs:element ref="salute"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="dateline"><xs:complexType mixed="true"><xs:sequence>
    <xs:element ref="date" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="salute" type="phrase"/>
  <xs:element name="closer" type="phrase"/>
  <xs:element name="p" type="phrase"/>
  <xs:complexType name="phrase" mixed="true"><xs:choice minOccurs="0" maxOccurs="unbounded">
    <xs:element ref="persName"/><xs:element ref="date"/><xs:element ref="ref"/></xs:choice></xs:complexType>
  <xs:element name="ref"><xs:complexType mixed="true">
    <xs:attribute name="target" type="xs:string" use="required"/></xs:complexType></xs:element>
  <xs:element name="note"><xs:complexType mixed="true">
    <xs:attribute ref="xml:id" use="required"/></xs:complexType></xs:element>
  <xs:element name="back"><xs:complexType><xs:sequence>
    <xs:element ref="listPerson"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="listPerson"><xs:complexType><xs:sequence>
    <xs:element ref="person" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="person"><xs:complexType><xs:sequence>
    <xs:element ref="persName"/></xs:sequence><xs:attribute ref="xml:id" use="required"/>
  </xs:complexType></xs:element>
</xs:schema>
"""

SCH = f"""<?xml version="1.0" encoding="UTF-8"?>
<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <sch:ns prefix="tei" uri="{TEI}"/>
  <sch:let name="iso-date" value="'^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'"/>
  <sch:pattern id="letters">
    <sch:rule context="tei:correspDesc">
      <sch:assert id="sent-and-received" test="tei:correspAction[@type='sent'] and tei:correspAction[@type='received']"
        >a letter names its sender and its addressee</sch:assert>
    </sch:rule>
    <sch:rule context="tei:correspAction/tei:date">
      <sch:assert id="sent-date" test="matches(@when, $iso-date)">the date of sending is a full date</sch:assert>
    </sch:rule>
    <sch:rule context="tei:ref[starts-with(@target, '#')]">
      <sch:let name="ids" value="//@xml:id"/>
      <sch:assert id="note-target" role="warning"
        test="every $t in tokenize(@target, '\\s+') satisfies substring-after($t, '#') = $ids"
        >a note reference points to a note of this letter</sch:assert>
    </sch:rule>
    <sch:rule context="tei:persName[@ref]">
      <sch:assert id="psn-pointer" test="every $r in tokenize(@ref, '\\s+') satisfies matches($r, '^psn:[a-z0-9-]+$')"
        >a person is named by a psn: pointer</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>
"""


def person(n: int) -> tuple[str, str]:
    return f"p{n:04d}", f"{NAMES[n % 10]} {FAMILY[(n // 10) % 10]}"


def letter(i: int, persons: int, rng: random.Random) -> str:
    sender, addressee = person(rng.randrange(persons)), person(rng.randrange(persons))
    day = f"18{80 + i % 20}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    notes = rng.randrange(2, 8)
    paras = []
    for k in range(rng.randrange(4, 9)):
        who = person(rng.randrange(persons))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(40, 90)))
        note = f' <ref target="#tn{1 + k % notes}">{1 + k % notes}</ref>'
        paras.append(f'<p>{words} <persName ref="psn:{who[0]}">{who[1]}</persName>{note}.</p>')
    back = "".join(f'<person xml:id="{pid}"><persName>{name}</persName></person>' for pid, name in {sender, addressee})
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-model href="../schema/letters.sch" type="application/xml" schematypens="http://purl.oclc.org/dsdl/schematron"?>
<TEI xmlns="{TEI}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     xsi:schemaLocation="{TEI} ../schema/letters.xsd">
  <teiHeader>
    <fileDesc>
      <titleStmt><title level="a">Letter {i} from {sender[1]} to {addressee[1]}</title>
        <title level="s">Letters</title></titleStmt>
      <publicationStmt><p>generated for a benchmark</p></publicationStmt>
      <sourceDesc><p>generated</p></sourceDesc>
    </fileDesc>
    <encodingDesc><listPrefixDef>
      <prefixDef ident="psn" matchPattern="([a-z0-9-]+)" replacementPattern="../registers/persons.xml#$1"/>
    </listPrefixDef></encodingDesc>
    <profileDesc><correspDesc>
      <correspAction type="sent"><persName ref="psn:{sender[0]}">{sender[1]}</persName><date when="{day}"/></correspAction>
      <correspAction type="received"><persName ref="psn:{addressee[0]}">{addressee[1]}</persName></correspAction>
    </correspDesc></profileDesc>
  </teiHeader>
  <text>
    <body>
      <div type="letter">
        <opener><dateline>Vienna, <date when="{day}">{day}</date></dateline><salute>Dear friend,</salute></opener>
        {"".join(paras)}
        <closer>Yours, <persName ref="psn:{sender[0]}">{sender[1]}</persName></closer>
      </div>
      {"".join(f'<note xml:id="tn{k + 1}">note {k + 1}</note>' for k in range(notes))}
    </body>
    <back><listPerson>{back}</listPerson></back>
  </text>
</TEI>
"""


def make_edition(root: Path, n: int, persons: int = 500) -> list[Path]:
    """``root/letters/*.xml``, ``root/schema/``, ``root/registers/persons.xml``."""
    (root / "schema").mkdir(parents=True)
    (root / "schema" / "letters.xsd").write_text(XSD, encoding="utf-8")
    (root / "schema" / "letters.sch").write_text(SCH, encoding="utf-8")
    shutil.copy(REPO / "schema" / "xml.xsd", root / "schema" / "xml.xsd")
    (root / "registers").mkdir()
    entries = "".join(f'<person xml:id="{pid}"><persName>{name}</persName></person>'
                      for pid, name in map(person, range(persons)))
    (root / "registers" / "persons.xml").write_text(
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>Persons</title></titleStmt>'
        '<publicationStmt><p>x</p></publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader>'
        f'<text><body><listPerson>{entries}</listPerson></body></text></TEI>', encoding="utf-8")
    # the project file makes root/ the edition, so the letters' pointers may reach registers/
    (root / "tei-edition.toml").write_text('[edition]\ntitle = "Letters"\n', encoding="utf-8")
    (root / "letters").mkdir()
    rng = random.Random(1616)
    files = []
    for i in range(n):
        path = root / "letters" / f"letter-{i:05d}.xml"
        path.write_text(letter(i, persons, rng), encoding="utf-8")
        files.append(path)
    return files


def _cpu(who=resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def lxml_floor(files: list[Path]) -> None:
    for f in files:
        etree.fromstring(f.read_bytes())


def xmllint(root: Path, files: list[Path]) -> None:
    run = subprocess.run(["xmllint", "--noout", "--schema", str(root / "schema" / "letters.xsd"),
                          *map(str, files)], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"xmllint failed: {run.stderr[-2000:]}")


def saxon_schematron(root: Path, files: list[Path]) -> None:
    from tei_edition import xslt

    compiled = schematron.compiled(root / "schema" / "letters.sch")
    proc = xslt.engine().proc
    for f in files:
        node = proc.parse_xml(xml_text=f.read_text(encoding="utf-8"))
        compiled.executable.transform_to_string(xdm_node=node)


def in_process(root: Path, expected: int) -> None:
    report = validate([root / "letters"])
    if not report.ok or len(report.files) != expected:
        raise SystemExit("the generated letters are not valid:\n" + "\n".join(map(str, report.problems[:10])))


def command(root: Path, *options: str, folder: str = "letters") -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of a fresh ``tei-edition validate`` process."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    code = ("import resource, sys, runpy; sys.argv = sys.argv[1:]\n"
            "try:\n    runpy.run_module('tei_edition.cli', run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(children, file=sys.stderr); sys.exit(code)")
    argv = [sys.executable, "-c", code, "tei-edition", "validate", "--quiet", *options, str(root / folder)]
    start = time.perf_counter()
    run = subprocess.run(argv, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"validate failed: {(run.stdout + run.stderr)[-2000:]}")
    own, children = (int(x) for x in run.stderr.split()[-2:])
    return elapsed, max(own, children) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=4000, help="letters (default 4000)")
    parser.add_argument("-r", "--repeat", type=int, default=3, help="runs of each row; the median is shown")
    args = parser.parse_args()
    if shutil.which("xmllint") is None:
        raise SystemExit("xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils)")
    with tempfile.TemporaryDirectory(prefix="tei-edition-bench-") as tmp:
        root = Path(tmp)
        files = make_edition(root, args.n)
        small = root / "small"
        small.mkdir()
        for f in files[: max(1, args.n // 10)]:
            os.link(f, small / f.name)
        size = sum(f.stat().st_size for f in files) / len(files)
        in_process(root, len(files))  # compile every schema once, as a long-running process would have
        rows = {
            "lxml floor (parse each file)": lambda: lxml_floor(files),
            "xmllint --noout --schema letters.xsd": lambda: xmllint(root, files),
            # before the Saxon-alone row: the documents that row parses stay in Saxon's memory
            "tei-edition validate, in process (XSD+Schematron+TEI rules)": lambda: in_process(root, len(files)),
            "Schematron alone on saxonche (parse + run)": lambda: saxon_schematron(root, files),
            "command: tei-edition validate": lambda: command(root),
            "command: tei-edition validate --jobs 2": lambda: command(root, "--jobs", "2"),
        }
        times = {name: statistics.median(timed(fn) for _ in range(args.repeat)) for name, fn in rows.items()}
        lint = args.n / times["xmllint --noout --schema letters.xsd"]
        print(f"{args.n} letters, {size / 1024:.1f} KB on average, an XSD 1.0 and an xslt2 Schematron declared by "
              f"each; median of {args.repeat} runs")
        print(f"| {'row':62} | {'wall s':>7} | {'docs/s':>7} | {'/ xmllint':>9} |")
        print(f"|{'-' * 64}|{'-' * 9}|{'-' * 9}|{'-' * 11}|")
        for name, wall in times.items():
            print(f"| {name:62} | {wall:7.2f} | {args.n / wall:7.0f} | {args.n / wall / lint:8.2f}x |")
        small_wall, small_rss = command(root, folder="small")
        big_wall, big_rss = command(root)
        print(f"| {'peak RSS, command, N/10 = ' + str(len(list(small.iterdir()))) + ' letters':62} | "
              f"{small_wall:7.2f} | {small_rss:5d} MB | {'':>9} |")
        print(f"| {'peak RSS, command, N = ' + str(args.n) + ' letters':62} | {big_wall:7.2f} | {big_rss:5d} MB | "
              f"{big_rss / max(small_rss, 1):8.2f}x |")


if __name__ == "__main__":
    main()
