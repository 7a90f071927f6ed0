"""What Aviva's composer leads with, from passages built by hand (no index): the unit below the mesh tests."""

from __future__ import annotations

import re

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.aviva.classifier import QueryClass
from services.aviva.code import code_from_knowledge, detect_request_language, skeleton
from services.aviva.compose import NO_DEBUG_PASSAGE, NO_PASSAGE, AvivaMaterial, compose_draft, references
from services.common.knowledge.passage import read
from services.common.knowledge.rerank import Ranked


def _hit(url: str, title: str, text: str) -> index_pb2.KnowledgeHit:
    """A passage as the index returns it, its source read off its URL (`man:tar(1)#-C` is `man/tar.1`)."""
    man = re.match(r"man:([\w.+-]+)\((\d)\)", url)
    source = f"man/{man.group(1)}.{man.group(2)}" if man else "python-3.11/" + url.split("/3.11/")[-1].split("#")[0]
    return index_pb2.KnowledgeHit(source=source, title=title, url=url, text=text)


MKDIR_P = _hit(
    "man:mkdir(1)#-p",
    "man mkdir(1): mkdir - make directories > DESCRIPTION: `-p, --parents`",
    "-p, --parents\n\nno error if existing, make parent directories as needed",
)


def _material(question: str) -> AvivaMaterial:
    language = detect_request_language(question)
    ranked = (Ranked(read(MKDIR_P), score=0.9, confidence=0.9),)
    return AvivaMaterial(
        content=question,
        query=QueryClass("code_request", 0.9, "routing"),
        knowledge=[MKDIR_P],
        code=skeleton(question, language, comments=True),
        sentences=2,
        knowledge_available=True,
        ranked=ranked,
        answer_threshold=0.5,
    )


def test_a_shell_question_a_man_page_answers_gets_the_command_not_a_shell_skeleton() -> None:
    """ "... from the terminal" names the shell (bash): the man page's option is the shell answer."""
    for question in ("make a directory and its parents", "make a directory and its parents from the terminal"):
        draft = compose_draft(_material(question))
        assert draft.startswith("`mkdir -p`"), draft
        assert "skeleton" not in draft


def test_a_question_in_another_language_keeps_its_skeleton() -> None:
    draft = compose_draft(_material("make a directory and its parents in Rust"))
    assert "```rust skeleton" in draft, draft


SSH_R = _hit(
    "man:ssh(1)#-R",
    "man ssh(1): ssh — OpenSSH remote login client > DESCRIPTION: `-R [bind_address:]port`",
    "-R [bind_address:]port\n\nSpecifies that connections to the given TCP port on the remote host are forwarded.",
)
SSH_P = _hit(
    "man:ssh(1)#-p",
    "man ssh(1): ssh — OpenSSH remote login client > DESCRIPTION: `-p port`",
    "-p port\n\nPort to connect to on the remote host.",
)
GIT_LOG = _hit(
    "man:git-log(1)#description",
    "man git-log(1): git-log - Show commit logs > DESCRIPTION",
    "List all commits reachable from the variables named.\n\n```bash\ngit log foo bar ^baz\n```",
)
CONTEXT_KEYS = _hit(
    "https://docs.python.org/3.11/library/contextvars.html#contextvars.Context.keys",
    "Python 3.11 docs: contextvars — Context Variables > `contextvars.Context.keys()`",
    "Return a list of all variables in the context object.",
)
TIME_SLEEP = _hit(
    "https://docs.python.org/3.11/library/time.html#time.sleep",
    "Python 3.11 docs: time — Time access and conversions > `time.sleep(secs)`",
    "Suspend execution of the calling thread for the given number of seconds.\n\n```python\ntime.sleep(0.5)\n```",
)
POOL = _hit(
    "https://docs.python.org/3.11/library/multiprocessing.html#using-a-pool-of-workers",
    "Python 3.11 docs: multiprocessing — Process-based parallelism > Using a pool of workers",
    "Workers may wait for half a second between tasks in this example of a pool.",
)
URLLIB = _hit(
    "https://docs.python.org/3.11/howto/urllib2.html#fetching-urls",
    "Python 3.11 docs: HOWTO Fetch Internet Resources Using The urllib Package > Fetching URLs",
    (
        "The simplest way to make an HTTP request is urlopen. For example, you can make an FTP request like so:"
        "\n\n```python\nreq = urllib.request.Request('ftp://example.com/')\n```"
    ),
)


