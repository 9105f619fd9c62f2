"""The command line: a thin shell over conform.api. Only this module imports click."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from conform import __version__, api, fingerprint
from conform.errors import ConformError
from conform.model import ExitCode, Severity
from conform.render.document import build
from conform.render.violations import write_violations
from conform.resources import DEFAULT_PROFILE


def _fail(message: str) -> None:
    click.echo(f"conform: {message}", err=True)
    sys.exit(ExitCode.NOT_CHECKED)


def _progress_printer():
    """Progress on a terminal only: quiet when stderr is redirected or under CI."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None

    def show(step: str, done: int, total: int) -> None:
        click.echo(f"\r[{done}/{total}] {step:<40}", err=True, nl=done == total)

    return show


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


MAPPING_OPTION = click.option(
    "--mapping", type=click.Path(path_type=Path, dir_okay=False),
    help="A mapping file (YAML) describing the vendor's export as the profile's tables; draft one with "
         "`conform init-mapping EXPORT`.")

REQUIREMENTS_OPTION = click.option(
    "--requirements", type=click.Path(path_type=Path, dir_okay=False),
    help="A requirements file (YAML): per information set skall or bör with a tolerance, and accepted "
         "deviations; it decides the verdict. Write the default with `conform init-requirements`.")


class _Commands(click.Group):
    """Every command: what cannot be checked (a bad path, profile, rule or mapping file: a ConformError) and what
    the operating system refuses (a full disk, an output folder that cannot be made or written) is one line,
    naming the file, and exit 2, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConformError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc))


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conform")
def main() -> None:
    """Check a social-services export against SKR's Basinformation i socialtjänsten.

    Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 could not check.
    """


@main.command()
@click.argument("export", type=click.Path(path_type=Path))
@click.option("--profile", default=DEFAULT_PROFILE, show_default=True, help="Profile name or folder.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Reference date (default: the package's `created` date, else today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "markdown"]), default="text",
              show_default=True, help="junit: one test case per rule, for CI; markdown: a short summary for a "
                                      "pull request or job summary.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report here instead of standard output.")
@click.option("--violations", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write every violation to this file (keys and person-IDs in full: the data owner's working "
                   "list): CSV, or an Excel workbook if the name ends in .xlsx.")
@click.option("--csv-dialect", type=click.Choice(["standard", "excel-sv"]), default="standard", show_default=True,
              help="The violations CSV's dialect: standard (',' and LF) or excel-sv (';' and CRLF, for a Swedish "
                   "Excel). Both are UTF-8 with a BOM.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True)
@click.option("--reveal-ids", is_flag=True, help="Show full person-IDs in the report (masked by default).")
@click.option("--html", "html", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the HTML report (as `conform report`) to this file.")
@MAPPING_OPTION
@REQUIREMENTS_OPTION
def check(export: Path, profile: str, as_of, fmt: str, output: Path | None, violations: Path | None,
          csv_dialect: str, lang: str, fail_on: str, reveal_ids: bool, html: Path | None, mapping: Path | None, requirements: Path | None) -> None:
    """Check EXPORT and report per information set.

    EXPORT is a folder of the profile's canonical CSV tables, or, with --mapping, whatever the vendor sent
    (a folder, .zip, .xlsx, .csv, .parquet or .jsonl) as the mapping describes it.
    """
    _refuse_overwriting_input(export, output, violations, html, mapping=mapping, requirements=requirements)
    result = _checked(export, profile, as_of, mapping, requirements)
    document = build(result, lang=lang, reveal_ids=reveal_ids,
                     fingerprint_key=fingerprint.key() if fmt == "json" else None)
    if fmt == "json":
        _write(json.dumps(document, ensure_ascii=False, indent=2) + "\n", output)
    elif fmt == "junit":
        from conform.render.junit import junit_xml

        _write(junit_xml(document, fail_on), output)
    elif fmt == "markdown":
        from conform.render.markdown import markdown_summary

        _write(markdown_summary(document, fail_on), output)
    else:
        from conform.render.text import render_text  # Jinja2 only when a template is rendered

        _write(render_text(document), output)
    if violations is not None:
        violations.parent.mkdir(parents=True, exist_ok=True)
        n = write_violations(result, violations, lang, csv_dialect, api.load(profile)[0])
        click.echo(f"conform: {n} violation(s) written to {violations}", err=True)
    if html is not None:
        _write(_html_report(result, profile, lang, reveal_ids, None, None), html)
        click.echo(f"conform: HTML report written to {html}", err=True)
    if output is not None:
        click.echo(f"conform: report written to {output}", err=True)
    sys.exit(result.exit_code(Severity(fail_on)))


def _checked(export: Path, profile: str, as_of, mapping: Path | None, requirements: Path | None):
    result = api.check(export, profile, as_of.date() if as_of else None, progress=_progress_printer(),
                       mapping=mapping, requirements=requirements)
    if result.as_of_source == "today":
        # Ages, overdue decisions and "after the reference date" move with the calendar: say so where a CI log
        # shows it, so that a gate that starts failing on its own is explained.
        click.echo(f"conform: warning: the reference date is today ({result.as_of}): the export has no "
                   "datapackage.json with a 'created' date, so the same data may be judged differently on "
                   "another day; give --as-of YYYY-MM-DD for a reproducible result", err=True)
    return result


def _html_report(result, profile: str, lang: str, reveal_ids: bool, vendor: str | None,
                 system_version: str | None) -> str:
    from conform.render.html import report_html

    return report_html(result, profile, lang, reveal_ids, vendor, system_version)


@main.command()
@click.argument("export", type=click.Path(path_type=Path))
@click.option("--html", "html", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the HTML report to this file (default: standard output).")
@click.option("--profile", default=DEFAULT_PROFILE, show_default=True, help="Profile name or folder.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Reference date (default: the package's `created` date, else today).")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True)
@click.option("--reveal-ids", is_flag=True, help="Show full person-IDs in the report (masked by default).")
@click.option("--vendor", help="Vendor/system name for the report (default: the export's datapackage.json title).")
@click.option("--system-version", help="System version for the report (default: the datapackage.json version).")
@MAPPING_OPTION
@REQUIREMENTS_OPTION
def report(export: Path, html: Path | None, profile: str, as_of, lang: str, fail_on: str, reveal_ids: bool,
           vendor: str | None, system_version: str | None, mapping: Path | None,
           requirements: Path | None) -> None:
    """Check EXPORT and write one self-contained HTML report: verdict, information sets per target group,
    value-set coverage, capability findings, findings per rule and follow-up figures. Opens offline and prints
    to A4. Exit codes as for `check`."""
    _refuse_overwriting_input(export, html, mapping=mapping, requirements=requirements)
    result = _checked(export, profile, as_of, mapping, requirements)
    _write(_html_report(result, profile, lang, reveal_ids, vendor, system_version), html)
    if html is not None:
        click.echo(f"conform: HTML report written to {html}", err=True)
    sys.exit(result.exit_code(Severity(fail_on)))


def _refuse_overwriting_input(export: Path, *targets: Path | None, mapping: Path | None = None,
                              requirements: Path | None = None) -> None:
    """conform never modifies its inputs: refuse to write a report over a file of the export, the mapping or the
    requirements."""
    inputs = {p.resolve() for p in export.rglob("*")} if export.is_dir() else {export.resolve()}
    inputs |= {p.resolve() for p in (mapping, requirements) if p is not None}
    for target in targets:
        if target is not None and target.resolve() in inputs:
            _fail(f"{target} is a file of the export; conform never writes over its input. Choose another path.")


@main.command("rules")
@click.option("--profile", default=DEFAULT_PROFILE, show_default=True)
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_rules(profile: str, lang: str, fmt: str) -> None:
    """List the rules of a profile."""
    _, rules = api.load(profile)
    if fmt == "json":
        click.echo(json.dumps([_rule_dict(r, lang) for r in rules], ensure_ascii=False, indent=2))
        return
    for r in rules:
        click.echo(f"{r.code}  {r.severity.value:<7}  {r.basis.value:<14}  {r.category.value:<12}  {r.name}")


@main.command()
@click.argument("code")
@click.option("--profile", default=DEFAULT_PROFILE, show_default=True)
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
def explain(code: str, profile: str, lang: str) -> None:
    """Show one rule: what it checks, its spec reference, how to fix, an example."""
    _, rules = api.load(profile)
    wanted = code.upper()
    rule = next((r for r in rules if wanted in (r.code, *r.aliases) or r.name == code), None)
    if rule is None:
        _fail(f"no rule {code!r}; `conform rules` lists them")
    info = _rule_dict(rule, lang)
    click.echo(f"{rule.code} {rule.name} ({rule.severity.value}, {rule.category.value})")
    click.echo(f"  basis: {rule.basis.value}")
    click.echo(f"  information sets: {', '.join(rule.information_sets) or '-'}")
    click.echo(f"  message: {info['message']}")
    click.echo(f"  spec: {rule.spec}")
    click.echo(f"  quote ({rule.quote_section}):")
    for line in rule.quote.splitlines():
        click.echo(f"    {line}" if line else "")
    if info["reading"]:
        click.echo(f"  reading: {info['reading']}")
    click.echo(f"  fix: {info['fix']}")
    click.echo(f"  kind: {rule.kind} {json.dumps(info['params'], ensure_ascii=False)}")
    if rule.example:
        for label, text in rule.example.items():
            click.echo(f"  example ({label}): {text}")


@main.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--name", "names", multiple=True, help="A vendor's name, once per RESULT in order "
                                                     "(default: the export folder's name).")
@click.option("--html", type=click.Path(path_type=Path, dir_okay=False), help="Write the comparison page here.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the same matrix as CSV here.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@REQUIREMENTS_OPTION
def compare(results: tuple[Path, ...], names: tuple[str, ...], html: Path | None, csv_path: Path | None,
            lang: str, requirements: Path | None) -> None:
    """Compare several vendors' results (JSON from `conform check --format json`) side by side.

    Refuses results made with different profile versions. Without --html or --csv the CSV goes to standard output.
    """
    from conform.compare import compare as build_matrix
    from conform.compare import compare_csv, compare_html, load_results

    if names and len(names) != len(results):
        _fail(f"--name was given {len(names)} time(s) for {len(results)} result(s); give one per result or none")
    documents = load_results(results)
    if requirements is not None:
        from conform.compare import rejudge

        documents = rejudge(documents, requirements, [str(r) for r in results])
    matrix = build_matrix(documents, names=list(names) or None, sources=list(results))
    if html:
        _write(compare_html(matrix, lang), html)
        click.echo(f"conform: comparison written to {html}", err=True)
    if csv_path or not html:
        _write(compare_csv(matrix), csv_path)
        if csv_path:
            click.echo(f"conform: comparison matrix written to {csv_path}", err=True)


@main.command()
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
def diff(old: Path, new: Path, fmt: str, output: Path | None, lang: str) -> None:
    """What changed from OLD to NEW (two results of `conform check --format json`).

    Exit codes: 0 no regression; 1 NEW has an error-level finding OLD did not, or a set became nonconformant or
    missing; 2 could not compare.
    """
    from conform.compare import load_result
    from conform.diff import diff as build_diff
    from conform.diff import diff_html, diff_text, exit_code

    d = build_diff(load_result(old), load_result(new), sources=[old, new])
    if fmt == "json":
        _write(json.dumps(d, ensure_ascii=False, indent=2) + "\n", output)
    elif fmt == "html":
        _write(diff_html(d, lang), output)
    else:
        _write(diff_text(d, lang), output)
    sys.exit(exit_code(d))


def _rule_dict(rule, lang: str) -> dict:
    return {"code": rule.code, "name": rule.name, "kind": rule.kind, "category": rule.category.value,
            "severity": rule.severity.value, "information_sets": list(rule.information_sets),
            "message": rule.message[lang], "fix": rule.fix[lang], "spec": rule.spec, "basis": rule.basis.value,
            "quote": {"section": rule.quote_section, "text": rule.quote},
            "reading": rule.reading[lang] if rule.reading else None,
            "params": rule.params.model_dump(), "example": rule.example}


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--persons", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--defects", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of records to corrupt; the expected findings are written beside the export.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default="2025-06-30",
              show_default=True, help="The export's reference date (its `created` date).")
@click.option("--shape", type=click.Choice(["canonical", "normalised", "wide", "workbook"]), default="canonical",
              show_default=True, help="Write the population as an example vendor would (see conform.generator."
                                      "vendors).")
def generate(outdir: Path, persons: int, defects: float, seed: int, as_of, shape: str) -> None:
    """Write a realistic synthetic export (deterministic per seed) to OUTDIR."""
    from conform.generator import generate as run_generator

    if shape != "canonical":
        _generate_shape(outdir, persons, defects, seed, as_of.date(), shape)
        return
    summary = run_generator(outdir, persons=persons, defects=defects, seed=seed, as_of=as_of.date())
    tables = ", ".join(f"{t} {n:,}" for t, n in summary.counts.items())
    click.echo(f"conform: synthetic export written to {outdir}: {tables}", err=True)
    if summary.defects:
        click.echo(f"conform: {sum(summary.defects.values())} defects injected over {len(summary.defects)} rules; "
                   f"expected findings in {outdir / 'expected_findings.csv'}", err=True)
    if summary.synthesised_ids:
        click.echo(f"conform: {summary.synthesised_ids:,} person-IDs synthesised beyond Skatteverket's test lists",
                   err=True)


def _generate_shape(outdir: Path, persons: int, defects: float, seed: int, as_of, shape: str) -> None:
    import tempfile

    from conform.generator import generate as run_generator
    from conform.generator.vendors import read_canonical, write_shape

    with tempfile.TemporaryDirectory(prefix="conform-generate-") as tmp:
        run_generator(Path(tmp), persons=persons, defects=defects, seed=seed, as_of=as_of)
        paths = write_shape(read_canonical(Path(tmp)), shape, outdir)
    click.echo(f"conform: {shape} vendor export written to {', '.join(map(str, paths))}", err=True)


@main.command("init-requirements")
@click.option("--profile", default=DEFAULT_PROFILE, show_default=True, help="Profile name or folder.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the file here instead of standard output.")
def init_requirements(profile: str, output: Path | None) -> None:
    """Write the default requirements file (every information set skall, tolerance 0) for a buyer or a
    vendor's release gate to edit; give it to check, report and compare with --requirements."""
    from conform.requirements import init_requirements_yaml

    _write(init_requirements_yaml(api.load(profile)[0]), output)


@main.command("init-mapping")
@click.argument("export", type=click.Path(path_type=Path))
@click.option("--profile", default=DEFAULT_PROFILE, show_default=True, help="Profile name or folder.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the draft here instead of standard output.")
def init_mapping(export: Path, profile: str, output: Path | None) -> None:
    """Draft a mapping for an unknown export: matches headings and values to the profile's fields, with a
    confidence for every guess and a list of what it could not map. Review it, then give it to
    `conform check EXPORT --mapping FILE`."""
    from conform.mapping.draft import draft_mapping

    _refuse_overwriting_input(export, output)
    text = draft_mapping(export, api.load(profile)[0])
    _write(text, output)
    if output is not None:
        click.echo(f"conform: draft mapping written to {output}; review every line marked REVIEW", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
