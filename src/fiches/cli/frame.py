"""The command line's frame in French: help layout, click's error messages, -h/-q/-v, through click's classes.

Click writes its own texts in English (through gettext, with no French catalogue); each is replaced here by
overriding the hook that produces it: `HelpFormatter.write_usage/write_heading/write_dl`,
`Command.get_help_option`, `Command.get_params`, and the exceptions' own fields, never by patching.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
from typing import Annotated, Any

import typer
from typer import Abort, BadParameter
from typer.core import TyperCommand, TyperGroup

# Click's classes, taken from where typer takes them: recent typers carry their own copy of click, older ones
# use click itself. Both expose them through public attributes (`Command.context_class`,
# `Context.formatter_class`, and typer's re-exported `BadParameter`), so no private module is imported.
# tests/test_cli.py::test_the_click_classes_are_typer_s fails when this picks the wrong ones.
Context = TyperCommand.context_class
HelpFormatter = Context.formatter_class
click_errors = importlib.import_module(BadParameter.__module__)

HELP_OPTION_NAMES = ["-h", "--help"]
CONTEXT_SETTINGS = {"help_option_names": HELP_OPTION_NAMES}
HELP_TEXT = "Afficher ce message et quitter."

_USAGE = {"COMMAND [ARGS]...": "COMMANDE [ARGUMENTS]...", "[ARGS]...": "[ARGUMENTS]..."}
#: The Python type typer shows after an argument's name ("CODE <list[str]>"): noise for a reader.
_TYPE_NOTE = re.compile(r" <[\w\[\], ]+>$")
_HEADINGS = {"Options": "Options", "Arguments": "Arguments", "Commands": "Commandes"}
#: The bracketed notes click and typer append to an option's help.
_NOTES = (
    (re.compile(r"\benv var: "), "variable d’environnement : "),
    (re.compile(r"\bdefault: "), "défaut : "),
    (re.compile(r"\brequired\b"), "obligatoire"),
    (re.compile(r"\bx>=(\d+)"), r"au moins \1"),
)
#: The help of typer's completion options, by parameter name.
_COMPLETION_HELP = {
    "install_completion": "Installer la complétion pour le shell courant.",
    "show_completion": "Afficher le script de complétion du shell courant, pour le copier ou l’adapter.",
}
#: Click's usage errors that carry no structured fields, by their English text.
_MESSAGES = (
    (re.compile(r"^No such command '(.+)'\. Did you mean '(.+)'\?$"), r"commande inconnue « \1 » (vouliez-vous dire « \2 » ?)"),
    (re.compile(r"^No such command '(.+)'\.$"), r"commande inconnue « \1 »"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), r"argument(s) en trop : \1"),
    (re.compile(r"^Missing command\.$"), "commande manquante"),
)


class FrenchHelpFormatter(HelpFormatter):
    """Click's plain help layout, its fixed words in French."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="Utilisation : " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)} :\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(_TYPE_NOTE.sub("", term), _french_notes(text)) for term, text in rows], col_max, col_spacing)


def _french_notes(text: str) -> str:
    for pattern, french in _NOTES:
        text = pattern.sub(french, text)
    return text


class FrenchContext(Context):
    formatter_class = FrenchHelpFormatter


