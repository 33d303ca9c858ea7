"""Reading an organisation file (YAML) that anyone may have written: bounded, and never a crash.

PyYAML's safe loader builds the document recursively (``Composer.compose_node``): a file nested a
few thousand levels deep raised RecursionError, a 500 (issue 13.7). It also turns ``2025-02-30``
into a date and fails with ValueError; here dates stay text and lib/core/orgfile reads them, so an
impossible one is refused by the field's own check (``memberships[3].until: must be a date``).
The libyaml loader is not used: it overflows the C stack (a crash of the worker) on deep nesting.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_BYTES = 2 * 1024 * 1024  # an organisation of 500 groups and 20,000 memberships is about 1.2 MB
MAX_DEPTH = 32  # an organisation file nests six levels (working_groups[i].grants[j].path)
TIMESTAMP = "tag:yaml.org,2002:timestamp"


class UnreadableYaml(Exception):
    """Why the text is not an organisation file one can read, and on which line (None: unknown)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class _Loader(yaml.SafeLoader):
    """The safe loader, with a depth limit, dates left as text, and the line of the value being read."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:  # the reader has its own ``line``: other names here
        super().__init__(stream)
        self._nesting = 0
        self._value_line: int | None = None

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._nesting += 1
        try:
            if self._nesting > MAX_DEPTH:
                raise UnreadableYaml("too deep", self.peek_event().start_mark.line + 1)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        self._value_line = node.start_mark.line + 1
        return super().construct_object(node, deep)


def load(text: str) -> Any:
    """The data ``text`` holds; :class:`UnreadableYaml` ("too large", "too deep", "invalid") if none."""
    if len(text) > MAX_BYTES or len(text.encode()) > MAX_BYTES:
        raise UnreadableYaml("too large")
    try:
        loader = _Loader(text)  # the reader refuses a control character (a NUL) here already
    except yaml.YAMLError as exc:
        raise UnreadableYaml("invalid") from exc
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UnreadableYaml("invalid", mark.line + 1 if mark is not None else loader._value_line) from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a tagged value (!!int x)
        raise UnreadableYaml("invalid", loader._value_line) from exc
    finally:
        loader.dispose()


def line_of(text: str, field: str) -> int | None:
    """The line of ``text`` where ``field`` (``memberships[2].until``, lib/core/orgfile) is written, or
    of the nearest entry around it that is; None if the text cannot be read again. Only called for an
    error, on a text :func:`load` has read already (so it is bounded)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except (yaml.YAMLError, UnreadableYaml, ValueError, RecursionError):
        return None
    finally:
        loader.dispose()
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key, index in re.findall(r"(\w+)|\[(\d+)\]", field.split(" (")[0]):
        if key and isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        elif key != "organisation":
            break
    return line
