"""Size and depth: every command ends within 60 s under 1.5 GB, with a clean error
or a result. The large inputs are generated here, never committed."""

import pytest

from hostile_util import LIMIT_RSS_MB, LIMIT_SECONDS, assert_clean_rejection, run_cli, tei

pytestmark = pytest.mark.slow
MB = 1024 * 1024
FIGURES = {}  # printed at the end of the module, for the record


def write_big(path, head: bytes, filler: bytes, count: int, tail: bytes):
    with open(path, "wb") as fh:
        fh.write(head)
        block = filler * max(1, (1 << 20) // len(filler))
        written = 0
        while written + len(block) <= count * len(filler):
            fh.write(block)
            written += len(block)
        fh.write(filler * ((count * len(filler) - written) // len(filler)))
        fh.write(tail)
    return path


def split_tei(body_marker="@@"):
    head, tail = tei(f"<p>{body_marker}</p>").split(body_marker)
    return head.encode(), tail.encode()


@pytest.fixture(scope="module")
def text_node_100mb(tmp_path_factory):
    head, tail = split_tei()
    return write_big(tmp_path_factory.mktemp("big") / "text-100mb.xml", head, b"a", 100 * MB, tail)


def within_limits(run, label):
    FIGURES[label] = (round(run.seconds, 2), round(run.max_rss_mb))
    assert not run.timed_out and run.seconds < LIMIT_SECONDS, f"{label}: {run.seconds:.1f} s"
    assert run.max_rss_mb < LIMIT_RSS_MB, f"{label}: {run.max_rss_mb:.0f} MB"
    assert "Traceback" not in run.output, run.output


@pytest.mark.parametrize("command", ["validate", "transform"])
def test_a_100_mb_text_node(text_node_100mb, tmp_path, command):
    args = [command, text_node_100mb] if command == "validate" else \
        ["transform", "--to", "html", text_node_100mb, "-o", tmp_path / "out"]
    run = run_cli(*args, cwd=tmp_path)
    within_limits(run, f"{command} 100 MB text node")
    assert_clean_rejection(run, text_node_100mb, "too-large")


def test_a_100_mb_text_node_with_the_size_limit_raised(text_node_100mb, tmp_path):
    """Past our byte limit, libxml2's own 10,000,000-character text limit still holds."""
    run = run_cli("validate", text_node_100mb, cwd=tmp_path, env={"TEI_EDITION_MAX_BYTES": str(200 * MB)})
    within_limits(run, "validate 100 MB text node, byte limit raised")
    assert_clean_rejection(run, text_node_100mb, "too-large")


def test_10000_deep_nesting(tmp_path):
    path = tmp_path / "deep.xml"
    path.write_text(tei("<div>" * 10_000 + "<p>x</p>" + "</div>" * 10_000))
    for args in (["validate", path], ["transform", "--to", "text", path, "-o", tmp_path / "out"]):
        run = run_cli(*args, cwd=tmp_path)
        within_limits(run, f"{args[0]} 10,000-deep")
        assert_clean_rejection(run, path, "too-deep")


def test_millions_of_tiny_elements(tmp_path):
    """30 MB of <lb/>: under the byte limit, but 6 million elements."""
    head, tail = split_tei()
    path = write_big(tmp_path / "tiny-elements.xml", head, b"<lb/>", 6_000_000, tail)
    run = run_cli("validate", path, cwd=tmp_path)
    within_limits(run, "validate 6 M elements")
    assert_clean_rejection(run, path, "too-large")


@pytest.mark.parametrize("kind", ["billion-laughs", "quadratic"])
def test_entity_blow_ups_through_the_cli(tmp_path, kind):
    if kind == "billion-laughs":
        decls = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
        text = tei("<p>&l9;</p>", prolog=f"<!DOCTYPE TEI [{decls}]>")
    else:
        text = tei("<p>" + "&a;" * 100_000 + "</p>", prolog='<!DOCTYPE TEI [<!ENTITY a "' + "x" * 100_000 + '">]>')
    path = tmp_path / f"{kind}.xml"
    path.write_text(text)
    run = run_cli("validate", path, cwd=tmp_path)
    within_limits(run, f"validate {kind}")
    assert_clean_rejection(run, path, "entity-expansion")


def test_a_large_legitimate_document_still_works(tmp_path):
    """5 MB of ordinary paragraphs (about 200,000 elements) is accepted and transformed."""
    head, tail = split_tei()
    para = b"</p><p>The two governments agreed that the railway shall be transferred.<lb/>"
    path = write_big(tmp_path / "large.xml", head, para, 5 * MB // len(para), tail)
    run = run_cli("transform", "--to", "text", path, "-o", tmp_path / "out", cwd=tmp_path)
    within_limits(run, "transform 5 MB legitimate document")
    assert run.returncode == 0, run.output
    assert (tmp_path / "out" / "large.txt").stat().st_size > 2 * MB


@pytest.mark.parametrize("fmt, shape", [("html", "paragraphs"), ("html", "notes"), ("text", "notes"),
                                        ("text", "items")])
def test_many_small_blocks_finish_in_time(tmp_path, fmt, shape):
    """30,000 paragraphs, notes or list items (a file of about 1 MB): numbering them must
    not cost time quadratic in their count."""
    n = 30_000
    body = {"paragraphs": "<p>x</p>" * n,
            "notes": "<p>" + "a<note>n</note>" * n + "</p>",
            "items": "<list>" + "<item>i</item>" * n + "</list>"}[shape]
    path = tmp_path / f"{shape}.xml"
    path.write_text(tei(body))
    run = run_cli("transform", "--to", fmt, path, "-o", tmp_path / "out", cwd=tmp_path)
    within_limits(run, f"transform {fmt} {n:,} {shape}")
    assert run.returncode == 0, run.output


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_a_document_at_the_markup_limit_finishes_in_time(tmp_path, fmt):
    """Just under the loader's markup limit (250,000 '<'), in the cheapest shape for an
    attacker (line breaks in one paragraph): accepted, and transformed within the limits."""
    from tei_edition.loader import DEFAULT_MAX_MARKUP

    head, tail = split_tei()
    path = write_big(tmp_path / "at-limit.xml", head, b"w<lb/>", DEFAULT_MAX_MARKUP - 100, tail)
    run = run_cli("transform", "--to", fmt, path, "-o", tmp_path / "out", cwd=tmp_path)
    within_limits(run, f"transform {fmt} at the markup limit")
    assert run.returncode == 0, run.output


def test_report_figures():
    for label, (seconds, rss) in sorted(FIGURES.items()):
        print(f"{label}: {seconds} s, {rss} MB peak RSS")
