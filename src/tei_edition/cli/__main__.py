"""``python -m tei_edition.cli``."""

from . import main

main()
