"""Turn text columns into typed columns, vectorised, and say exactly which values did not parse.

Every parser takes a column of stripped text (missing values are ``NaN``) and returns
the typed column and a boolean array marking the values that were given but could
not be read. Missing values stay missing and are never "bad": whether a value is
required is the validator's business.

Each parser first tries the data contract's own format with pandas' C parsers (fast
for millions of rows) and only looks harder at what that left over, once per distinct
value: other separators (``2024/1/5``, ``2024年1月5日``, ``20240105``), full-width
digits, thousands separators and a currency sign (``¥1,234.50``).

Timestamps are local wall-clock time. A timestamp that names its zone (``Z``,
``+00:00``) is converted to China Standard Time (UTC+8), the time the organisation's
working hours are written in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = [
    "LOCAL_UTC_OFFSET_HOURS",
    "parse_bools",
    "parse_dates",
    "parse_integers",
    "parse_money",
    "parse_numbers",
    "parse_timestamps",
]

LOCAL_UTC_OFFSET_HOURS = 8

_DATE = r"(?:(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?|(?P<y8>\d{4})(?P<m8>\d{2})(?P<d8>\d{2}))"
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
_ZONE = r"(?P<z>Z|[+-]\d{2}:?\d{2})"
_DATE_RE = re.compile(rf"^{_DATE}(?:\s*[T ]\s*{_TIME})?$")
_TIMESTAMP_RE = re.compile(rf"^{_DATE}\s*[T ]\s*{_TIME}\s*{_ZONE}?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_CURRENCY = re.compile(r"^(?:[¥￥]|RMB|CNY)\s*|\s*(?:元|RMB|CNY)$", re.IGNORECASE)

_TRUE = {"true", "1", "是", "yes"}
_FALSE = {"false", "0", "否", "no"}


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _present(values: pd.Series) -> np.ndarray:
    return values.notna().to_numpy(dtype=bool)


def _fill(
    out: pd.Series, todo: np.ndarray, values: pd.Series, fallback: Callable[[pd.Series], pd.Series]
) -> pd.Series:
    """Replace the entries of ``out`` marked ``todo`` by ``fallback`` applied to those values."""
    if todo.any():
        fixed = fallback(values[todo])
        out = out.copy()
        out[todo] = fixed.to_numpy()
    return out


def _datetime_parts(matches: pd.DataFrame) -> pd.Series:
    """Timestamps from the named groups of :data:`_DATE_RE` / :data:`_TIMESTAMP_RE`."""
    parts = pd.DataFrame(index=matches.index)
    parts["year"] = pd.to_numeric(matches["y"].fillna(matches["y8"]))
    parts["month"] = pd.to_numeric(matches["m"].fillna(matches["m8"]))
    parts["day"] = pd.to_numeric(matches["d"].fillna(matches["d8"]))
    if "H" in matches:
        parts["hour"] = pd.to_numeric(matches["H"]).fillna(0)
        parts["minute"] = pd.to_numeric(matches["M"]).fillna(0)
        parts["second"] = pd.to_numeric(matches["S"]).fillna(0)
        fraction = matches["f"].fillna("0").astype(str).str.ljust(6, "0").str[:6]
        parts["us"] = pd.to_numeric(fraction)
    matched = parts["year"].notna()
    if "hour" in parts:
        # pandas would carry 24:00 or a 60th second over into the next day or minute.
        matched &= (parts["hour"] <= 23) & (parts["minute"] <= 59) & (parts["second"] <= 59)
    out = pd.Series(pd.NaT, index=matches.index, dtype="datetime64[us]")
    if matched.any():
        good = parts[matched]
        out[matched] = pd.to_datetime(good, errors="coerce").astype("datetime64[us]")
    if "z" in matches:
        zone = matches["z"]
        named = zone.notna() & out.notna()
        if named.any():
            out[named] = out[named] - _offsets(zone[named]) + pd.Timedelta(hours=LOCAL_UTC_OFFSET_HOURS)
    return out


def _offsets(zones: pd.Series) -> pd.Series:
    """``Z``, ``+08:00``, ``-0530`` -> timedeltas east of UTC."""
    text = zones.str.replace(":", "", regex=False).replace("Z", "+0000")
    sign = text.str[0].map({"+": 1, "-": -1})
    minutes = pd.to_numeric(text.str[1:3]) * 60 + pd.to_numeric(text.str[3:5])
    return pd.to_timedelta(sign * minutes, unit="min")


def _regex_dates(values: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    uniques = pd.Series(values.unique())
    normalised = uniques.map(_nfkc)
    matches = normalised.str.extract(pattern)
    parsed = _datetime_parts(matches)
    lookup = pd.Series(parsed.to_numpy(), index=uniques.to_numpy())
    return pd.Series(lookup.reindex(values.to_numpy()).to_numpy(), index=values.index)


def parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates: ``YYYY-MM-DD``; also ``/`` ``.`` ``年月日`` separators, ``YYYYMMDD``, and a
    time of day, which is dropped (spreadsheets export dates as midnight timestamps).

    >>> parsed, bad = parse_dates(pd.Series(["2024-01-05", "2024/1/6", "2024年1月7日", "20240108",
    ...                                      "2024-01-09 00:00:00", "2024-02-30", None]))
    >>> [str(x.date()) if not pd.isna(x) else None for x in parsed], bad.tolist()
    (['2024-01-05', '2024-01-06', '2024-01-07', '2024-01-08', '2024-01-09', None, None], [False, False, False, False, False, True, False])
    """
    present = _present(values)
    out = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
    todo = present & out.isna().to_numpy()
    out = _fill(out, todo, values, lambda rest: _regex_dates(rest, _DATE_RE))
    out = out.dt.normalize()
    return out, present & out.isna().to_numpy()


