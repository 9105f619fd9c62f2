"""click, worded from the message catalogue: help, usage and click's own usage errors in the reader's language,
what the command line says on standard error, and the last line of defence (one line and exit 2, never a
traceback). Only the command line imports click."""

from __future__ import annotations

import contextvars
import errno
import os
import re
import sys
from pathlib import Path

import click

from conform import __version__, personnummer
from conform.catalogue import fill, labels, plural
from conform.errors import ConformError
from conform.model import ExitCode
from conform.render.templates import printable

LANGUAGES = ("sv", "en")
_LANG: contextvars.ContextVar[str | None] = contextvars.ContextVar("conform_lang", default=None)


def language() -> str:
    chosen = _LANG.get() or os.environ.get("CONFORM_LANG")
    return chosen if chosen in LANGUAGES else "sv"


def lang_in(args: list[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def words() -> dict:
    return labels(language())["cli"]


def say(key: str, n: int | None = None, **values) -> None:
    """One line on standard error, from the catalogue's cli.written (or cli) in the CLI's language."""
    entry = words()["written"].get(key) or words()[key]
    click.echo("conform: " + fill(plural(entry, n or 0) if n is not None else entry, n=n, **values), err=True)


def fail(key: str, **values) -> None:
    click.echo("conform: " + printable(personnummer.mask_text(fill(words()[key], **values))), err=True)
    sys.exit(ExitCode.NOT_CHECKED)


def fail_error(exc: ConformError) -> None:
    # A message may quote a heading or a value of the export: a person-ID in it is masked by its shape.
    # Control characters from a file's name or content are shown as \xNN: never as escapes a terminal obeys.
    click.echo(f"conform: {printable(personnummer.mask_text(exc.text(language())))}", err=True)
    sys.exit(ExitCode.NOT_CHECKED)


def crashed(exc: BaseException) -> None:
    """The last line of defence: an exception nothing else handled ends the run with exit 2 and one line, which
    names only the kind of failure (its message may quote the export), and a report in the temporary folder, the
    traceback with every person-ID-shaped value masked, readable by its owner only."""
    import tempfile
    import traceback

    text = f"conform {__version__}\n{' '.join(sys.argv[1:])}\n\n" + "".join(traceback.format_exception(exc))
    descriptor, name = tempfile.mkstemp(prefix="conform-crash-", suffix=".txt")  # owner-only, by mkstemp
    with os.fdopen(descriptor, "w", encoding="utf-8") as report:
        report.write(personnummer.mask_text(text))
    click.echo("conform: " + fill(words()["crash"], kind=type(exc).__name__, path=name), err=True)
    sys.exit(ExitCode.NOT_CHECKED)


def write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


class Option(click.Option):
    """An option whose help is a key of the catalogue's cli.options_help, worded when help is shown."""

    def __init__(self, *args, help_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_key = help_key

    def get_help_record(self, ctx):
        C = words()
        text = (C["options_help"].get(self.help_key) or C.get(self.help_key, "")) if self.help_key else ""
        if self.show_default and self.default is not None and not self.is_flag:
            default = self.default() if callable(self.default) else self.default
            text = f"{text}  [{C['default']}: {default}]".strip()
        saved = (self.help, self.show_default)
        self.help, self.show_default = text, False
        try:
            return super().get_help_record(ctx)
        finally:
            self.help, self.show_default = saved

    def make_metavar(self, ctx=None) -> str:
        shown = super().make_metavar(ctx) if ctx is not None else super().make_metavar()
        for english, worded in words()["metavars"].items():
            shown = shown.replace(english, worded)
        return shown


def option(*names, help_key: str | None = None, **kwargs):
    return click.option(*names, cls=Option, help_key=help_key, **kwargs)


class Worded:
    """Help, usage and headings of a command in the CLI's language; click's usage errors with a lead in it."""

    def _help_text(self) -> str:
        C = words()
        return C["main"] if isinstance(self, click.Group) else C["commands_help"].get(self.name, "")

    def format_help_text(self, ctx, formatter):
        text = self._help_text()
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                for i, paragraph in enumerate(text.split("\n\n")):
                    if i:
                        formatter.write_paragraph()
                    formatter.write_text(paragraph)

    def get_short_help_str(self, limit: int = 45) -> str:
        first = self._help_text().split("\n")[0]
        return first if len(first) <= limit else first[:limit - 1].rsplit(" ", 1)[0] + "…"

    def format_usage(self, ctx, formatter):
        options = "[" + words()["options"].upper() + "]"
        named = words()["arguments"]  # an argument's placeholder, as the help texts name it
        pieces = [options if p == "[OPTIONS]" else named.get(p.rstrip("."), p.rstrip(".")) + p[len(p.rstrip(".")):]
                  for p in self.collect_usage_pieces(ctx)]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=words()["usage"] + " ")

    def format_options(self, ctx, formatter):
        records = [r for r in (p.get_help_record(ctx) for p in self.get_params(ctx)
                               if isinstance(p, click.Option)) if r]
        if records:
            with formatter.section(words()["options"]):
                formatter.write_dl(records)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def get_help_option(self, ctx):
        found = super().get_help_option(ctx)
        if found is not None:
            found.help = words()["help_option"]
        return found

    def make_context(self, info_name, args, parent=None, **extra):
        chosen = lang_in(list(args))
        if parent is None or chosen in LANGUAGES:  # each run starts from its own command line
            _LANG.set(chosen if chosen in LANGUAGES else None)
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            if isinstance(exc, WordedUsageError):
                raise
            raise WordedUsageError(exc) from exc


class WordedUsageError(click.UsageError):
    """A mistake on the command line, worded from the catalogue's cli.usage_errors (click words its own in
    English): an unknown option or command, a missing argument, a value outside its choices, range or form."""

    def __init__(self, original: click.UsageError):
        super().__init__(original.format_message(), original.ctx)
        self.original = original

    def show(self, file=None) -> None:
        click.echo("conform: " + usage_text(self.original), err=True)


def usage_text(exc: click.UsageError) -> str:
    U = words()["usage_errors"]
    param = getattr(exc, "param", None)
    hint = param.get_error_hint(exc.ctx) if param is not None and exc.ctx is not None else ""
    close = [p for p in (getattr(exc, "possibilities", None) or [])]
    maybe = fill(U["did_you_mean"], names=", ".join(f"'{p}'" for p in close)) if close else ""
    if isinstance(exc, click.NoSuchOption):
        return fill(U["no_such_option"], name=exc.option_name, hint=maybe)
    if type(exc).__name__ == "NoSuchCommand":
        return fill(U["no_such_command"], name=exc.command_name, hint=maybe)
    if isinstance(exc, click.MissingParameter):
        return fill(U["missing"], name=hint)
    if isinstance(exc, click.BadParameter) and param is not None:
        kind = param.type
        if isinstance(kind, click.Choice):
            return fill(U["bad_choice"], name=hint, allowed=", ".join(map(str, kind.choices)))
        if isinstance(kind, click.DateTime):
            return fill(U["bad_date"], name=hint)
        if isinstance(kind, (click.IntRange, click.FloatRange)):
            return fill(U["bad_range"], name=hint, allowed=kind._describe_range())
        if isinstance(kind, click.Path):
            # click names the path in its English message only: it is taken from there.
            given = re.search(r"'(.*)'", exc.message or "")
            if given is None:
                return fill(U["bad_path"], name=hint)
            key = "bad_path_folder" if "is a directory" in exc.message else "bad_path_named"
            return fill(U[key], name=hint, path=given.group(1))
        return fill(U["bad_value"], name=hint)
    if exc.format_message().startswith("Got unexpected extra argument"):
        return U["extra_arguments"]
    return fill(words()["usage_error"], detail=exc.format_message())


class Command(Worded, click.Command):
    pass


class Commands(Worded, click.Group):
    """Every command: what cannot be checked (a bad path, profile, rule or mapping file: a ConformError) and what
    the operating system refuses (a full disk, an output folder that cannot be made or written) is one line,
    naming the file, and exit 2, not a traceback."""

    command_class = Command

    def collect_usage_pieces(self, ctx):
        return [p for p in super().collect_usage_pieces(ctx) if p != self.subcommand_metavar] + [
            words()["subcommand"]]

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise WordedUsageError(exc) from exc

    def format_commands(self, ctx, formatter):
        rows = [(name, self.get_command(ctx, name).get_short_help_str(60)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section(words()["commands"]):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConformError as exc:
            fail_error(exc)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except BrokenPipeError:
            # The reader of standard output went away (`conform rules | head`): nothing more to say to anyone.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(ExitCode.OK)
        except OSError as exc:
            reason = words()["os_errors"].get(errno.errorcode.get(exc.errno or 0, ""), exc.strerror or str(exc))
            if exc.filename:
                fail("os_error", path=exc.filename, detail=reason)
            click.echo(f"conform: {reason}", err=True)
            sys.exit(ExitCode.NOT_CHECKED)
        except KeyboardInterrupt:
            click.echo("conform: " + words()["interrupted"], err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence, see crashed
            if ctx.params.get("debug"):
                raise
            crashed(exc)
        except BaseException as exc:
            # A panic in the query engine's Rust code reaches Python as pyo3's PanicException, which is no
            # Exception: it too ends in one line and a report, not a traceback.
            if isinstance(exc, (SystemExit, GeneratorExit)) or ctx.params.get("debug"):
                raise
            crashed(exc)