def _asked(question: str, kind: str, hits: list[tuple[index_pb2.KnowledgeHit, float]], code: bool) -> AvivaMaterial:
    """The material the planner builds: ranked passages, and code from the confident ones when code is asked."""
    language = detect_request_language(question)
    ranked = tuple(Ranked(read(hit), score=p, confidence=p) for hit, p in hits)
    found = code_from_knowledge(question, language, [(h.title, h.text) for h, p in hits if p >= 0.5])
    return AvivaMaterial(
        content=question,
        query=QueryClass(kind, 0.9, "routing"),
        knowledge=[hit for hit, _ in hits],
        code=(found or skeleton(question, language, comments=True)) if code else None,
        sentences=2,
        knowledge_available=True,
        ranked=ranked,
        answer_threshold=0.5,
    )


def test_a_reference_is_listed_once_though_it_is_stored_as_several_chunks() -> None:
    draft = compose_draft(
        _asked(
            "ssh to a server on another port", "documentation", [(SSH_P, 0.9), (SSH_R, 0.8), (SSH_R, 0.7)], code=False
        )
    )
    assert draft.startswith("`ssh -p`"), draft
    assert draft.count("man:ssh(1)#-R") == 1, draft
    nothing = compose_draft(_asked("ssh tunnel backwards", "documentation", [(SSH_R, 0.2), (SSH_R, 0.1)], code=False))
    assert nothing.startswith(NO_PASSAGE) and nothing.count("man:ssh(1)#-R") == 1, nothing


def test_code_that_shares_no_word_with_the_question_is_not_offered_as_its_solution() -> None:
    question = "how do I list all environment variables in bash"
    material = _asked(question, "code_request", [(CONTEXT_KEYS, 0.8), (GIT_LOG, 0.7)], code=True)
    assert material.code is not None and material.code.skeleton
    assert "git log foo bar" not in compose_draft(material)


def test_the_note_and_first_source_of_a_code_answer_are_the_codes_own_passage() -> None:
    material = _asked("sleep for half a second in python", "code_request", [(POOL, 0.9), (TIME_SLEEP, 0.8)], code=True)
    draft = compose_draft(material)
    assert "time.sleep(0.5)" in draft, draft
    assert "Suspend execution of the calling thread" in draft and "Workers may wait" not in draft, draft
    sources = draft.split("\n\n")[-1]
    assert (
        sources.startswith("Sources: Python 3.11 docs: time")
        and "<https://docs.python.org/3.11/library/time.html#time.sleep>" in sources
    ), sources


def test_a_sentence_that_introduces_an_example_not_shown_is_not_an_answer_sentence() -> None:
    draft = compose_draft(_asked("how do I make an http request", "documentation", [(URLLIB, 0.9)], code=False))
    assert "The simplest way to make an HTTP request is urlopen." in draft, draft
    assert "like so:" not in draft


def test_a_question_in_another_named_language_gets_no_unrelated_pages_as_closest_references() -> None:
    """Neither Python's pages nor the man pages are written for JavaScript: it is told so, not given them (a Go
    question's closest references had been sed(1), gitignore(5) and head(1))."""
    material = _asked(
        "in javascript how do i debounce a function",
        "code_request",
        [(POOL, 0.9), (TIME_SLEEP, 0.1), (SSH_P, 0.05)],
        code=True,
    )
    draft = compose_draft(material)
    assert "```javascript skeleton" in draft, draft
    assert "docs.python.org" not in draft and "man:" not in draft and "Closest references" not in draft, draft
    assert "nothing in it is written for JavaScript." in draft, draft
    assert references(material) == []  # a confident Python passage is not cited beside the skeleton either
    in_python = _asked("how do i debounce a function in python", "code_request", [(POOL, 0.2)], code=True)
    python = compose_draft(in_python)
    assert "docs.python.org" in python and references(in_python), python
    # The terminal names the shell, which the man pages document: Python's pages may still be what is closest.
    shell = compose_draft(_asked("capture a command's output from the terminal", "documentation", [(POOL, 0.2)], False))
    assert "docs.python.org" in shell, shell


