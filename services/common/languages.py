"""Programming languages the mesh knows: one registry for names, fence tags, mentions and parsers.

Code-block extraction and syntax checks (services/common/generation/codeblocks.py,
services/common/parsers.py), Aviva's "which language does the question want" and
her skeletons (services/aviva/code.py) and Abbey's "did they ask for code" all read
this table, so a language added here is recognised, named and checked the same
everywhere. Pygments supplies the names and aliases of every other language (and a
last guess for unlabelled blocks), so an unknown fence tag still gets a canonical name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pygments.lexers import get_lexer_by_name, get_lexer_for_filename, guess_lexer
from pygments.util import ClassNotFound


@dataclass(frozen=True)
class Language:
    """One language: its canonical name (what a block is labelled with) and how it is recognised."""

    name: str
    aliases: tuple[str, ...] = ()  # other fence tags and names: "py", "golang", "c++"
    extensions: tuple[str, ...] = ()  # file extensions, without the dot (also accepted as fence tags)
    mention: str = ""  # regex (lower case) of how a request names it; "" = not asked for by name
    syntax: str = ""  # regex of telltale syntax in an unlabelled block; "" = never guessed by us
    # The tree-sitter grammar, "module:function" of its PyPI package; "" = no parser here (blocks are unchecked).
    grammar: str = ""
    words: tuple[str, ...] = ()  # words besides its name that a request names it by ("golang", "shell")


# In order of syntax detection: the most distinctive syntax first (TypeScript before JavaScript, its superset).
LANGUAGES: tuple[Language, ...] = (
    Language("rust", ("rs",), ("rs",), r"\brust\b", r"\bfn\s+\w+\s*\(|\blet\s+mut\b|println!\(",
             "tree_sitter_rust:language"),
    # "Go" is also an everyday word ("in one go", "good to go", "go ahead"): named only as golang, before a word of
    # code ("a Go function", "go 1.22"), or at the end of an ask after a preposition ("... in Go?").
    Language("go", ("golang",), ("go",),
             r"\bgolang\b|\bgo\b(?=\s*(?:code|program|function|lang|snippet|routine|module|struct|slice|channel"
             r"|1\.\d))|(?:(?<=\bin )|(?<=\busing )|(?<=\bwith )|(?<=\bfor )|(?<=\bfrom ))go\b(?=\s*(?:$|[?.!,;:)]))",
             r"^package\s+\w+|\bfunc\s+\w+\s*\(|:=\s", "tree_sitter_go:language", ("golang",)),
    Language("java", (), ("java",), r"\bjava\b(?!script)",
             r"\bpublic\s+(static\s+)?(class|void)\b|System\.out\.println",
             "tree_sitter_java:language"),
    Language("cpp", ("c++", "cxx"), ("cpp", "cc", "hpp"), r"c\+\+|\bcpp\b", r"#include\s*<|std::",
             "tree_sitter_cpp:language"),
    Language("typescript", ("ts",), ("ts",), r"\btypescript\b|\bts\b",
             r"\binterface\s+\w+\s*\{|:\s*(string|number|boolean)\b", "tree_sitter_typescript:language_typescript"),
    Language("tsx", (), ("tsx",), grammar="tree_sitter_typescript:language_tsx"),
    Language("javascript", ("js", "node", "nodejs", "jsx"), ("js", "mjs", "cjs", "jsx"),
             r"\bjavascript\b|\bjs\b|\bnode(\.js)?\b|\breact\b",
             r"\bconst\s+\w+\s*=|\bfunction\s+\w+\s*\(|=>|console\.log", "tree_sitter_javascript:language"),
    Language("python", ("py", "python3", "py3"), ("py",),
             # Its own tooling and modules name it too: "how do I make a virtual environment" is a Python question.
             r"\bpython\b|\bpandas\b|\bnumpy\b|\bdjango\b|\bflask\b|\bpip\b|\bvenv\b|\bvirtualenv\b|"
             r"\bvirtual env(?:ironment)?s?\b|\bpypi\b|\bpytest\b|\basyncio\b|\bf-strings?\b",
             r"^\s*(def|class)\s+\w+.*:\s*$|^\s*(import|from)\s+\w+|print\(", "tree_sitter_python:language"),
    Language("bash", ("sh", "shell", "zsh", "ksh"), ("sh", "bash"),
             r"\bbash\b|\bshell\b|\bcommand[- ]line\b|\bterminal\b",
             r"^#!/bin/(ba)?sh|^\s*(echo|export|cd|ls|grep|sudo|pip|apt|git|tar|find)\s",
             "tree_sitter_bash:language", ("shell",)),
    Language("sql", ("postgresql", "postgres", "mysql", "sqlite", "plpgsql", "tsql"), ("sql",),
             r"\bsql\b|\bpostgres|\bmysql\b|\bsqlite\b",
             r"(?i)^\s*(select|insert|update|delete|create\s+table)\b", "tree_sitter_sql:language"),
    Language("yaml", ("yml",), ("yaml", "yml"), syntax=r"^\w[\w-]*:\s*\S*$", grammar="tree_sitter_yaml:language"),
    Language("json", ("jsonc",), ("json",), grammar="tree_sitter_json:language"),
    Language("toml", (), ("toml",), grammar="tree_sitter_toml:language"),
    Language("xml", (), ("xml",), grammar="tree_sitter_xml:language_xml"),
    Language("c", (), ("c", "h"), grammar="tree_sitter_c:language"),
    Language("csharp", ("c#", "cs"), ("cs",), r"c#|\bcsharp\b|\.net\b", grammar="tree_sitter_c_sharp:language"),
    Language("kotlin", ("kt",), ("kt", "kts"), r"\bkotlin\b"),
    Language("ruby", ("rb",), ("rb",), r"\bruby\b", grammar="tree_sitter_ruby:language"),
    Language("swift", (), ("swift",)),
)  # fmt: skip

BY_NAME: dict[str, Language] = {language.name: language for language in LANGUAGES}
# Every fence tag, alias and extension -> canonical name; a canonical name wins over another language's extension.
_TAGS: dict[str, str] = {
    **{tag: language.name for language in LANGUAGES for tag in (*language.extensions, *language.aliases)},
    **{language.name: language.name for language in LANGUAGES},
}


@cache
def canonical(tag: str) -> str:
    """The canonical name for a fence tag, alias or extension ("py" -> "python").

    Our registry first, then Pygments' lexer names and file extensions; an unknown tag comes back lowered.
    """
    lowered = tag.strip().lower().removeprefix(".")
    if not lowered or lowered in _TAGS:
        return _TAGS.get(lowered, lowered)
    try:
        lexer = get_lexer_by_name(lowered)
    except ClassNotFound:
        try:
            lexer = get_lexer_for_filename(f"x.{lowered}")
        except ClassNotFound:
            return lowered
    names = [alias.lower() for alias in lexer.aliases] or [lowered]
    return next((_TAGS[name] for name in names if name in _TAGS), names[0])


def display_name(name: str) -> str:
    """How a language is written in a sentence ("go" -> "Go", "javascript" -> "JavaScript"): Pygments' lexer name."""
    try:
        return str(get_lexer_by_name(name).name)
    except ClassNotFound:
        return name


