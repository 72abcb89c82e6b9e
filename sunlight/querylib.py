"""The analysts' Cypher library: ``queries/*.cypher``, one question per file.

Each file opens with a header of ``//`` comment lines (the format is described in
``queries/README.md``)::

    // name: co_bidders
    // title_zh: 与某供应商共同投标的公司
    // title_en: Companies that co-bid with a supplier
    // description_zh: ...
    // description_en: ...
    //   (indented lines continue the field above)
    // param: supplier_id: string | 供应商编号 / the supplier's id
    // param: top: int = 20 | 返回行数 / rows to return
    // returns: supplier_id, supplier_name, tenders_together

followed by the query in Neo4j's Cypher 5, which is also what the embedded store
runs unless a ``// variant: ladybug`` line starts a text of its own for it.

:func:`run_query` takes parameters as the command line gives them (strings),
converts them to the declared types, fills in defaults, and runs the entry
read-only on any store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from graph.store import Store

__all__ = [
    "DIALECTS",
    "PARAM_TYPES",
    "QUERIES_DIR",
    "QueryFormatError",
    "QueryParam",
    "QueryParamError",
    "QuerySpec",
    "convert_param",
    "get_query",
    "list_queries",
    "load_query",
    "parameters_used",
    "run_query",
]

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
#: ``neo4j`` is the text before any variant line; ``ladybug`` the embedded store's.
DIALECTS: tuple[str, ...] = ("neo4j", "ladybug")
PARAM_TYPES: tuple[str, ...] = ("string", "int", "float", "bool", "date", "datetime")

_FIELDS = ("name", "title_zh", "title_en", "description_zh", "description_en", "param", "returns")
_REQUIRED_FIELDS = ("name", "title_zh", "title_en", "description_zh", "description_en", "returns")
_VARIANT = re.compile(r"^//\s*variant:\s*(\w+)\s*$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<type>\w+)\s*(?:=\s*(?P<default>[^|]*?))?\s*(?:\|\s*(?P<doc>.*))?$"
)
_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}


class QueryFormatError(ValueError):
    """A library file does not follow the header format."""


class QueryParamError(ValueError):
    """A parameter is missing, unknown or not of its declared type."""


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str
    default: Any = None
    required: bool = True
    doc: str = ""


@dataclass(frozen=True)
class QuerySpec:
    """One entry of the library."""

    name: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    params: tuple[QueryParam, ...]
    returns: tuple[str, ...]
    #: dialect -> Cypher, ``neo4j`` always present; a store picks its own (``Store.cypher_variant``)
    texts: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh

    def description(self, lang: str = "zh") -> str:
        return self.description_en if lang == "en" else self.description_zh

    def param(self, name: str) -> QueryParam:
        for p in self.params:
            if p.name == name:
                return p
        raise QueryParamError(self._unknown(name))

    def _unknown(self, name: str) -> str:
        known = ", ".join(p.name for p in self.params) or "none"
        return f"query {self.name!r} has no parameter {name!r} (its parameters: {known})"

    def bind(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values for every parameter: given ones converted, the rest defaulted."""
        for name in given:
            if not any(p.name == name for p in self.params):
                raise QueryParamError(self._unknown(name))
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in given:
                out[p.name] = convert_param(p, given[p.name], self.name)
            elif p.required:
                raise QueryParamError(
                    f"query {self.name!r} needs parameter {p.name!r} ({p.type}): --param {p.name}=..."
                )
            else:
                out[p.name] = p.default
        return out


def convert_param(param: QueryParam, value: Any, query: str = "") -> Any:
    """``value`` (a string from the command line, or already typed) as ``param.type``.

    >>> convert_param(QueryParam("top", "int"), "20")
    20
    >>> convert_param(QueryParam("since", "date"), "2024-03-01")
    datetime.date(2024, 3, 1)
    >>> convert_param(QueryParam("blacklisted", "bool"), "是")
    True
    """
    where = f"parameter {param.name!r}" + (f" of query {query!r}" if query else "")
    if not isinstance(value, str):
        if param.type == "datetime" and isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
        return value
    text = value.strip()
    try:
        if param.type == "string":
            return value
        if param.type == "int":
            return int(text)
        if param.type == "float":
            return float(text)
        if param.type == "bool":
            lowered = text.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(text)
        if param.type == "date":
            return date.fromisoformat(text)
        if param.type == "datetime":
            return datetime.fromisoformat(text)
    except ValueError:
        hint = {
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
            "date": "a date YYYY-MM-DD",
            "datetime": "a time YYYY-MM-DDTHH:MM:SS",
        }[param.type]
        raise QueryParamError(f"{where} must be {hint}, not {value!r}") from None
    raise QueryParamError(f"{where} has an unknown type {param.type!r}")


