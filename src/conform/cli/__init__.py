"""The command line: a thin shell over conform.api. Only this package imports click (the catalogue's wording
of click: conform.cli.localised).

Everything it says comes from the message catalogue (reports_templates/labels.yaml: ``cli`` and
``error_messages``), in Swedish unless ``--lang en`` is given anywhere on the line or ``CONFORM_LANG=en`` is set:
the help of every command and option, what it writes on standard error, every error, and the mistakes click finds
on the command line (an unknown option or command, a missing argument, a value outside its choices; a rarer one
keeps click's English detail after a lead in the chosen language)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

# Polars allocates with jemalloc, which by default keeps all address space it ever mapped ("retain"): under an
# address-space cap (ulimit -v, RLIMIT_AS, common on shared servers) a check whose memory was freed long ago can
# still fail to allocate. Freed address space is returned instead (jemalloc's advice for such environments;
# no measurable cost, bench/README.md). Set before polars is first imported; a user's own setting is kept.
os.environ.setdefault("_RJEM_MALLOC_CONF", "retain:false")

import click

from conform import __version__, api
from conform.catalogue import fill, labels
from conform.cli.localised import LANGUAGES, Commands, fail, language, option, say, words, write
from conform.cli.progress import progress_printer
from conform.formatting import int_text
from conform.input.convert import FORMATS as CONVERT_FORMATS
from conform.model import Severity
from conform.profile import field_titles
from conform.render.document import build
from conform.render.findings import filled
from conform.render.violations import write_violations
from conform.resources import DEFAULT_PROFILE
from conform.result import fingerprint

MAPPING_OPTION = option("--mapping", type=click.Path(path_type=Path, dir_okay=False), help_key="mapping")
REQUIREMENTS_OPTION = option("--requirements", type=click.Path(path_type=Path, dir_okay=False),
                             help_key="requirements")
LANG_OPTION = option("--lang", type=click.Choice(LANGUAGES), default=language, show_default=True, help_key="lang")
PROFILE_OPTION = option("--profile", default=DEFAULT_PROFILE, show_default=True, help_key="profile")
AS_OF_OPTION = option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help_key="as_of")
FAIL_ON_OPTION = option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error",
                        show_default=True, help_key="fail_on")
REVEAL_OPTION = option("--reveal-ids", is_flag=True, help_key="reveal_ids")
QUIET_OPTION = option("--quiet", "-q", is_flag=True, help_key="quiet")
TEMP_DIR_OPTION = option("--temp-dir", type=click.Path(path_type=Path, exists=True, file_okay=False, writable=True),
                         help_key="temp_dir")


def _show_version(ctx: click.Context, _param, value: bool) -> None:
    """The tool's version and the bundled profile's: a result is only comparable within one profile version."""
    if not value or ctx.resilient_parsing:
        return
    from conform.profile import load_profile

    profile = load_profile(DEFAULT_PROFILE)
    click.echo(fill(words()["version"], version=__version__, profile=profile.name,
                    profile_version=profile.version, title=profile.title))
    ctx.exit()


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
        help_key="version_option")
@option("--debug", is_flag=True, help_key="debug")
def main(debug: bool) -> None:
    """Check a social-services export against SKR's Basinformation i socialtjänsten (the help shown is the
    catalogue's cli.main)."""


@main.command()
@click.argument("export", type=click.Path(path_type=Path))
@PROFILE_OPTION
@AS_OF_OPTION
@option("--format", "fmt", type=click.Choice(["text", "json", "junit", "markdown"]), default="text",
        show_default=True, help_key="format")
@option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help_key="output")
@option("--violations", type=click.Path(path_type=Path, dir_okay=False), help_key="violations")
@option("--csv-dialect", type=click.Choice(["standard", "excel-sv"]), default="standard", show_default=True,
        help_key="csv_dialect")