def choice(values: tuple[str, ...], unknown: str = "valeur inconnue") -> dict[str, Any]:
    """typer.Option arguments for a value among `values`: checked, shown in the help, completed by the shell."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in values:
            raise BadParameter(f"{unknown} « {value} », valeurs possibles : {', '.join(values)}")
        return value

    return {"callback": check, "metavar": "[" + "|".join(values) + "]", "autocompletion": lambda: list(values)}


class _French:
    """What commands and the group share: French help option, -q/-v everywhere."""

    context_class = FrenchContext

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
            # click gathers the names in a set: in HELP_OPTION_NAMES' order, the help reads the same every run
            option.opts = sorted(option.opts, key=lambda name: HELP_OPTION_NAMES.index(name) if name in HELP_OPTION_NAMES else len(HELP_OPTION_NAMES))
        return option

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [_USAGE.get(piece, piece) for piece in super().collect_usage_pieces(ctx)]  # type: ignore[misc]

    def get_params(self, ctx):
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if param.name in _COMPLETION_HELP:
                param.help = _COMPLETION_HELP[param.name]
        return params


#: Set by -q/-v; the commands read it (progress bars, summaries).
VERBOSITY = {"quiet": False, "verbose": False}


def _set_quiet(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        VERBOSITY["quiet"] = True
        logging.getLogger("fiches").setLevel(logging.WARNING)


def _set_verbose(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        VERBOSITY["verbose"] = True
        logging.getLogger("fiches").setLevel(logging.DEBUG)


#: -q and -v, declared by every command (so accepted after its name too): they set the level of fiches's log.
Quiet = Annotated[bool, typer.Option("--quiet", "-q", callback=_set_quiet, expose_value=False, is_eager=True,
                                     help="N’afficher que les avertissements et les erreurs.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", callback=_set_verbose, expose_value=False, is_eager=True,
                                       help="Journal détaillé.")]


class FrenchCommand(_French, TyperCommand):
    """A `fiches` command: French help."""


def french_message(exc: click_errors.ClickException) -> str:
    """One line in French for any of click's usage errors."""
    hint = _param_hint(exc)
    if isinstance(exc, click_errors.MissingParameter):
        kind = {"argument": "argument", "option": "option"}.get(exc.param_type or (exc.param.param_type_name if exc.param else ""), "paramètre")
        return f"{kind} manquant{'e' if kind == 'option' else ''} {hint}".rstrip()
    if isinstance(exc, click_errors.NoSuchOption):
        close = sorted(exc.possibilities or [])
        return f"option inconnue {exc.option_name}" + (f" (vouliez-vous dire {' ou '.join(close)} ?)" if close else "")
    if isinstance(exc, click_errors.BadOptionUsage):
        return _translated(exc.message, [
            (re.compile(r"^Option '(.+)' requires an argument\.$"), r"l’option \1 demande une valeur"),
            (re.compile(r"^Option '(.+)' requires (\d+) arguments\.$"), r"l’option \1 demande \2 valeurs"),
            (re.compile(r"^Option '(.+)' does not take a value\.$"), r"l’option \1 ne prend pas de valeur"),
        ])
    if isinstance(exc, click_errors.BadParameter):
        return f"valeur invalide pour {hint} : {_translated(exc.message, _VALUE_MESSAGES)}".replace(" pour  :", " :")
    if isinstance(exc, click_errors.UsageError):
        return _translated(exc.message, _MESSAGES)
    return exc.format_message()


_VALUE_MESSAGES = (
    (re.compile(r"^'?(.*?)'? is not a valid integer\.$"), r"« \1 » n’est pas un nombre entier"),
    (re.compile(r"^Input should be a valid integer\b.*$"), "un nombre entier est attendu"),
    (re.compile(r"^Input should be a valid number\b.*$"), "un nombre est attendu"),
    (re.compile(r"^'?(.*?)'? is not a valid boolean\.$"), r"« \1 » n’est ni vrai ni faux"),
)


def _translated(message: str, table) -> str:
    for pattern, french in table:
        if pattern.match(message):
            return pattern.sub(french, message)
    return message


def _param_hint(exc: click_errors.ClickException) -> str:
    param = getattr(exc, "param", None)
    hint = getattr(exc, "param_hint", None)
    if hint is not None:
        return " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)
    if param is None:
        return ""
    if param.param_type_name == "argument":
        return (param.metavar or param.name or "").upper()
    return " / ".join(getattr(param, "opts", []))


class FrenchGroup(_French, TyperGroup):
    """The `fiches` group: French help, French one-line usage errors."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        VERBOSITY.update(quiet=False, verbose=False)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.ClickException as exc:
            command = exc.ctx.command_path if getattr(exc, "ctx", None) else (prog_name or "fiches")
            if isinstance(exc, click_errors.NoArgsIsHelpError):
                exc.show()  # `fiches` alone: the help
            else:
                typer.echo(f"erreur : {french_message(exc)} ({command} -h pour l’aide)", err=True)
            sys.exit(exc.exit_code)
        except Abort:
            typer.echo("interrompu", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)
