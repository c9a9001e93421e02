"""Problems and reports: every check in the toolkit yields these values."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

ERROR = "error"
WARNING = "warning"
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}


@dataclass(frozen=True, order=False)
class Problem:
    """One finding, located as precisely as the check allows (1-based line/col; 0 = unknown)."""

    file: str
    line: int
    col: int
    severity: str
    rule: str
    message: str
    xpath: str | None = None

    def __str__(self) -> str:
        where = f" (at {self.xpath})" if self.xpath else ""
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}{where} [{self.rule}]"

    def sort_key(self):
        return (self.file, self.line, self.col, _SEVERITY_ORDER.get(self.severity, 9), self.rule, self.message)

    def to_dict(self) -> dict:
        return asdict(self)


class ProblemError(Exception):
    """An exception for the library's strict API that carries its :class:`Problem`."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Report:
    """The problems found in a set of files, sorted, with the files that were checked."""

    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, problems: Iterable[Problem], files: Iterable[str] = ()) -> "Report":
        unique = {p: None for p in problems}  # keep one of each, order-free
        return cls(tuple(sorted(unique, key=Problem.sort_key)), tuple(sorted(set(map(str, files)))))

    @property
    def errors(self) -> int:
        return sum(p.severity == ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == WARNING for p in self.problems)

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def files_with_errors(self) -> set[str]:
        return {p.file for p in self.problems if p.severity == ERROR}

    def summary(self) -> str:
        bad = len(self.files_with_errors())
        return (
            f"{len(self.files)} file(s) checked, {bad} with errors: "
            f"{self.errors} error(s), {self.warnings} warning(s)"
        )

    def to_dict(self) -> dict:
        return {
            "files": list(self.files),
            "problems": [p.to_dict() for p in self.problems],
            "counts": {
                "files": len(self.files),
                "files_with_errors": len(self.files_with_errors()),
                "errors": self.errors,
                "warnings": self.warnings,
            },
            "valid": self.ok,
        }


def echo_once(lines: Iterable[str], echo: Callable[[str], None]) -> None:
    """Echo each distinct line once, in first-seen order. A repeated line (one stylesheet
    error met by every file of a batch) is shown once, saying how many times it came."""
    for line, n in Counter(lines).items():
        echo(line if n == 1 else f"{line} (reported {n} times: once per file)")
