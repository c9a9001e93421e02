"""Starting Saxon must leave Python's locale as it was: its native start sets the C
locale from the environment, and xmlschema's XPath collations then failed to restore
LC_COLLATE ("unsupported locale setting") in any XSD 1.1 check run after a transform."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
import locale
before = locale.setlocale(locale.LC_ALL)
from tei_edition import xslt
xslt.engine(["text"])
after = locale.setlocale(locale.LC_ALL)
assert after == before, (before, after)
"""


def test_starting_saxon_leaves_pythons_locale_alone():
    env = {**os.environ, "LANG": "C.UTF-8"}
    env.pop("LC_ALL", None)
    run = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
