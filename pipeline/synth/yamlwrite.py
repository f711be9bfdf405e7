"""Block-style YAML of plain dicts, lists and scalars, written directly (fast and deterministic):
``city.yaml`` and ``cities.yaml`` of generated cities."""

from __future__ import annotations

import json
import re

_YAML_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_YAML_PLAIN = re.compile(r"[^\W\d_][^:#\n\"'{}\[\],&*!|>%@`]*", re.UNICODE)


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if _YAML_PLAIN.fullmatch(s) and s == s.strip() and s.lower() not in _YAML_RESERVED:
        return s
    return json.dumps(s, ensure_ascii=False)


def yaml_dump(data, indent: int = 0) -> str:
    """Block-style YAML of plain dicts, lists and scalars (fast and deterministic; strings that
    are not safe as plain scalars are written JSON-quoted, which YAML reads as double-quoted)."""
    pad = " " * indent
    lines = []
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, dict) and v and all(not isinstance(x, (dict, list)) for x in v.values()) and len(v) <= 2 \
                    and sum(len(str(x)) for x in v.values()) < 60:
                lines.append(f"{pad}{k}: {{" + ", ".join(f"{a}: {_scalar(b)}" for a, b in v.items()) + "}")
            elif isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.append(yaml_dump(v, indent + 2).rstrip("\n"))
            else:
                lines.append(f"{pad}{k}: {_scalar(v) if not isinstance(v, (dict, list)) else ('{}' if isinstance(v, dict) else '[]')}")
    else:
        for item in data:
            body = yaml_dump(item, indent + 2).rstrip("\n") if isinstance(item, (dict, list)) else pad + "  " + _scalar(item)
            lines.append(pad + "- " + body[indent + 2:])
    return "\n".join(lines) + "\n"