@LANG_OPTION
@FAIL_ON_OPTION
@REVEAL_OPTION
@option("--html", "html", type=click.Path(path_type=Path, dir_okay=False), help_key="html")
@MAPPING_OPTION
@REQUIREMENTS_OPTION
@QUIET_OPTION
@TEMP_DIR_OPTION
def check(export: Path, profile: str, as_of, fmt: str, output: Path | None, violations: Path | None,
          csv_dialect: str, lang: str, fail_on: str, reveal_ids: bool, html: Path | None, mapping: Path | None,
          requirements: Path | None, quiet: bool, temp_dir: Path | None) -> None:
    """Check EXPORT and report per information set.

    EXPORT is a folder of the profile's canonical CSV tables, or, with --mapping, whatever the vendor sent
    (a folder, .zip, .xlsx, .csv, .parquet or .jsonl) as the mapping describes it.
    """
    _refuse_overwriting_input(export, output, violations, html, mapping=mapping, requirements=requirements)
    result = _checked(export, profile, as_of, mapping, requirements, figures=fmt == "json" or html is not None,
                      quiet=quiet, temp_dir=temp_dir)
    document = build(result, lang=lang, reveal_ids=reveal_ids,
                     fingerprint_key=fingerprint.key() if fmt == "json" else None)
    if fmt == "json":
        write(json.dumps(document, ensure_ascii=False, indent=2) + "\n", output)
    elif fmt == "junit":
        from conform.render.junit import junit_xml

        write(junit_xml(document, fail_on), output)
    elif fmt == "markdown":
        from conform.render.markdown import markdown_summary

        write(markdown_summary(document, fail_on), output)
    else:
        from conform.render.text import render_text  # Jinja2 only when a template is rendered

        write(render_text(document), output)
    if violations is not None:
        violations.parent.mkdir(parents=True, exist_ok=True)
        n = write_violations(result, violations, lang, csv_dialect, api.load(profile)[0])
        say("violations", n, path=violations)
        unlisted = result.unlisted()
        if unlisted:
            say("unlisted", listed=int_text(max(shown for shown, _ in unlisted.values()), lang),
                rules=", ".join(f"{code} ({int_text(n, lang)})" for code, (_, n) in sorted(unlisted.items())))
    if html is not None:
        write(_html_report(result, profile, lang, reveal_ids, None, None), html)
        say("html", path=html)
    if output is not None:
        say("report", path=output)
    sys.exit(result.exit_code(Severity(fail_on)))


def _checked(export: Path, profile: str, as_of, mapping: Path | None, requirements: Path | None,
             figures: bool = True, quiet: bool = False, temp_dir: Path | None = None):
    result = api.check(export, profile, as_of.date() if as_of else None, progress=progress_printer(quiet),
                       mapping=mapping, requirements=requirements, figures=figures, temp_dir=temp_dir)
    if result.as_of_source == "today":
        # Ages, overdue decisions and "after the reference date" move with the calendar: say so where a CI log
        # shows it, so that a gate that starts failing on its own is explained.
        say("today_warning", date=result.as_of)
    return result


def _html_report(result, profile: str, lang: str, reveal_ids: bool, vendor: str | None,
                 system_version: str | None) -> str:
    from conform.render.html import report_html

    # The profile the check loaded (api.load keeps it), not read and validated again.
    return report_html(result, api.load(profile)[0], lang, reveal_ids, vendor, system_version)


@main.command()
@click.argument("export", type=click.Path(path_type=Path), required=False)
@option("--from", "stored", type=click.Path(path_type=Path, dir_okay=False), help_key="from_result")
@option("--html", "html", type=click.Path(path_type=Path, dir_okay=False), help_key="html_report")
@option("--pdf", "pdf", type=click.Path(path_type=Path, dir_okay=False), help_key="pdf_report")
@PROFILE_OPTION
@AS_OF_OPTION
@LANG_OPTION
@FAIL_ON_OPTION
@REVEAL_OPTION
@option("--vendor", help_key="vendor")
@option("--system-version", help_key="system_version")
@MAPPING_OPTION
@REQUIREMENTS_OPTION
@QUIET_OPTION
@TEMP_DIR_OPTION
def report(export: Path | None, stored: Path | None, html: Path | None, pdf: Path | None, profile: str, as_of,
           lang: str, fail_on: str, reveal_ids: bool, vendor: str | None, system_version: str | None,
           mapping: Path | None, requirements: Path | None, quiet: bool, temp_dir: Path | None) -> None:
    """Check EXPORT and write one self-contained HTML report: verdict, information sets per target group,
    value-set coverage, capability findings, findings per rule and follow-up figures. Opens offline and prints
    to A4. Exit codes as for `check`. With --from RESULT.json instead of EXPORT: the same report from a stored
    result (`check --format json`), with no export present. With --pdf: the same report as PDF/A-3, carrying
    the result JSON as an attachment, for a diarium."""
    if html is None and pdf is None and sys.stdout.isatty():
        # A page of HTML is of no use on a terminal, and would scroll the person-level examples past.
        fail("report_to_terminal", source=f"--from {stored}" if stored is not None else export or "EXPORT")
    if export is None and stored is None:
        fail("report_source_none")
    if export is not None and stored is not None:
        fail("report_source_both")
    if html is not None and pdf is not None and _identities(html) & _identities(pdf):
        fail("report_same_output", path=pdf)
    if pdf is not None:
        from conform.render.pdf import library

        library()  # a missing system library is said now, not after the check
    if stored is not None:
        _report_from(stored, html, pdf, profile, lang, fail_on, reveal_ids, vendor, system_version,
                     ignored=[name for name, given in (("--as-of", as_of), ("--mapping", mapping),
                                                       ("--requirements", requirements)) if given])
        return
    _refuse_overwriting_input(export, html, pdf, mapping=mapping, requirements=requirements)
    result = _checked(export, profile, as_of, mapping, requirements, quiet=quiet, temp_dir=temp_dir)
    if pdf is None:
        _write_html(_html_report(result, profile, lang, reveal_ids, vendor, system_version), html)
    else:
        from conform.render.html import extended, render_html

        # One document for both: the JSON `check --format json` writes, and the page made from it (a page is the
        # same made from a result with fingerprints or without: tests/test_report_from.py).
        document = build(result, lang=lang, reveal_ids=reveal_ids, fingerprint_key=fingerprint.key())
        page = render_html(extended(document, api.load(profile)[0], vendor, system_version))
        if html is not None:
            _write_html(page, html)
        _write_pdf(page, document, lang, pdf)
    sys.exit(result.exit_code(Severity(fail_on)))


