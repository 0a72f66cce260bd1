"""Reading the embedded default's input files (organizations, opportunities) with errors people can act on.

Every problem is reported as plain words naming the file and, where there is one, the line:
`orgs file /x/orgs.yaml, line 12: ...` — never a Python exception name. Lines come from the YAML
composer's marks (JSON is read the same way for its line numbers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

# (path inside the document, e.g. ("organizations", 0, "limits", "x")) -> 1-based line, or None
Locator = Callable[[Sequence[str | int]], int | None]


class InputFileError(ValueError):
    """An input file that cannot be used; `str()` names the file and the line in plain words."""

    def __init__(self, kind: str, path: str | Path, message: str, line: int | None = None):
        self.kind, self.path, self.line, self.message = kind, Path(path), line, message
        where = f"{kind} file {path}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {message}")


class InputFileProblems(InputFileError):
    """Several problems in one file, one line each."""

    def __init__(self, errors: list[InputFileError]):
        self.errors = errors
        first = errors[0]
        ValueError.__init__(self, "\n".join(str(e) for e in errors))
        self.kind, self.path, self.line, self.message = first.kind, first.path, first.line, first.message


def read_bytes(kind: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(kind, path, "does not exist") from None
    except IsADirectoryError:
        raise InputFileError(kind, path, "is a directory, not a file") from None
    except PermissionError:
        raise InputFileError(kind, path, "cannot be read: permission denied") from None
    except OSError as error:
        raise InputFileError(kind, path, f"cannot be read: {error.strerror or 'input/output error'}") from None


def read_text(kind: str, path: Path) -> str:
    data = read_bytes(kind, path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(kind, path, f"is not UTF-8 text (byte 0x{data[error.start]:02x})", line) from None


def parse_document(kind: str, path: Path, text: str) -> tuple[Any, Locator]:
    """The parsed document (JSON for `.json`, else YAML) and a locator for its lines."""
    as_json = path.suffix.lower() == ".json"
    try:
        document = json.loads(text) if as_json else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise InputFileError(kind, path, f"cannot read it as JSON: {error.msg} (column {error.colno})",
                             error.lineno) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = error.problem or error.context or "syntax error"
        raise InputFileError(kind, path, f"cannot read it as YAML: {what}",
                             mark.line + 1 if mark is not None else None) from None
    except yaml.YAMLError as error:
        raise InputFileError(kind, path, f"cannot read it as YAML: {error}") from None
    except RecursionError:
        raise InputFileError(kind, path, "the document nests too deeply to read") from None
    return document, _locator(text)


def _locator(text: str) -> Locator:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        root = None

    def locate(where: Sequence[str | int]) -> int | None:
        node, line = root, None
        for step in where:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(step)),
                             None)
                if match is None:
                    break
                line, node = match[0].start_mark.line + 1, match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                break
        return line

    return locate
