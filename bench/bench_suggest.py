"""Time ``tei-edition suggest`` on a generated letter edition and on a real corpus.

    python bench/bench_suggest.py                      # 2,000 letters, 20,000 persons, 5,000 places
    python bench/bench_suggest.py --letters 500 --persons 2000 --places 500
    python bench/bench_suggest.py --corpus /work/shared/corpora/suriano

With --corpus, the register is made from the places and correspondents its
correspDescs name (a corpus such as Suriano's has no register of its own) plus
--persons generated persons, so that the matcher is as large as a real one.

The generated edition: one register (``registers.xml``) with persons named
"Forename Surname" (written "Surname, Forename", so each has two forms) and places,
and letters of 4-8 paragraphs of filler words, each paragraph naming two entries
untagged and one tagged. Printed: the number of forms, the time to build the matcher,
and documents per second for the whole run (registers read, matcher built, every
letter read and searched) and for the search alone.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from tei_edition import loader  # noqa: E402
from tei_edition.registers import collect  # noqa: E402
from tei_edition.suggest import Matcher, forms_of, search, suggest  # noqa: E402

TEI = "http://www.tei-c.org/ns/1.0"
SYLLABLES = ["ka", "ri", "mo", "ten", "sa", "lu", "vi", "dor", "en", "ba", "gel", "no", "pi", "tra", "us"]
WORDS = "the of and to in that was his with he as for had which by on at it from but".split()


def word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def make(root: Path, letters: int, persons: int, places: int, towns: list[str] = ()) -> list[Path]:
    rng = random.Random(1616)
    people = list(dict.fromkeys((word(rng, 2), word(rng, 3)) for _ in range(persons * 2)))[:persons]
    towns = list(dict.fromkeys([*towns, *(word(rng, 3) for _ in range(places * 2))]))[:len(towns) + places]
    entries = "".join(f'<person xml:id="p{i}"><persName><surname>{s}</surname>, <forename>{f}</forename></persName>'
                      '</person>'
                      for i, (f, s) in enumerate(people))
    sites = "".join(f'<place xml:id="l{i}"><placeName>{t}</placeName></place>' for i, t in enumerate(towns))
    header = ('<teiHeader><fileDesc><titleStmt><title>t</title></titleStmt><publicationStmt><p>x</p>'
              '</publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader>')
    (root / "registers.xml").write_text(
        f'<TEI xmlns="{TEI}">{header}<text><body><listPerson>{entries}</listPerson>'
        f'<listPlace>{sites}</listPlace></body></text></TEI>', encoding="utf-8")
    names = [f"{f} {s}" for f, s in people] + towns
    files = []
    for n in range(letters):
        paras = []
        for _ in range(rng.randrange(4, 9)):
            words = [rng.choice(WORDS) for _ in range(rng.randrange(60, 120))]
            for _ in range(2):
                words.insert(rng.randrange(len(words)), rng.choice(names))
            tagged = rng.randrange(len(people))
            paras.append(f'<p>{" ".join(words)} <persName ref="registers.xml#p{tagged}">'
                         f'{" ".join(people[tagged])}</persName>.</p>')
        path = root / f"letter-{n:05d}.xml"
        path.write_text(f'<TEI xmlns="{TEI}">{header}<text><body><div>{"".join(paras)}</div></body></text></TEI>',
                        encoding="utf-8")
        files.append(path)
    return files


def report(label: str, docs: int, seconds: float) -> None:
    print(f"{label}: {docs} documents in {seconds:.2f} s = {docs / seconds:,.0f} docs/s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--letters", type=int, default=2000)
    ap.add_argument("--persons", type=int, default=20000)
    ap.add_argument("--places", type=int, default=5000)
    ap.add_argument("--corpus", type=Path, help="time a real corpus instead (its registers, if any)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.corpus:
            files = sorted(args.corpus.rglob("*.xml"))
            named = {" ".join(el.text.split()) for f in files for el in loader.load(f).root.iterfind(
                f".//{{{TEI}}}correspAction/*") if el.text and el.text.strip() and not el.text.strip().isdigit()}
            make(Path(tmp), 0, args.persons, 0, sorted(named))
            inputs = [args.corpus]
        else:
            files = make(Path(tmp), args.letters, args.persons, args.places)
            inputs = [Path(tmp)]
        start = time.perf_counter()
        registers = collect([tmp, *inputs] if args.corpus else inputs)
        forms = forms_of(registers)
        built = time.perf_counter()
        matcher = Matcher(forms)
        print(f"{len(forms):,} forms of {len(registers):,} entries; registers read in {built - start:.2f} s, "
              f"matcher built in {time.perf_counter() - built:.2f} s")
        docs = [loader.load(f) for f in files]
        start = time.perf_counter()
        found = sum(len(search(d, matcher)) for d in docs)
        report(f"search alone ({found:,} suggestions)", len(docs), time.perf_counter() - start)
        start = time.perf_counter()
        if args.corpus:
            result = suggest(inputs, registers=collect([tmp, *inputs]))
        else:
            result = suggest(inputs)
        report("whole run (suggest)", len(result.files), time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
