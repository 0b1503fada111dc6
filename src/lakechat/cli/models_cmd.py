"""`lakechat models ...`: list and validate the semantic models."""

from __future__ import annotations

from pathlib import Path

import typer

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
            err_console.print(problem, highlight=False, soft_wrap=True)
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