def parse_timestamps(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Timestamps: ``YYYY-MM-DDTHH:MM:SS``; also a space for ``T``, no seconds, fractions of a
    second, other date separators, and a zone (converted to UTC+8). A date alone is not a
    timestamp: the time of day matters to the detectors, so it is reported, not guessed.

    >>> parsed, bad = parse_timestamps(pd.Series(["2024-01-05T09:30:00", "2024/1/5 9:30",
    ...                                           "2024-01-05T01:30:00Z", "2024-01-05", "x"]))
    >>> [str(x) if not pd.isna(x) else None for x in parsed], bad.tolist()
    (['2024-01-05 09:30:00', '2024-01-05 09:30:00', '2024-01-05 09:30:00', None, None], [False, False, False, True, True])
    """
    present = _present(values)
    out = pd.to_datetime(values, format="%Y-%m-%dT%H:%M:%S", errors="coerce").astype("datetime64[us]")
    todo = present & out.isna().to_numpy()
    out = _fill(
        out,
        todo,
        values,
        lambda rest: pd.to_datetime(rest, format="%Y-%m-%d %H:%M:%S", errors="coerce").astype(
            "datetime64[us]"
        ),
    )
    # strptime accepts leap seconds (":60", ":61"); a timestamp of the contract does not.
    leap = (values.str.endswith(":60") | values.str.endswith(":61")).fillna(False).to_numpy(dtype=bool)
    todo = present & (out.isna().to_numpy() | leap)
    out = _fill(out, todo, values, lambda rest: _regex_dates(rest, _TIMESTAMP_RE))
    return out, present & out.isna().to_numpy()


def _clean_number(text: str, currency: bool) -> float:
    s = _nfkc(text)
    if currency:
        s = _CURRENCY.sub("", s).strip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _PLAIN_NUMBER.match(s):
        return np.nan
    return float(s)


def _to_float(values: pd.Series) -> pd.Series:
    """Arrow's cast (ten times faster than pandas') when every value is a plain number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        cast = pc.cast(pa.array(values, type=pa.string(), from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    return pd.Series(cast.to_numpy(zero_copy_only=False), index=values.index, dtype="float64")


def _numbers(values: pd.Series, currency: bool) -> tuple[pd.Series, np.ndarray]:
    present = _present(values)
    out = _to_float(values)
    todo = present & ~np.isfinite(out.to_numpy())

    def fallback(rest: pd.Series) -> pd.Series:
        uniques = pd.Series(rest.unique())
        parsed = pd.Series([_clean_number(u, currency) for u in uniques], index=uniques.to_numpy())
        return pd.Series(parsed.reindex(rest.to_numpy()).to_numpy(), index=rest.index)

    out = _fill(out, todo, values, fallback)
    return out, present & ~np.isfinite(out.to_numpy())


def parse_money(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Amounts in yuan: a decimal number, optionally with ``¥``/``RMB``/``元`` and thousands
    separators. Negative amounts parse (the validator reports them).

    >>> parsed, bad = parse_money(pd.Series(["1234.5", "¥1,234.50", "１２３", "12万", "-3", "inf"]))
    >>> parsed.tolist()[:3], parsed.tolist()[4], bad.tolist()
    ([1234.5, 1234.5, 123.0], -3.0, [False, False, False, True, False, True])
    """
    return _numbers(values, currency=True)


def parse_numbers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Plain decimal numbers (thousands separators allowed).

    >>> parse_numbers(pd.Series(["0.3", "1,000", "¥5"]))[1].tolist()
    [False, False, True]
    """
    return _numbers(values, currency=False)


def parse_integers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Whole numbers (``2`` and ``2.0`` both read as 2).

    >>> parsed, bad = parse_integers(pd.Series(["1", "2.0", "2.5", None]))
    >>> parsed.tolist(), bad.tolist()
    ([1, 2, <NA>, <NA>], [False, False, True, False])
    """
    numbers, bad = _numbers(values, currency=False)
    array = numbers.to_numpy()
    fractional = np.isfinite(array) & (np.floor(array) != array)
    bad = bad | fractional
    whole = numbers.where(~fractional)
    return whole.round().astype("Int64"), bad


def parse_bools(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Yes/no values: ``true``/``false``, ``1``/``0``, ``是``/``否``, ``yes``/``no`` (any case).

    >>> parsed, bad = parse_bools(pd.Series(["TRUE", "0", "是", "no", "maybe", None]))
    >>> parsed.tolist(), bad.tolist()
    ([True, False, True, False, <NA>, <NA>], [False, False, False, False, True, False])
    """
    present = _present(values)
    uniques = pd.Series(values.dropna().unique())
    lookup: dict[str, bool] = {}
    for u in uniques:
        key = _nfkc(u).lower()
        if key in _TRUE:
            lookup[u] = True
        elif key in _FALSE:
            lookup[u] = False
    out = values.map(lookup).astype("boolean")
    return out, present & out.isna().to_numpy()