def _report_from(stored: Path, html: Path | None, pdf: Path | None, profile: str, lang: str, fail_on: str,
                 reveal_ids: bool, vendor: str | None, system_version: str | None, ignored: list[str]) -> None:
    """The report of a stored result: its figures are the check's, worded in `lang` (conform.render.document
    .reworded); what the check was given (reference date, mapping, requirements) is the result's. A PDF carries
    the stored result as loaded, with person-IDs masked where the page masks them."""
    from conform.render.compare import load_result
    from conform.render.document import reworded
    from conform.render.gate import exit_code as stored_exit_code
    from conform.render.stored import stored_report

    _refuse_overwriting_input(stored, html, pdf, key="overwrite_result")
    if ignored:
        say("from_ignores", options=", ".join(ignored))
    document = load_result(stored)
    # The profile the result was made with, unless another is named; it must be installed, at that version.
    loaded, rules = api.load(profile if profile != DEFAULT_PROFILE else document["profile"]["name"])
    page, shown = stored_report(document, str(stored), loaded, rules, lang, reveal_ids, vendor, system_version)
    if reveal_ids and document["person_ids_masked"]:
        say("from_masked")
    if html is not None or pdf is None:
        _write_html(page, html)
    if pdf is not None:
        # The stored result in its own language; its person-IDs masked if the page masks them.
        _write_pdf(page, reworded(document, document["language"], rules, mask=not reveal_ids), lang, pdf)
    sys.exit(stored_exit_code(shown, fail_on))


def _write_html(page: str, html: Path | None) -> None:
    write(page, html)
    if html is not None:
        say("html", path=html)


def _write_pdf(page: str, document: dict, lang: str, pdf: Path) -> None:
    """The report as PDF/A-3, carrying `document` as the JSON `check --format json` writes."""
    from conform.render.pdf import report_pdf

    data = report_pdf(page, json.dumps(document, ensure_ascii=False, indent=2) + "\n", lang)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(data)
    say("pdf", path=pdf)


def _refuse_overwriting_input(export: Path, *targets: Path | None, mapping: Path | None = None,
                              requirements: Path | None = None, read: tuple[Path, ...] = (),
                              key: str = "overwrite") -> None:
    """conform never modifies its inputs: refuse to write a report over a file of the export, the mapping, the
    requirements or any other file it `read` (a lexicon), under any name (a symlink or a hard link to it)."""
    inputs: set = set()
    for path in [*(export.rglob("*") if export.is_dir() else [export]), mapping, requirements, *read]:
        if path is not None:
            inputs |= _identities(path)
    for target in targets:
        if target is not None and _identities(target) & inputs:
            fail(key, path=target)


def _identities(path: Path) -> set:
    """The path with every symlink followed and, for a file that exists, its device and inode (a hard link to
    a file is that file); nothing for a symlink loop (the reader reports it)."""
    resolved = _resolved(path)
    if resolved is None:
        return set()
    try:
        status = path.stat()
    except (OSError, ValueError):
        return {resolved}
    return {resolved, (status.st_dev, status.st_ino)}