def with_parser() -> frozenset[str]:
    """Names of the languages a real parser checks (the others' blocks are "unchecked")."""
    return frozenset(language.name for language in LANGUAGES if language.grammar)


def guess_from_syntax(code: str) -> str:
    """The first language (in LANGUAGES order) whose telltale syntax appears in `code`, else Pygments' guess
    when it is one we can parse; "" if none."""
    for language, pattern in _syntax_patterns():
        if pattern.search(code):
            return language
    try:
        lexer = guess_lexer(code)
    except ClassNotFound:
        return ""
    name = canonical(lexer.aliases[0]) if lexer.aliases else ""
    return name if name in with_parser() else ""


def mentioned(text: str) -> list[str]:
    """Languages a request names, in the order it first names them ("convert this Java code to Rust": java, rust)."""
    lowered = text.lower()
    found = [(match.start(), name) for name, pattern in _mention_patterns() if (match := pattern.search(lowered))]
    return [name for _, name in sorted(found)]


# A language named to compare with, earlier in the same clause ("fold a list into one value like reduce in js" asks
# for the call that does what JavaScript's does, in the language of the documentation); "like this in Go" is not,
# and "the equivalent of map in Go" asks for Go's.
_COMPARED = re.compile(r"\b(like(?!\s+(this|that|so)\b)|similar to|the way)\b[^,.;:?!]{0,40}$")