def test_a_question_about_another_language_is_not_answered_from_a_confident_python_passage() -> None:
    """A JavaScript loop question had been answered with asyncio's `call_later`: no page is written for JavaScript,
    so none answers it, whatever kind of question it is (training/RULES.md)."""
    for kind in ("documentation", "debugging", "general"):
        material = _asked("why is my for loop in javascript printing undefined", kind, [(POOL, 0.9)], code=False)
        draft = compose_draft(material)
        assert material.answering == [] and references(material) == [], draft
        assert "docs.python.org" not in draft and "nothing in it is written for JavaScript." in draft, draft
    python = _asked("why is my for loop in python printing None", "documentation", [(POOL, 0.9)], code=False)
    assert python.answering and "docs.python.org" in compose_draft(python)


def test_a_debugging_question_no_passage_explains_says_so_before_the_general_checklist() -> None:
    draft = compose_draft(_asked("my pandas merge gives duplicate rows, why", "debugging", [(POOL, 0.1)], code=True))
    assert draft.startswith(NO_DEBUG_PASSAGE), draft
    assert "Checklist:" in draft


NAMELIST = _hit(
    "https://docs.python.org/3.11/library/zipfile.html#zipfile.ZipFile.namelist",
    "Python 3.11 docs: zipfile — Work with ZIP archives > `zipfile.ZipFile.namelist()`",
    "Return a list of archive members by name.",
)
EXTRACT_EXAMPLE = _hit(
    "https://docs.python.org/3.11/library/zipfile.html#examples",
    "Python 3.11 docs: zipfile — Work with ZIP archives > Examples",
    "Extract every member.\n\n```python\nwith ZipFile('spam.zip') as myzip:\n    myzip.extractall()\n```",
)
SCP_P = _hit(
    "man:scp(1)#-P",
    "man scp(1): scp — OpenSSH secure file copy > DESCRIPTION: `-P port`",
    "-P port\n\nSpecifies the port to connect to on the remote host.",
)


def test_a_code_request_the_best_passage_answers_gets_that_call_not_code_from_another_passage() -> None:
    for question in ("list files in a zip without extracting", "list files in a zip without extracting in python"):
        material = _asked(question, "code_request", [(NAMELIST, 0.9), (EXTRACT_EXAMPLE, 0.6)], code=True)
        draft = compose_draft(material)
        assert draft.startswith("`zipfile.ZipFile.namelist()`"), draft
        assert "skeleton" not in draft and "extractall" not in draft, draft
    # Asked in another language, the Python page is not its answer: a labelled skeleton, as before.
    rust = compose_draft(_asked("list files in a zip in rust", "code_request", [(NAMELIST, 0.9)], code=True))
    assert "```rust skeleton" in rust, rust


def test_a_debugging_question_a_passage_answers_gets_it_without_the_traceback_checklist() -> None:
    question = "scp -p 2222 says 2222 is not a file and connects to port 22"
    draft = compose_draft(_asked(question, "debugging", [(SCP_P, 0.8)], code=True))
    assert draft.startswith("`scp -P` (`-P port`)"), draft
    assert "Checklist" not in draft and "man:scp(1)#-P" in draft
    unsure = compose_draft(_asked(question, "debugging", [(SCP_P, 0.3)], code=True))
    assert unsure.startswith(NO_DEBUG_PASSAGE) and "Closest references:\n- man scp(1)" in unsure, unsure
    assert "Checklist" in unsure


