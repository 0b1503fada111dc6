"""Load model files and report every problem with its file, line and a did-you-mean.

YAML is read with the YAML 1.2 idea of booleans (only ``true``/``false``), so a join's
``on:`` key stays the word "on" instead of becoming ``True`` as YAML 1.1 loaders make it.
A file's problems never stop the others from loading: the valid models are served and
the broken ones are listed.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from pydantic import BaseModel, ValidationError

from lakechat.semantic.model import Dimension, Measure, MetricView
from lakechat.yaml12 import Yaml12Loader

SHIPPED_MODELS = Path(__file__).with_name("models")
_MEASURE_REF = re.compile(r"\bMEASURE\s*\(\s*`?([^`)]+?)`?\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class ModelProblem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class LoadedModel:
    """A valid model and where it came from; its id is the file name without ``.yaml``."""

    id: str
    path: Path
    view: MetricView
    #: sha256 of the file: cached results of an edited model are never served
    digest: str = ""


@dataclass
class MutableModelSet:
    models: dict[str, LoadedModel] = field(default_factory=dict)
    problems: list[ModelProblem] = field(default_factory=list)


#: Builds scalar values from nodes the loader already tagged.
_SCALARS = Yaml12Loader("")


def model_folders(models_path: str | None, home: Path) -> list[Path]:
    """MODELS_PATH's folders (separated by ``:``), else the shipped models and the data dir's."""
    if models_path:
        return [Path(part).expanduser() for part in models_path.split(":") if part.strip()]
    return [SHIPPED_MODELS, home / "models"]


def load_models(folders: Iterable[Path]) -> MutableModelSet:
    """Every ``*.yaml`` in ``folders``; a later folder's model replaces an earlier one's."""
    result = MutableModelSet()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.y*ml")):
            model, problems = load_model_file(path)
            result.problems.extend(problems)
            if model is not None:
                result.models[model.id] = model
    return result


def load_model_file(path: Path) -> tuple[LoadedModel | None, list[ModelProblem]]:
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=Yaml12Loader)
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ModelProblem(shown, 1, f"cannot read the file: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return None, [ModelProblem(shown, line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if node is None:
        return None, [ModelProblem(shown, 1, "the file is empty")]
    lines: dict[tuple[Any, ...], int] = {}
    data = _plain(node, (), lines)
    if isinstance(data, dict) and isinstance(data.get("version"), float | int):
        data["version"] = f"{data['version']}"
    try:
        view = MetricView.model_validate(data)
    except ValidationError as exc:
        return None, [_problem(shown, error, lines) for error in exc.errors()]
    problems = [
        ModelProblem(shown, lines.get(loc, 1), message) for loc, message in _references(view)
    ]
    if problems:
        return None, problems
    return LoadedModel(path.stem, path, view, hashlib.sha256(text.encode()).hexdigest()), []


def _plain(node: yaml.Node, loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> Any:
    """The node as plain Python, recording the line of every key and item on the way."""
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _plain(value_node, (*loc, key), lines)
            lines[(*loc, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*loc, i), lines) for i, item in enumerate(node.value)]
    return _SCALARS.construct_object(node, deep=True)


def _problem(file: str, error: Any, lines: dict[tuple[Any, ...], int]) -> ModelProblem:
    loc = tuple(error["loc"])
    line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 1)
    where = ".".join(str(part) for part in loc) or "the file"
    if error["type"] == "extra_forbidden":
        allowed = _fields_at(MetricView, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(allowed)}"
        return ModelProblem(file, line, f"unknown key {where}{suggestion}")
    message = str(error["msg"]).removeprefix("Value error, ")
    return ModelProblem(file, line, f"{where}: {message}")


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a model accepts at ``loc`` (list indexes and dict keys skipped)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (
            isinstance(current, type) and issubclass(current, BaseModel)
        ):
            continue
        info = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if info is None:
            return []
        current = _model_in(info.annotation)
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return sorted(f.alias or name for name, f in current.model_fields.items())


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _references(view: MetricView) -> list[tuple[tuple[Any, ...], str]]:
    """Names that must exist, unique names, and expressions that must parse."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    named: tuple[tuple[str, tuple[Dimension | Measure, ...]], ...] = (
        ("dimensions", view.dimensions),
        ("measures", view.measures),
    )
    for kind, items in named:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.name in seen:
                problems.append(((kind, i, "name"), f"{kind[:-1]} {item.name!r} is defined twice"))
            seen.add(item.name)
            problems += _parses(item.expr, (kind, i, "expr"))
    measures = [m.name for m in view.measures]
    for i, measure in enumerate(view.measures):
        for ref in _MEASURE_REF.findall(measure.expr):
            if ref not in measures or ref == measure.name:
                problems.append(((
                    "measures", i, "expr"),
                    f"MEASURE({ref}) names no other measure{_did_you_mean(ref, measures)}",
                ))  # fmt: skip
    joins = [j.name for j in view.all_joins()]
    if len(joins) != len(set(joins)):
        problems.append((("joins",), "two joins share a name"))
    dimensions = [d.name for d in view.dimensions]
    extras = view.extras
    if extras.default_time_dimension and extras.default_time_dimension not in dimensions:
        problems.append((("x-lakechat", "default_time_dimension"),
                         f"no dimension {extras.default_time_dimension!r}"
                         f"{_did_you_mean(extras.default_time_dimension, dimensions)}"))  # fmt: skip
    for name in extras.value_synonyms:
        if name not in dimensions:
            problems.append((("x-lakechat", "value_synonyms", name),
                             f"value synonyms for no dimension {name!r}{_did_you_mean(name, dimensions)}"))  # fmt: skip
    for name in extras.referential_integrity:
        if name not in joins:
            problems.append((("x-lakechat", "referential_integrity"),
                             f"no join {name!r}{_did_you_mean(name, joins)}"))  # fmt: skip
    if view.filter:
        problems += _parses(view.filter, ("filter",))
    return problems


def _parses(expr: str, loc: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    try:
        sqlglot.parse_one(expr.replace("MEASURE(", "MEASURE_REF("), read="databricks")
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0]
        return [(loc, f"the expression does not parse as Databricks SQL: {first}")]
    return []


def _did_you_mean(name: str, known: list[str]) -> str:
    hint = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""
