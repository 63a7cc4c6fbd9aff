"""One YAML writer for the generated Rasa files (ruamel.yaml, as Rasa itself uses)."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString


def block(lines: list[str]) -> LiteralScalarString:
    """A list as Rasa's training-example block (`- example` lines)."""
    text: LiteralScalarString = LiteralScalarString("".join(f"- {line}\n" for line in lines))
    return text


def dump(data: Any) -> str:
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.representer.add_representer(type(None), _null)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _null(representer: Any, _value: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")