def asked_for(text: str) -> str:
    """The language a request asks for with a preposition ("... in Rust", "using pandas"); "" if none, or if the
    language is named to compare with ("like reduce in js")."""
    lowered = text.lower()
    found = [
        (match.start(), name)
        for name, language in BY_NAME.items()
        if language.mention
        and (match := re.search(rf"\b(in|with|using|from|from within)\s+(a\s+)?({language.mention})", lowered))
        and not _COMPARED.search(lowered[: match.start()])
    ]
    return min(found)[1] if found else ""


# What a request calls the code it wants, after the language's name ("a Go function", "a bash script").
_KINDS_OF_CODE = r"(function|script|program|code|snippet|class|method|query|command|one-liner|implementation)s?\b"
# Words that name where a command runs rather than the language of the code wanted ("from the command line").
_PLACE_OF_THE_SHELL = re.compile(r"\bcommand[- ]line\b|\bterminal\b")
_SHELL_BY_NAME = re.compile(r"\b(bash|shell|zsh|ksh|sh)\b")


def labelled_with(text: str) -> str:
    """The language a request is labelled with as chat and forum titles are ("javascript: remove duplicates", "js -
    sort numbers", "[rust] reverse a string"), or ""."""
    lowered = text.lower()
    return next((name for name, pattern in _label_patterns() if pattern.match(lowered)), "")


def named_for_code(text: str) -> str:
    """The language a request asks its code in: with a preposition ("... in Rust", `asked_for`), as the kind of
    code wanted ("a Go function", "a SQL query") or as its label ("bash: check if a file exists"); "" if none. A
    language named as a topic ("avoid SQL injection") or the shell named as the place a command runs ("from the
    command line") asks for nothing: a Python page may answer those."""
    lowered = text.lower()
    place_only = bool(_PLACE_OF_THE_SHELL.search(lowered)) and not _SHELL_BY_NAME.search(lowered)
    asked = asked_for(text) or labelled_with(text)
    if asked and not (asked == "bash" and place_only):
        return asked
    found = [(match.start(), name) for name, pattern in _kind_of_code_patterns() if (match := pattern.search(lowered))]
    return min(found)[1] if found else ""


def name_words() -> frozenset[str]:
    """The words requests name languages by ("rust", "golang"): never part of an identifier made from a request."""
    return frozenset(word for lang in LANGUAGES if lang.mention for word in (lang.name, *lang.words))


@cache
def _syntax_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((lang.name, re.compile(lang.syntax, re.MULTILINE)) for lang in LANGUAGES if lang.syntax)


@cache
def _kind_of_code_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (lang.name, re.compile(rf"(?:{lang.mention})\s+{_KINDS_OF_CODE}")) for lang in LANGUAGES if lang.mention
    )


@cache
def _label_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    label_end = r"\s*(?:[\])]|\s[-\u2013\u2014]\s|:\s)"  # "]", " - " or ": " after the name
    return tuple(
        (name, re.compile(rf"\s*[\[(]?\s*(?:{language.mention}){label_end}"))
        for name, language in BY_NAME.items()
        if language.mention
    )


@cache
def _mention_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((lang.name, re.compile(lang.mention)) for lang in LANGUAGES if lang.mention)