def _resolved(path: Path) -> Path | None:
    """The path with every symlink followed; None for a symlink loop (the reader reports it)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


@main.command("rules")
@PROFILE_OPTION
@LANG_OPTION
@option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
        help_key="rules_format")
def list_rules(profile: str, lang: str, fmt: str) -> None:
    """List the rules of a profile: in Swedish by the standard's words (its section), in English with the
    rule's name as well."""
    _, rules = api.load(profile)
    if fmt == "json":
        click.echo(json.dumps([_rule_dict(r, lang) for r in rules], ensure_ascii=False, indent=2))
        return
    L = labels(lang)
    for r in rules:
        described = r.spec if lang == "sv" else f"{r.name} · {r.spec}"
        click.echo(f"{r.code}  {L['severity_names'][r.severity.value]:<8}  {L['basis_names'][r.basis.value]:<14}  "
                   f"{L['violations']['category_names'][r.category.value]:<14}  {described}")


@main.command()
@click.argument("code")
@PROFILE_OPTION
@LANG_OPTION
def explain(code: str, profile: str, lang: str) -> None:
    """Show one rule: what it checks, its basis and the standard's words, how to fix, an example. The Swedish
    text names no internal ids (the rule's name, kind and parameters are shown in English)."""
    profile_, rules = api.load(profile)
    wanted = code.upper()
    rule = next((r for r in rules if wanted in (r.code, *r.aliases) or r.name == code), None)
    if rule is None:
        fail("no_rule", code=code)
    L, E = labels(lang), labels(lang)["cli"]["explain"]
    info = _rule_dict(rule, lang)
    sets = {s.id: s.name for s in profile_.information_sets}
    head = f"{rule.code} {rule.spec}" if lang == "sv" else f"{rule.code} {rule.name}"
    click.echo(f"{head} ({L['severity_names'][rule.severity.value]}, "
               f"{L['violations']['category_names'][rule.category.value]})")
    click.echo(f"  {E['basis']}: {L['basis_names'][rule.basis.value]}")
    click.echo(f"  {E['sets']}: {', '.join(sets.get(s, s) for s in rule.information_sets) or '–'}")
    click.echo(f"  {E['message']}: {filled(info['message'], None)}")
    click.echo(f"  {E['spec']}: {rule.spec}")
    click.echo(f"  {E['quote']} ({rule.quote_section}):")
    for line in rule.quote.splitlines():
        click.echo(f"    {line}" if line else "")
    if info["reading"]:
        click.echo(f"  {E['reading']}: {info['reading']}")
    click.echo(f"  {E['fix']}: {filled(info['fix'], None)}")
    if lang == "en":
        click.echo(f"  kind: {rule.kind} {json.dumps(info['params'], ensure_ascii=False)}")
    if rule.example:
        for label, text in rule.example.items():
            shown = text[lang]
            if lang == "sv" and rule.category.value != "structure":
                # Written with the fields' ids (a structure rule's examples are column headings, kept as written);
                # a Swedish reader knows the fields by the standard's names.
                shown = _standard_names(shown, field_titles(profile_.name))
            click.echo(f"  {E['example']} ({E['example_labels'].get(label, label)}): {shown}")


def _standard_names(text: str, titles: dict[str, str]) -> str:
    """Field ids ("juridiskt_kon", "person.juridiskt_kon") in `text` replaced by the standard's names."""
    names = {key.split(".", 1)[1]: title for key, title in titles.items() if "_" in key.split(".", 1)[1]}
    if not names:
        return text
    pattern = r"\b(?:[a-z]+\.)?(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b"
    return re.sub(pattern, lambda m: names[m.group(1)], text)


