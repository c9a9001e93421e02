"""tei-edition: validate, transform and publish TEI P5 editions.

The public API is small and lazy, so ``tei-edition --version`` stays fast::

    import tei_edition
    doc = tei_edition.load("tei/note.xml")
    report = tei_edition.validate(["tei/"])
    html = tei_edition.transform("tei/note.xml", to="html")
"""

__version__ = "0.1.0"

__all__ = ["__version__", "load", "validate", "transform"]


def load(path, **options):
    """Parse one XML file with the hardened loader; raise ``LoadError`` on failure."""
    from .loader import load as _load

    return _load(path, **options)


def validate(paths=None, schemas=None, **options):
    """Validate files or folders (default: the bundled edition); return a ``Report``."""
    from .validation import validate as _validate

    return _validate(paths, schemas=schemas, **options)


def transform(source, to, params=None):
    """Transform a path or ``Document`` to a format name; return the output text."""
    from .transform import transform as _transform

    return _transform(source, to, params=params)
