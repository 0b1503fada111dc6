"""`lakechat models ...`: list, validate, draft and import the semantic models."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.markup import escape

from lakechat.cli.output import console, err_console, print_json, print_table

app = typer.Typer(help="Semantic models (Unity Catalog metric views).", no_args_is_help=True)


def _folders(paths: list[Path] | None) -> list[Path]:
    from lakechat.semantic.loader import model_folders
    from lakechat.settings import load_settings

    if paths:
        return paths
    settings = load_settings()
    return model_folders(settings.models_path, settings.home)


@app.command("validate")
def validate(
    paths: list[Path] | None = typer.Argument(
        None, help="Model folders (default MODELS_PATH, else the shipped and data-dir models)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check every model file; print each problem as file:line: message; exit 1 on any."""
    from lakechat.semantic.loader import load_models

    folders = _folders(paths)
    missing = [str(folder) for folder in folders if paths and not folder.is_dir()]
    loaded = load_models(folders)
    problems = [str(p) for p in loaded.problems] + [f"{m}: no such folder" for m in missing]
    if as_json:
        print_json({"models": sorted(loaded.models), "problems": problems})
    else:
        for problem in problems:
            err_console.print(escape(str(problem)), highlight=False, soft_wrap=True)
        console.print(f"{len(loaded.models)} valid models, {len(problems)} problems")
    if problems:
        raise typer.Exit(1)


@app.command("list")
def list_models(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The valid models: id, source, dimensions and measures."""
    from lakechat.semantic.loader import load_models

    loaded = load_models(_folders(None))
    rows = [
        (m.id, m.view.source, len(m.view.dimensions), len(m.view.measures), str(m.path))
        for m in sorted(loaded.models.values(), key=lambda m: m.id)
    ]
    if as_json:
        print_json(
            {
                "models": [
                    dict(zip(("id", "source", "dimensions", "measures", "path"), r, strict=True))
                    for r in rows
                ]
            }
        )
        return
    print_table("", ["id", "source", "dimensions", "measures", "file"], rows)


@app.command("draft")
def draft(
    table: str = typer.Option(..., "--table", help="The table, as catalog.schema.table."),
    out: Path | None = typer.Option(
        None, "--out", help="File to write (default $LAKECHAT_HOME/models/<table>.yaml)."
    ),
    name: str | None = typer.Option(
        None, "--name", help="Model id: the file name in $LAKECHAT_HOME/models."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Write a starter model from a table's columns, read through the SQL guard."""
    from lakechat.errors import BadRequest
    from lakechat.semantic.draft import (
        draft_model,
        model_yaml,
        parse_table_name,
        read_table,
        write_model_files,
    )
    from lakechat.settings import load_settings
    from lakechat.warehouse.factory import build_warehouse

    parsed = parse_table_name(table)
    if out is not None and name is not None:
        raise BadRequest("give --out or --name, not both: a model's id is its file name")
    if name is not None and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]*", name):
        raise BadRequest(f"--name {name!r}: use letters, digits, _ and - (it is the file name)")
    if out is not None and out.suffix not in {".yaml", ".yml"}:
        raise BadRequest(f"--out {out}: a model file ends in .yaml, or lakechat will not read it")
    settings = load_settings()
    path = out or settings.home / "models" / f"{name or parsed.table}.yaml"
    _refuse_to_replace([path], force=force)  # before asking the warehouse anything
    warehouse = build_warehouse(settings)
    try:
        columns, comment = read_table(
            warehouse, parsed, timeout_seconds=settings.query_timeout_seconds
        )
        drafted = draft_model(parsed, columns, dialect=warehouse.dialect, table_comment=comment)
    finally:
        warehouse.close()
    header = [f"Drafted by `lakechat models draft` from {parsed}: review it before use."]
    header += [f"Note: {note}" for note in drafted.notes]
    write_model_files([(path, model_yaml(drafted.view, header))], force=force)
    view = drafted.view
    if as_json:
        print_json({
            "id": path.stem, "path": str(path), "source": view.source,
            "dimensions": [d.name for d in view.dimensions],
            "measures": [m.name for m in view.measures],
            "default_time_dimension": view.extras.default_time_dimension,
            "notes": list(drafted.notes),
        })  # fmt: skip
        return
    for note in drafted.notes:
        err_console.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
    console.print(
        f"wrote {path}: model {path.stem!r}, {len(view.dimensions)} dimensions, "
        f"{len(view.measures)} measures; review it, then run `lakechat models validate`",
        highlight=False,
        soft_wrap=True,
    )


@app.command("import-setupranali")
def import_setupranali(
    catalog: Path = typer.Argument(..., help="A SetuPranali catalog.yaml."),
    out_dir: Path | None = typer.Option(
        None, "--out-dir", help="Folder to write the models to (default $LAKECHAT_HOME/models)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace existing files."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Convert a SetuPranali catalog's datasets into models, one file per dataset."""
    from lakechat.semantic.draft import model_yaml, write_model_files
    from lakechat.semantic.setupranali import read_catalog
    from lakechat.settings import load_settings

    converted = read_catalog(catalog)
    folder = out_dir or load_settings().home / "models"
    files = []
    for model in converted.models:
        header = [f"Imported by `lakechat models import-setupranali` from {catalog.name}."]
        header += [f"Note: {w.item}: {w.message}" for w in converted.warnings
                   if w.dataset == model.key]  # fmt: skip
        files.append((folder / f"{model.id}.yaml", model_yaml(model.view, header)))
    _refuse_to_replace([path for path, _ in files], force=force)
    write_model_files(files, force=force)
    if as_json:
        print_json({
            "models": [
                {"id": m.id, "path": str(path), "source": m.view.source,
                 "dimensions": len(m.view.dimensions), "measures": len(m.view.measures)}
                for m, (path, _) in zip(converted.models, files, strict=True)
            ],
            "warnings": [str(w) for w in converted.warnings],
        })  # fmt: skip
        return
    for warning in converted.warnings:
        err_console.print(f"warning: {escape(str(warning))}", highlight=False, soft_wrap=True)
    ids = ", ".join(m.id for m in converted.models)
    console.print(
        f"wrote {len(files)} models to {folder}: {ids}; {len(converted.warnings)} warnings",
        highlight=False,
        soft_wrap=True,
    )


def _refuse_to_replace(paths: list[Path], *, force: bool) -> None:
    """Existing files, and the ids of the models lakechat ships (a data-dir model of the
    same id replaces the shipped one), are only overwritten or shadowed with --force."""
    from lakechat.errors import Conflict
    from lakechat.semantic.loader import SHIPPED_MODELS

    if force:
        return
    existing = [str(path) for path in paths if path.exists()]
    if existing:
        verb = "exists" if len(existing) == 1 else "exist"
        raise Conflict(f"{', '.join(existing)} already {verb}; pass --force to replace it")
    shipped = [path.stem for path in paths if (SHIPPED_MODELS / f"{path.stem}.yaml").exists()]
    if shipped:
        raise Conflict(
            f"lakechat ships a model called {', '.join(shipped)}, which this file would "
            "replace; choose another name (--name or --out), or pass --force"
        )