@main.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@option("--name", "names", multiple=True, help_key="name")
@option("--html", type=click.Path(path_type=Path, dir_okay=False), help_key="compare_html")
@option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), help_key="compare_csv")
@option("--allow-provisional", is_flag=True, help_key="allow_provisional")
@LANG_OPTION
@REQUIREMENTS_OPTION
def compare(results: tuple[Path, ...], names: tuple[str, ...], html: Path | None, csv_path: Path | None,
            allow_provisional: bool, lang: str, requirements: Path | None) -> None:
    """Compare several vendors' results (JSON from `conform check --format json`) side by side.

    Refuses results made with different profile versions, and provisional results (checked through an unreviewed
    mapping) unless --allow-provisional. Without --html or --csv the CSV goes to standard output.
    """
    from conform.render.compare import compare as build_matrix
    from conform.render.compare import compare_csv, compare_html, load_results

    if names and len(names) != len(results):
        fail("names_count", names=len(names), results=len(results))
    documents = load_results(results)
    provisional = [str(path) for path, d in zip(results, documents) if d["summary"]["verdict"] == "provisional"]
    if provisional and not allow_provisional:
        fail("compare_provisional", files=", ".join(provisional))
    if requirements is not None:
        from conform.render.compare import rejudge

        documents = rejudge(documents, requirements, [str(r) for r in results])
    matrix = build_matrix(documents, names=list(names) or None, sources=list(results))
    if html:
        write(compare_html(matrix, lang), html)
        say("comparison", path=html)
    if csv_path or not html:
        write(compare_csv(matrix, lang), csv_path)
        if csv_path:
            say("matrix", path=csv_path)


@main.command()
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
        help_key="diff_format")
@option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help_key="diff_output")
@LANG_OPTION
def diff(old: Path, new: Path, fmt: str, output: Path | None, lang: str) -> None:
    """What changed from OLD to NEW (two results of `conform check --format json`).

    Exit codes: 0 no regression; 1 NEW has an error-level finding OLD did not, or a set became nonconformant or
    missing; 2 could not compare.
    """
    from conform.render.compare import load_result
    from conform.render.diff import diff as build_diff
    from conform.render.diff import diff_html, diff_text, exit_code

    d = build_diff(load_result(old), load_result(new), sources=[old, new])
    if fmt == "json":
        write(json.dumps(d, ensure_ascii=False, indent=2) + "\n", output)
    elif fmt == "html":
        write(diff_html(d, lang), output)
    else:
        write(diff_text(d, lang), output)
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
@option("--persons", type=click.IntRange(min=1), default=200, show_default=True, help_key="persons")
@option("--defects", type=click.FloatRange(0, 1), default=0.0, show_default=True, help_key="defects")
@option("--seed", type=int, default=1, show_default=True, help_key="seed")
@option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default="2025-06-30", show_default=True,
        help_key="generate_as_of")
@option("--shape", type=click.Choice(["canonical", "normalised", "wide", "workbook", "synonyms", "english", "coded"]),
        default="canonical",
        show_default=True, help_key="shape")
@option("--force", is_flag=True, help_key="force")
def generate(outdir: Path, persons: int, defects: float, seed: int, as_of, shape: str, force: bool) -> None:
    """Write a realistic synthetic export (deterministic per seed) to OUTDIR."""
    from conform.generator import generate as run_generator

    _require_empty(outdir, force, "not_empty")
    if shape != "canonical":
        _generate_shape(outdir, persons, defects, seed, as_of.date(), shape)
        return
    summary = run_generator(outdir, persons=persons, defects=defects, seed=seed, as_of=as_of.date())
    say("synthetic", path=outdir, tables=", ".join(f"{t} {n}" for t, n in summary.counts.items()))
    if summary.defects:
        say("defects", n=sum(summary.defects.values()), rules=len(summary.defects),
            path=outdir / "expected_findings.csv")
    if summary.synthesised_ids:
        say("synthesised", n=summary.synthesised_ids)


def _generate_shape(outdir: Path, persons: int, defects: float, seed: int, as_of, shape: str) -> None:
    import tempfile

    from conform.generator import generate as run_generator
    from conform.generator.vendors import read_canonical, write_shape

    with tempfile.TemporaryDirectory(prefix="conform-generate-") as tmp:
        run_generator(Path(tmp), persons=persons, defects=defects, seed=seed, as_of=as_of)
        paths = write_shape(read_canonical(Path(tmp)), shape, outdir)
    say("shape", shape=shape, paths=", ".join(map(str, paths)))


@main.command()
@option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help_key="port")
@option("--host", default="127.0.0.1", show_default=True, help_key="host")
@option("--workdir", type=click.Path(path_type=Path, file_okay=False), default="conform-work", show_default=True,
        help_key="workdir")
@option("--open", "open_browser", is_flag=True, help_key="open")
@option("--max-upload", type=click.IntRange(min=1), default=4096, show_default=True, help_key="max_upload")
@LANG_OPTION
@TEMP_DIR_OPTION
def serve(port: int, host: str, workdir: Path, open_browser: bool, max_upload: int, lang: str,
          temp_dir: Path | None) -> None:
    """Start a local web page for evaluations."""
    from conform.serve import LOOPBACK, run

    def started(url: str) -> None:
        say("serve_workdir", path=workdir.resolve())
        if host not in LOOPBACK:
            say("serve_host_warning", host=host)
        say("serve_url", url=url)
        if open_browser:
            import threading
            import webbrowser

            threading.Timer(1.0, webbrowser.open, [url]).start()

    run(workdir, host, port, lang, max_upload << 20, temp_dir, started)