SPECIAL_NAMES = _hit(
    "pydoc:specialnames",
    "Python 3.11 reference: Special method names > Emulating generic types",
    "Usually, the subscription of an instance of a class will call a method defined by the class.",
)
TYPE_ERROR = _hit(
    "https://docs.python.org/3.11/library/exceptions.html#TypeError",
    "Python 3.11 docs: Built-in Exceptions > `exception TypeError`",
    "Raised when an operation or function is applied to an object of inappropriate type.",
)


def test_a_confident_passage_with_nothing_to_show_is_passed_over_for_one_that_has() -> None:
    question = "TypeError: 'NoneType' object is not subscriptable"
    draft = compose_draft(_asked(question, "debugging", [(SPECIAL_NAMES, 0.9), (TYPE_ERROR, 0.7)], code=True))
    assert draft.startswith("`exception TypeError`"), draft
    alone = compose_draft(_asked(question, "debugging", [(SPECIAL_NAMES, 0.9)], code=True))
    assert alone.startswith(NO_DEBUG_PASSAGE) and "pydoc:specialnames" in alone, alone


ABSPATH = _hit(
    "https://docs.python.org/3.11/library/os.path.html#os.path.abspath",
    "Python 3.11 docs: os.path — Common pathname manipulations > `os.path.abspath(path)`",
    "Return a normalized absolutized version of the pathname path.",
)


def test_a_language_only_mentioned_does_not_overrule_the_page_that_answers() -> None:
    mentioned = "I get a relative path from the command line and need the full absolute path"
    draft = compose_draft(_asked(mentioned, "code_request", [(ABSPATH, 0.8)], code=True))
    assert draft.startswith("`os.path.abspath(path)`"), draft
    asked = compose_draft(_asked("get the absolute path of a file in bash", "code_request", [(ABSPATH, 0.8)], True))
    assert "```bash skeleton" in asked, asked
    named = compose_draft(
        _asked("Write a Go function that returns a file's absolute path", "code_request", [(ABSPATH, 0.8)], True)
    )
    assert "```go skeleton" in named, named


OUTPUT_FORMATTING = _hit(
    "https://docs.python.org/3.11/tutorial/stdlib2.html#output-formatting",
    "Python 3.11 docs: 11. Brief Tour of the Standard Library — Part II > 11.1. Output Formatting",
    (
        "The reprlib module provides a version of repr() for abbreviated displays of deeply nested containers:\n\n"
        "```python\nimport reprlib\nreprlib.repr(set('supercalifragilisticexpialidocious'))\n```\n\n"
        "The pprint module offers more sophisticated control over printing nested objects in a readable way. "
        "When the result is longer than one line, it adds line breaks:\n\n"
        "```python\nimport pprint\npprint.pprint(t, width=30)\n```\n\n"
        "The textwrap module formats paragraphs of text to fit a given screen width:\n\n"
        "```python\nimport textwrap\nprint(textwrap.fill(doc, width=40))\n```"
    ),
)


def test_the_example_shown_is_the_one_after_the_sentence_quoted() -> None:
    question = "print a big nested dict in a readable multi-line layout"
    draft = compose_draft(_asked(question, "documentation", [(OUTPUT_FORMATTING, 0.9)], code=False))
    assert "The pprint module offers" in draft, draft
    assert "pprint.pprint(t, width=30)" in draft and "reprlib.repr" not in draft, draft


GITIGNORE = _hit(
    "man:gitignore(5)#description",
    "man gitignore(5): gitignore - Specifies intentionally untracked files to ignore > DESCRIPTION",
    "A gitignore file specifies intentionally untracked files that Git should ignore.",
)


def test_a_file_format_page_is_not_shown_as_a_command_to_run() -> None:
    draft = compose_draft(_asked("what does a gitignore file do", "documentation", [(GITIGNORE, 0.9)], code=False))
    assert draft.startswith("A gitignore file specifies"), draft
    assert "`gitignore`" not in draft
    assert read(MKDIR_P).lead_line == "`mkdir -p` (`-p, --parents`)"  # section 1: the command with its option
