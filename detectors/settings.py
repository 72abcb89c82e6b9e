"""Detector settings: one YAML section per detector id, each key a parameter.

```yaml
repeated_pairs:
  min_contracts: 4      # count
  alpha: 0.001          # ratio
```

An unknown detector id or parameter name is an error (a typo must not silently
leave a default in force); values are converted to the parameter's type.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from detectors.base import Detector

__all__ = ["SettingsError", "load_settings", "params_from_mapping"]


class SettingsError(ValueError):
    """A settings file names something that does not exist or has a value of the wrong type."""


def _convert(value: Any, target: type, where: str) -> Any:
    if target in (tuple, list) and isinstance(value, str):
        # a single name is a one-item list, not a sequence of characters
        return target([value])
    if target is bool:
        if isinstance(value, bool):
            return value
        raise SettingsError(f"{where}: expected true or false, got {value!r}")
    try:
        return target(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{where}: expected a {target.__name__}, got {value!r}") from None


def params_from_mapping(detector: Detector, values: Mapping[str, Any], source: str = "settings") -> Any:
    """Build ``detector``'s ``Params`` from a mapping; unknown keys are an error."""
    fields = {f.name: f for f in dataclasses.fields(detector.params_type)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise SettingsError(
            f"{source}: detector {detector.id} has no parameter {', '.join(unknown)}; "
            f"known: {', '.join(fields)}"
        )
    converted = {}
    for name, value in values.items():
        default = fields[name].default
        converted[name] = _convert(value, type(default), f"{source}: {detector.id}.{name}")
    return detector.params_type(**converted)


def load_settings(path: str | os.PathLike[str] | None, detectors: list[Detector]) -> dict[str, Any]:
    """Parameters per detector id: defaults, overridden by the YAML file at ``path`` if given."""
    params = {d.id: d.default_params() for d in detectors}
    if path is None:
        return params
    source = Path(path)
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"{source}: cannot read settings: {exc}") from exc
    if not isinstance(document, dict):
        raise SettingsError(f"{source}: expected one section per detector id")
    by_id = {d.id: d for d in detectors}
    unknown = sorted(set(document) - set(by_id))
    if unknown:
        raise SettingsError(f"{source}: unknown detector {', '.join(unknown)}; known: {', '.join(by_id)}")
    for detector_id, values in document.items():
        if not isinstance(values, dict):
            raise SettingsError(f"{source}: section {detector_id} must map parameter names to values")
        params[detector_id] = params_from_mapping(by_id[detector_id], values, str(source))
    return params