@main.command("init-requirements")
@PROFILE_OPTION
@option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help_key="init_output")
@LANG_OPTION
def init_requirements(profile: str, output: Path | None, lang: str) -> None:
    """Write the default requirements file (every information set skall, tolerance 0) for a buyer or a
    vendor's release gate to edit, its comments in --lang; give it to check, report and compare with
    --requirements."""
    from conform.input.requirements import init_requirements_yaml

    write(init_requirements_yaml(api.load(profile)[0], lang), output)


@main.command("init-mapping")
@click.argument("export", type=click.Path(path_type=Path))
@PROFILE_OPTION
@option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help_key="init_output")
@option("--lexicon", "lexicons", type=click.Path(path_type=Path, dir_okay=False), multiple=True,
        help_key="lexicon")
@option("--html", "html", type=click.Path(path_type=Path, dir_okay=False), help_key="init_html")
@LANG_OPTION
def init_mapping(export: Path, profile: str, output: Path | None, lexicons: tuple[Path, ...], html: Path | None,
                 lang: str) -> None:
    """Draft a mapping for an unknown export: matches headings and values to the profile's fields, with a
    confidence for every guess and a list of what it could not map. Review it, then give it to
    `conform check EXPORT --mapping FILE`. With --html, also a review page of the same draft."""
    from conform.input.mapping.draft import draft, render_yaml
    from conform.vocabulary import profile_lexicon

    _refuse_overwriting_input(export, output, html, read=lexicons)
    prof = api.load(profile)[0]
    lexicon = profile_lexicon(prof)
    for path in lexicons:
        lexicon = lexicon.extended(path, prof)
    drafted = draft(export, prof, lexicon)
    write(render_yaml(drafted), output)
    if output is not None:
        say("draft", path=output)
    if html is not None:
        from conform.render.review import review_html

        write(review_html(drafted, lang), html)
        say("review", path=html)


@main.command()
@click.argument("export", type=click.Path(path_type=Path))
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False))
@MAPPING_OPTION
@PROFILE_OPTION
@option("--format", "fmt", type=click.Choice(list(CONVERT_FORMATS)), default="csv", show_default=True,
        help_key="convert_format")
@option("--force", is_flag=True, help_key="force")
def convert(export: Path, outdir: Path, mapping: Path | None, profile: str, fmt: str, force: bool) -> None:
    """Write an export (any vendor's shape, with --mapping) as the standard's canonical data package in OUTDIR:
    the five tables as UTF-8 CSV or Parquet and a datapackage.json with the profile's Table Schemas, the
    sources' and the mapping's SHA-256 and the crosswalks applied."""
    import polars as pl

    from conform.input.convert import convert as write_package
    from conform.input.mapping import open_mapped_export
    from conform.input.sources import open_export

    target = _resolved(outdir)
    inputs = {_resolved(p) for p in (export, mapping) if p is not None}
    if target is not None and any(target == i or i in target.parents for i in inputs - {None}):
        fail("convert_into_input", path=outdir)  # conform never writes into its inputs
    _require_empty(outdir, force, "not_empty_convert")
    prof = api.load(profile)[0]
    opened = (open_mapped_export(export, mapping, prof, api.DERIVABLE) if mapping is not None
              else open_export(export, prof, api.DERIVABLE))
    descriptor = write_package(opened, prof, outdir, fmt)
    say("converted", path=outdir, tables=", ".join(r["name"] for r in descriptor["resources"]))
    # The package holds what could be read: what could not (a broken line, a missing column) is for `check`.
    problems = sum(f.filter(~pl.col("check").str.starts_with("derived_")).height for f in opened.problems)
    if problems:
        say("convert_problems", n=problems, path=export)


def _require_empty(outdir: Path, force: bool, key: str) -> None:
    """Written files land beside whatever a folder holds and overwrite files of the same name: a folder that is
    not empty (a real export pointed at by mistake) is written into only with --force."""
    if not force and outdir.is_dir() and any(outdir.iterdir()):
        fail(key, path=outdir)


if __name__ == "__main__":  # pragma: no cover
    main()