def _parse_param(spec: str, path: Path) -> QueryParam:
    match = _PARAM.match(spec.strip())
    if not match:
        raise QueryFormatError(
            f"{path}: cannot read parameter line {spec!r} (expected 'name: type = default | doc')"
        )
    name, ptype = match["name"], match["type"]
    if ptype not in PARAM_TYPES:
        raise QueryFormatError(f"{path}: parameter {name!r} has unknown type {ptype!r}")
    default_text = match["default"]
    param = QueryParam(name, ptype, doc=(match["doc"] or "").strip())
    if default_text is None:
        return param
    default_text = default_text.strip()
    if len(default_text) >= 2 and default_text[0] == default_text[-1] and default_text[0] in "\"'":
        default_text = default_text[1:-1]
    try:
        default = convert_param(param, default_text)
    except QueryParamError as exc:
        raise QueryFormatError(f"{path}: default of {exc}") from None
    return QueryParam(name, ptype, default, required=False, doc=param.doc)


def load_query(path: Path) -> QuerySpec:
    """Read one library file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields: dict[str, list[str]] = {}
    params: list[str] = []
    last: str | None = None
    body_start = len(lines)
    for number, line in enumerate(lines):
        if not line.startswith("//") or _VARIANT.match(line):
            body_start = number
            break
        content = line[2:]
        if content.startswith("  ") and last is not None:  # continuation of the field above
            if last == "param":
                params[-1] += " " + content.strip()
            else:
                fields[last].append(content.strip())
            continue
        key, sep, value = content.strip().partition(":")
        if not sep or key not in _FIELDS:
            raise QueryFormatError(f"{path}:{number + 1}: unknown header line {line!r}")
        last = key
        if key == "param":
            params.append(value.strip())
        else:
            fields.setdefault(key, []).append(value.strip())
    missing = [k for k in _REQUIRED_FIELDS if k not in fields]
    if missing:
        raise QueryFormatError(f"{path}: header lacks {', '.join(missing)}")
    texts: dict[str, list[str]] = {"neo4j": []}
    dialect = "neo4j"
    for line in lines[body_start:]:
        variant = _VARIANT.match(line)
        if variant:
            dialect = variant.group(1)
            if dialect not in DIALECTS or dialect == "neo4j" or dialect in texts:
                raise QueryFormatError(f"{path}: unexpected variant {dialect!r}")
            texts[dialect] = []
            continue
        texts[dialect].append(line)
    bodies = {d: "\n".join(t).strip() for d, t in texts.items()}
    empty = [d for d, t in bodies.items() if not t]
    if empty:
        raise QueryFormatError(f"{path}: no Cypher for {', '.join(empty)}")
    name = " ".join(fields["name"])
    if name != path.stem:
        raise QueryFormatError(f"{path}: header name {name!r} differs from the file name")
    return QuerySpec(
        name=name,
        title_zh=" ".join(fields["title_zh"]),
        title_en=" ".join(fields["title_en"]),
        description_zh="".join(fields["description_zh"]),
        description_en=" ".join(fields["description_en"]),
        params=tuple(_parse_param(p, path) for p in params),
        returns=tuple(c.strip() for c in " ".join(fields["returns"]).split(",") if c.strip()),
        texts=bodies,
        path=path,
    )


def list_queries(directory: Path = QUERIES_DIR) -> list[QuerySpec]:
    """Every entry of the library, by name."""
    return [load_query(path) for path in sorted(directory.glob("*.cypher"))]


def get_query(name: str, directory: Path = QUERIES_DIR) -> QuerySpec:
    path = directory / f"{name}.cypher"
    if not re.fullmatch(r"\w+", name) or not path.is_file():
        known = ", ".join(q.name for q in list_queries(directory))
        raise KeyError(f"no query {name!r} in {directory} (known: {known})")
    return load_query(path)


_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*")
_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


def parameters_used(cypher: str) -> set[str]:
    """The ``$parameters`` a Cypher text uses (outside strings and comments).

    >>> sorted(parameters_used("MATCH (s {id: $id}) WHERE s.name <> '$not' RETURN s LIMIT $top"))
    ['id', 'top']
    """
    return set(_PARAMETER.findall(_STRING_OR_COMMENT.sub(" ", cypher)))


def run_query(
    store: Store, name: str, params: Mapping[str, Any] | None = None, directory: Path = QUERIES_DIR
) -> pd.DataFrame:
    """Run library entry ``name`` read-only on ``store``; ``params`` may be strings. The store
    picks the text it runs (:meth:`graph.store.Store.cypher_variant`)."""
    spec = get_query(name, directory)
    values = spec.bind(params or {})
    return store.query(store.cypher_variant(spec.texts), values)
