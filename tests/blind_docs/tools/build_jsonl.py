#!/usr/bin/env python3
"""Build docs_qa_blind_v1.jsonl from the hand-written item table below.

Each row: (topic, kind, style, source, section, keys, question).
Ids are assigned in table order.  Run verify_keys.py afterwards.
Written by hand by an assistant helper session on 2026-12-03; the questions
were composed from the installed documentation only.
"""
import json
import os

PY = "/usr/share/doc/python3.11-doc/html/"
M1 = "/usr/share/man/man1/"
M5 = "/usr/share/man/man5/"
M7 = "/usr/share/man/man7/"

ITEMS = [
    # ------------------------------------------------------------------ python
    ("python", "call", "situational", PY + "library/pathlib.html", "Path.rglob()", ["rglob"],
     "I'm cleaning up an old monorepo that three teams have dumped scripts into over the years, and half of "
     "them still have Python 2 print statements. Before I point a linter at it I want every .py file under the "
     "repo root, at any depth of subfolders. I'm already using pathlib for everything else - which Path method "
     "does that recursive match?"),
    ("python", "flag", "broken_attempt", PY + "library/shutil.html", "shutil.copytree()", ["dirs_exist_ok"],
     "My deploy script does shutil.copytree('build', '/srv/app'). The first run works, but every run after that "
     "dies with FileExistsError: [Errno 17] File exists: '/srv/app'. I just want it to copy over into the folder "
     "that is already there. How do I do that?"),
    ("python", "call", "goal_only", PY + "library/shutil.html", "shutil.rmtree()", ["rmtree"],
     "From inside a Python script, wipe out a scratch folder together with everything in it, nested folders and "
     "files included - the plain remove-directory call refuses because it isn't empty."),
    ("python", "flag", "imperative", PY + "library/subprocess.html", "subprocess.run()",
     ["capture_output", "stdout=PIPE", "check_output"],
     "Show me how to run `git rev-parse HEAD` from Python with subprocess and get its output back as a string in "
     "a variable instead of it being printed to the terminal."),
    ("python", "flag", "broken_attempt", PY + "library/subprocess.html", "subprocess.run()",
     ["check=True", "CalledProcessError"],
     "I run the test suite with subprocess.run(['make', 'test']). When tests fail, make exits with status 2, but "
     "my Python wrapper carries on and prints 'all good' anyway - I expected an exception. What am I missing?"),
    ("python", "flag", "non_native", PY + "library/json.html", "json.dumps()", ["indent"],
     "When I make json.dumps of my dict, all is coming in one very long line and in the log it is impossible to "
     "read it. How I can make it print pretty, with the new lines and the spaces for each level?"),
    ("python", "flag", "situational", PY + "library/json.html", "json.dump()", ["ensure_ascii"],
     "Our product catalogue has German and Japanese product names. The nightly export writes them out with "
     "json.dump, and the partner who consumes the file complains it is full of \\u00fc and \\u6771 escapes "
     "instead of the real characters. Their parser is fine with UTF-8. Which argument stops the escaping?"),
    ("python", "call", "goal_only", PY + "library/datetime.html", "datetime.strptime()",
     ["strptime", "fromisoformat"],
     "Turn the text '2024-03-15 14:30' that comes out of a CSV column into a real date-and-time object in Python, "
     "so I can compare it with other timestamps."),
    ("python", "call", "broken_attempt", PY + "library/datetime.html", "datetime.now() / datetime.utcnow()",
     ["timezone.utc"],
     "I take datetime.utcnow() and subtract a datetime I parsed from an API response that ends in '+00:00', and I "
     "get TypeError: can't subtract offset-naive and offset-aware datetimes. How should I get 'now' so that it is "
     "an aware UTC datetime?"),
    ("python", "call", "imperative", PY + "library/collections.html", "Counter.most_common()", ["most_common"],
     "Give me the Python to count how often each word occurs in a list of words and print the 10 most frequent "
     "ones with their counts."),
    ("python", "call", "non_native", PY + "library/collections.html", "defaultdict objects",
     ["defaultdict", "setdefault"],
     "I am grouping users by their country into a dict of lists, and every time I must check if the key is "
     "existing before I do append. Is there some dict type in standard library which is making the empty list "
     "automatically when key is new?"),
    ("python", "concept", "broken_attempt", PY + "library/itertools.html", "itertools.groupby()", ["sort"],
     "I use itertools.groupby(records, key=lambda r: r['dept']) to group employees, but the same department shows "
     "up as several separate groups in the output. Why does it split them, and what do I have to do first?"),
    ("python", "call", "goal_only", PY + "library/itertools.html", "chain.from_iterable()", ["from_iterable", "chain("],
     "Flatten a list of lists like [[1, 2], [3], [4, 5]] into one flat sequence using a ready-made standard "
     "library helper rather than writing a nested loop."),
    ("python", "call", "situational", PY + "library/functools.html", "functools.lru_cache() / functools.cache()",
     ["lru_cache", "@cache"],
     "We have a helper that maps a hostname to a region by calling a slow internal service, and the same dozen "
     "hostnames get looked up thousands of times per batch. Product asked for no new dependencies, and the "
     "mapping never changes during a run. Which decorator from the standard library remembers the result for "
     "each argument?"),
    ("python", "call", "imperative", PY + "library/functools.html", "functools.partial()", ["partial"],
     "Show me how to pre-fill some arguments of an existing function so I get a new callable - for example int "
     "with base=2 fixed - that I can pass around as a one-argument callback."),
    ("python", "flag", "non_native", PY + "library/argparse.html", "action", ["store_true", "BooleanOptionalAction"],
     "I want that my script have an option --verbose without any value, only on or off. With argparse when I "
     "write add_argument('--verbose') it wants a value after it. How to make it just a flag?"),
    ("python", "flag", "goal_only", PY + "library/argparse.html", "nargs", ["nargs"],
     "My command-line tool should accept any number of file names (at least one) after its options and hand them "
     "to my code as a list, with the usage message generated automatically."),
    ("python", "call", "broken_attempt", PY + "howto/logging.html", "A simple example / Logging to a file",
     ["basicConfig", "setLevel", "WARNING"],
     "I call logging.info('starting worker') in my script and nothing at all is printed, but logging.warning(...) "
     "on the next line shows up fine. There is no other logging setup in the file. What is wrong?"),
    ("python", "flag", "imperative", PY + "library/re.html", "re.VERBOSE", ["VERBOSE"],
     "Give me the Python regex flag that lets me spread one long pattern over several lines with whitespace and "
     "# comments inside it."),
    ("python", "concept", "situational", PY + "howto/regex.html", "Greedy versus Non-Greedy",
     ["non-greedy", "*?"],
     "I'm scraping an old internal HTML status page (don't ask, there's no API and the team that owns it is gone). "
     "My pattern <td>.*</td> grabs everything from the first cell to the very last one on the line instead of one "
     "cell at a time. What do I need to change in the pattern, and what is this called?"),
    ("python", "call", "goal_only", PY + "library/tempfile.html", "tempfile.TemporaryDirectory()",
     ["TemporaryDirectory"],
     "In a Python test I need a throwaway folder that gets deleted on its own, with its contents, when the with "
     "block ends - no manual cleanup code."),
    ("python", "call", "non_native", PY + "library/os.html", "os.getenv()", ["getenv"],
     "How I read an environment variable in python but when it not exist I want to have a default value, not to "
     "receive the KeyError exception?"),
    ("python", "call", "imperative", PY + "library/csv.html", "csv.DictReader", ["DictReader"],
     "Show the Python to read a CSV file that has a header row so that each row comes back as a dict keyed by "
     "the column names."),
    ("python", "flag", "broken_attempt", PY + "library/csv.html", "csv.writer()", ["newline=''"],
     "On Windows my csv.writer output has an empty line between every row. I open the file with "
     "open('out.csv', 'w') and call writer.writerows(rows). What do I need to change?"),
    ("python", "flag", "broken_attempt", PY + "library/dataclasses.html", "dataclasses.field()",
     ["default_factory"],
     "@dataclass class Cart: items: list = [] fails at import time with ValueError: mutable default <class "
     "'list'> for field items is not allowed. What is the proper way to give every instance its own empty list?"),
    ("python", "flag", "goal_only", PY + "library/dataclasses.html", "dataclasses.dataclass() / Frozen instances",
     ["frozen"],
     "I have a small record class whose __init__ and __eq__ are generated for me from the annotated fields. I "
     "want its instances to be read-only, so that assigning to an attribute after creation raises an error."),
    ("python", "call", "situational", PY + "library/typing.html", "typing.TypedDict", ["TypedDict"],
     "Our service passes JSON config blobs around as plain dicts, and mypy can't tell us when somebody misspells "
     "a key. Rewriting them as classes is off the table because the code indexes them like dicts everywhere. "
     "What typing construct describes a dict with a fixed set of string keys and a value type per key?"),
    ("python", "call", "non_native", PY + "library/enum.html", "enum.auto", ["auto()"],
     "I make an Enum with many members and I am lazy to write the numbers 1, 2, 3... by hand for each one. There "
     "is a way that the values are filled automatic?"),
    ("python", "call", "imperative", PY + "library/contextlib.html", "contextlib.contextmanager()",
     ["contextmanager"],
     "Write me a context manager as a generator function with a single yield - the quick way, without a class "
     "that has __enter__ and __exit__."),
    ("python", "call", "situational", PY + "library/asyncio-task.html", "asyncio.gather() / Task Groups",
     ["gather", "TaskGroup"],
     "Our async crawler awaits each HTTP fetch one after the other inside a for loop, so 50 URLs take 50 times as "
     "long as one. The fetch coroutine itself is fine and already async. Which asyncio function runs them "
     "concurrently and gives me all the results back in order?"),
    ("python", "call", "imperative", PY + "library/concurrent.futures.html", "ThreadPoolExecutor",
     ["ThreadPoolExecutor"],
     "Give me Python that downloads a list of URLs using 8 worker threads with the standard library's executor "
     "API and collects the results."),
    ("python", "call", "goal_only", PY + "library/heapq.html", "heapq.nlargest()", ["nlargest"],
     "Get the 5 biggest values out of a huge list of numbers in Python without sorting the whole list."),
    ("python", "call", "non_native", PY + "library/bisect.html", "bisect.insort()", ["insort"],
     "I have a list which is always sorted and I need to put a new number inside at the correct place so it "
     "stays sorted. Which function is doing this, so I don't make append and sort again every time?"),
    ("python", "concept", "broken_attempt", PY + "library/sqlite3.html",
     "How to use placeholders to bind values in SQL queries", ["placeholder", "qmark", "parameter substitution", "parameterized"],
     "I build my query with cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\") and it breaks with "
     "sqlite3.OperationalError as soon as a name has an apostrophe, like O'Brien. What is the right way to put "
     "values into sqlite3 queries?"),
    ("python", "call", "goal_only", PY + "library/unittest.mock.html", "patch()", ["patch"],
     "In a Python unit test, temporarily swap out the function that calls the payment API for a fake that returns "
     "a canned response, only for the duration of that one test."),
    ("python", "call", "non_native", PY + "library/unittest.html", "TestCase.assertRaises()", ["assertRaises"],
     "In unittest how I check that my function is throwing ValueError when the input is negative? I don't want "
     "that the test fails because of the exception, I want it pass only when the exception come."),
    ("python", "call", "imperative", PY + "howto/sorting.html", "Operator Module Functions", ["itemgetter"],
     "Show me how to sort a list of tuples by the second element and then by the first, using the operator "
     "module helpers instead of a lambda."),
    ("python", "concept", "goal_only", PY + "tutorial/datastructures.html", "List Comprehensions",
     ["comprehension"],
     "In one Python expression, build a new list holding the squares of only the even numbers from another list, "
     "without writing a for loop that calls append."),
    ("python", "command", "non_native", PY + "tutorial/venv.html", "Creating Virtual Environments", ["venv"],
     "For every project I want a separate place for python packages so they don't mix with the ones of the "
     "system. What is the command to create this environment in the folder of my project?"),
    ("python", "concept", "broken_attempt", PY + "tutorial/errors.html", "Defining Clean-up Actions",
     ["finally"],
     "I put my cleanup code (closing a socket) right after the try/except block, but when an exception that I "
     "don't catch happens, the socket is never closed. Which part of the try statement runs no matter what?"),
    ("python", "call", "situational", PY + "library/logging.handlers.html", "RotatingFileHandler",
     ["RotatingFileHandler"],
     "Our long-running worker logs to app.log, and after three months the file is 40 GB. Ops wants it to roll "
     "over at 100 MB and keep 5 old files, and they want that done inside the Python process, not by logrotate. "
     "Which logging handler does that?"),
    ("python", "call", "goal_only", PY + "library/functions.html", "property", ["property"],
     "Make an attribute of my class computed when it is read, so obj.area is calculated from width and height "
     "but is accessed like a normal attribute, without parentheses."),
    ("python", "call", "imperative", PY + "library/stdtypes.html", "str.removeprefix()", ["removeprefix"],
     "Give me the string method that strips a literal 'refs/heads/' from the start of a branch name - not "
     "lstrip, which eats individual characters."),
    ("python", "call", "situational", PY + "library/shlex.html", "shlex.quote()", ["shlex.quote"],
     "We generate a shell script that other admins run later, and the file names in it come from user uploads. "
     "One of them was literally named 'report; rm -rf ~.pdf'. From Python, how do I escape each file name so "
     "it's safe as a single argument in a POSIX shell command line?"),
    ("python", "command", "imperative", PY + "library/timeit.html", "Command-Line Interface",
     ["python -m timeit", "-m timeit"],
     "Show me the command-line one-liner that times a small Python snippet, like '\"-\".join(map(str, "
     "range(100)))', without writing a script file."),
    ("python", "flag", "non_native", PY + "library/glob.html", "glob.glob()", ["recursive"],
     "With glob.glob('**/*.txt') I get only the files from one level, not from all the subdirectories deep "
     "inside. What I am doing wrong?"),
    ("python", "flag", "goal_only", PY + "library/os.html", "os.makedirs()", ["exist_ok"],
     "Create a nested folder path like data/2024/03 from Python, creating the missing parent folders too, and "
     "don't complain if it already exists."),
    ("python", "command", "situational", PY + "library/http.server.html", "http.server can also be invoked directly using the -m switch of the interpreter",
     ["python -m http.server", "http.server"],
     "I built our static docs site into ./site and the designer wants to click around it on my laptop before we "
     "publish. I don't want to install nginx or node just for that. What's the one-liner that serves the current "
     "directory over HTTP with nothing but Python?"),
    ("python", "call", "non_native", PY + "library/zoneinfo.html", "zoneinfo.ZoneInfo", ["ZoneInfo"],
     "I need to convert the time from UTC to Europe/Berlin time with the summer time correct. Which class of the "
     "standard library gives me a time zone from the IANA name, without to install pytz?"),
    ("python", "call", "broken_attempt", PY + "library/copy.html", "copy.deepcopy()", ["deepcopy"],
     "I copy a nested config dict with cfg2 = cfg.copy(), then change cfg2['db']['host'], and the original "
     "cfg['db']['host'] changes too! How do I copy it completely, inner dicts included?"),
    ("python", "flag", "broken_attempt", PY + "library/tomllib.html", "tomllib.load() / Examples",
     ["\"rb\"", "binary"],
     "Python 3.11, reading pyproject.toml with the new stdlib tomllib: with open('pyproject.toml') as f: data = "
     "tomllib.load(f) blows up with a TypeError about the file object, although the same file parsed fine with "
     "the third-party toml package. How does tomllib expect the file to be opened?"),
    ("python", "call", "non_native", PY + "library/decimal.html", "decimal.Decimal", ["Decimal"],
     "When I make 0.1 + 0.2 in python the result is 0.30000000000000004 and my colleague from accounting is very "
     "angry. Which type I should use for the money calculations to have the exact decimal numbers?"),
    ("python", "call", "situational", PY + "library/getpass.html", "getpass.getpass()", ["getpass"],
     "I'm writing a small CLI for our team to rotate their database credentials. It asks for the current "
     "password with input(), and someone pointed out during a screen-share that the password is echoed on the "
     "screen. How do I read it from the terminal without echoing it?"),
    ("python", "call", "situational", PY + "library/hashlib.html", "hashlib.file_digest()", ["file_digest"],
     "We finally upgraded the build image to Python 3.11. Our artifact checker hashes multi-GB files with a "
     "hand-written loop that reads 64 KiB chunks into hashlib.sha256().update(). I heard 3.11 added a helper "
     "that does this directly from a file object. What is it called?"),
    # -------------------------------------------------------------------- git
    ("git", "command", "situational", M1 + "git-stash.1.gz", "push / pop",
     ["git stash", "stash pop"],
     "I was halfway through a refactor on main when a colleague pinged me about a production bug. I need a clean "
     "working tree to switch branches and fix it, and afterwards I want my half-done changes back exactly as they "
     "were, without committing them. Which git commands do that?"),
    ("git", "flag", "goal_only", M1 + "git-commit.1.gz", "--amend", ["--amend"],
     "Fix a typo in the message of the commit I made a minute ago, before pushing it anywhere."),
    ("git", "flag", "non_native", M1 + "git-reset.1.gz", "--soft / --mixed", ["--soft", "--mixed"],
     "I did the commit too early, it is not pushed yet. I want to take back this last commit but keep all my "
     "changes in the files, not to lose them. How I can do this?"),
    ("git", "command", "broken_attempt", M1 + "git-reset.1.gz", "git reset [-q] [<tree-ish>] [--] <pathspec>...",
     ["--staged", "git reset"],
     "I edited both app.py and settings.py and ran git add -A, but I only want app.py in this commit. I tried "
     "git rm settings.py and it wanted to delete my file. How do I take settings.py back out of the staging area "
     "while keeping my edits in it?"),
    ("git", "command", "imperative", M1 + "git-cherry-pick.1.gz", "git cherry-pick", ["cherry-pick"],
     "Give me the git command to apply one specific commit from the release branch onto the branch I'm on now, "
     "given its hash."),
    ("git", "command", "situational", M1 + "git-bisect.1.gz", "git bisect / Bisect run",
     ["git bisect", "bisect run"],
     "Our integration test started failing somewhere in the last 300 commits and nobody knows which change did "
     "it. The test takes about two minutes. I'd like git to binary-search the history for me, ideally running "
     "the test script on its own at every step. What's the tool for that?"),
    ("git", "flag", "goal_only", M1 + "git-log.1.gz", "-S<string> / -G<regex>", ["-S", "-G"],
     "Find the commit that added or removed a particular string - say the function name legacy_auth - anywhere "
     "in the project's history."),
    ("git", "command", "broken_attempt", M1 + "git-rebase.1.gz", "-i, --interactive / --autosquash",
     ["rebase -i", "--interactive", "--autosquash", "fixup"],
     "My feature branch has three little 'fix typo' commits that belong in earlier commits on the same branch. I "
     "tried git merge --squash but that crushed the whole branch into a single commit. How do I fold just those "
     "small commits into the ones they fix and keep the rest?"),
    ("git", "command", "imperative", M1 + "git-worktree.1.gz", "add <path> [<commit-ish>]",
     ["git worktree add", "worktree add"],
     "Give me the git command to check out a second branch into a separate folder next to my current one, "
     "sharing the same repository instead of cloning again."),
    ("git", "command", "situational", M1 + "git-reflog.1.gz", "git reflog", ["reflog"],
     "Yesterday I ran git reset --hard to the wrong commit and my last two commits seem to be gone; they were "
     "never pushed. A coworker says git keeps a record of where HEAD and branches used to point. What is that "
     "called, and how do I look at it to get my commits back?"),
    ("git", "flag", "broken_attempt", M1 + "git-push.1.gz", "--force-with-lease", ["--force-with-lease"],
     "After rebasing my branch, git push is rejected as non-fast-forward. I know git push --force gets through, "
     "but last time I overwrote a colleague's commit with it. Is there a safer way to force the push?"),
    ("git", "concept", "non_native", M7 + "gitglossary.7.gz", "detached HEAD", ["detached HEAD", "detached"],
     "After I checkout a tag, git is telling me something strange that HEAD is not on any branch anymore. What "
     "means this state, and are the commits I make there going to be lost?"),
    ("git", "concept", "situational", M5 + "githooks.5.gz", "pre-commit", ["pre-commit"],
     "Our team keeps pushing code with trailing whitespace and failing lint, and each CI run wastes 15 minutes "
     "before it fails. I want git on every developer's machine to run the linter and refuse to create the commit "
     "if the linter fails. Which hook is that?"),
    ("git", "flag", "broken_attempt", M1 + "git-rm.1.gz", "--cached", ["--cached"],
     "I added node_modules/ to .gitignore, but git status still shows changes inside it because it was committed "
     "long ago. I tried git update-index --assume-unchanged node_modules and got fatal: Unable to mark file "
     "node_modules. How do I make git stop tracking the folder while leaving it on disk?"),
    ("git", "flag", "goal_only", M1 + "git-clone.1.gz", "--depth <depth>", ["--depth"],
     "Grab a huge repository with only its latest snapshot and none of the history, to make the CI checkout "
     "faster."),
    ("git", "command", "non_native", M1 + "git-submodule.1.gz", "update / --init / --recursive",
     ["update --init", "--recursive"],
     "I cloned our firmware repository but the folders in third_party/ are all empty. The README only say 'deps "
     "are submodules'. Which command is bringing them, also the submodules inside the submodules?"),
    ("git", "flag", "imperative", M1 + "git-diff.1.gz", "--cached / --staged", ["--staged", "--cached"],
     "Show me the git command that prints the diff of what I have already staged for the next commit."),
    ("git", "command", "goal_only", M1 + "git-revert.1.gz", "git revert", ["git revert"],
     "Undo the changes of a bad commit that is already pushed to the shared main branch, without rewriting "
     "history for everyone else."),
    # -------------------------------------------------------------------- tar
    ("tar", "flag", "imperative", M1 + "tar.1.gz", "-z, --gzip, --gunzip, --ungzip", ["-z", "--gzip"],
     "Give me the tar command that packs the folder ./project into project.tar.gz, gzip-compressed."),
    ("tar", "flag", "broken_attempt", M1 + "tar.1.gz", "-C, --directory=DIR", ["-C", "--directory"],
     "I ran tar -xzf release.tar.gz /opt/app expecting it to unpack into /opt/app, but it says tar: /opt/app: "
     "Not found in archive. How do I tell tar which folder to extract into?"),
    ("tar", "flag", "goal_only", M1 + "tar.1.gz", "-t, --list", ["-t", "--list"],
     "See which files are inside a .tar.xz archive without unpacking anything."),
    ("tar", "flag", "non_native", M1 + "tar.1.gz", "--exclude=PATTERN", ["--exclude"],
     "I make a backup of my project with tar but I don't want to include the node_modules and the .git folders "
     "inside. Which option is for skip them?"),
    ("tar", "flag", "situational", M1 + "tar.1.gz", "--strip-components=NUMBER", ["--strip-components"],
     "The vendor ships tarballs where everything sits under a versioned top-level folder like foo-2.3.1/. Our "
     "deploy script wants the contents directly in /srv/foo, and I'm tired of doing the mv dance after every "
     "extract. Which tar option drops that leading directory while extracting?"),
    # ------------------------------------------------------------------- find
    ("find", "flag", "situational", M1 + "find.1.gz", "-mtime n", ["-mtime"],
     "Our nightly job writes one database dump per day into /var/backups/db and nobody ever cleaned it up; the "
     "volume is at 95%. We want to keep the last two weeks and delete every file older than 14 days. What's "
     "the find invocation?"),
    ("find", "flag", "goal_only", M1 + "find.1.gz", "-size n[cwbkMG]", ["-size"],
     "List every file bigger than 500 megabytes anywhere under my home directory."),
    ("find", "flag", "broken_attempt", M1 + "find.1.gz", "-print0 / -exec command {} +",
     ["-print0", "-exec"],
     "find . -name '*.log' | xargs rm fails on files like 'error report.log' with No such file or directory, "
     "because of the space in the name. How do I make this safe for any file name?"),
    ("find", "flag", "non_native", M1 + "find.1.gz", "-maxdepth levels", ["-maxdepth"],
     "When I do find in my folder it goes inside all the subfolders deep, but I want only the first level, just "
     "the files in this directory itself. How to limit it?"),
    ("find", "flag", "imperative", M1 + "find.1.gz", "-iname pattern", ["-iname"],
     "Give me a find command that matches *.jpg regardless of case, so photo.JPG and scan.Jpg are included too."),
    ("find", "flag", "imperative", M1 + "xargs.1.gz", "-P max-procs, --max-procs=max-procs",
     ["-P", "--max-procs"],
     "Show me the xargs line that runs gzip on a list of file names read from stdin with up to 4 gzip processes "
     "running at the same time."),
    # ------------------------------------------------------------------- grep
    ("grep", "flag", "situational", M1 + "grep.1.gz", "--include=GLOB", ["--include"],
     "I'm hunting for where a deprecated config key, max_conn_pool, is still read. The repository has Python, "
     "YAML and tons of generated JavaScript bundles that drown out the results. How do I grep recursively but "
     "only look inside *.py files?"),
    ("grep", "flag", "goal_only", M1 + "grep.1.gz", "-v, --invert-match", ["-v", "--invert-match"],
     "Show every line of a config file except the comment lines that start with #, from the terminal."),
    ("grep", "flag", "non_native", M1 + "grep.1.gz", "-o, --only-matching", ["-o", "--only-matching"],
     "I want that grep shows me only the part which is matching, for example only the email addresses, and not "
     "the whole long line where it is inside."),
    ("grep", "flag", "imperative", M1 + "grep.1.gz", "-l, --files-with-matches",
     ["-l", "--files-with-matches"],
     "Give me the grep that only prints the names of the files containing 'TODO', not the matching lines "
     "themselves."),
    ("grep", "flag", "broken_attempt", M1 + "grep.1.gz", "-w, --word-regexp", ["-w", "--word-regexp"],
     "grep 'id' schema.sql also matches 'valid', 'width' and 'paid'. I tried grep ' id ' but then I miss the "
     "lines where id is at the start or followed by a comma. How do I match only the whole word id?"),
    ("grep", "flag", "imperative", M1 + "grep.1.gz", "-F, --fixed-strings", ["-F", "--fixed-strings"],
     "Show me how to make grep search for the literal text 'cfg[0].path' so the dot and the brackets are not "
     "treated as regex syntax."),
    # -------------------------------------------------------------------- sed
    ("sed", "flag", "goal_only", M1 + "sed.1.gz", "-i[SUFFIX], --in-place[=SUFFIX]", ["-i", "--in-place"],
     "From a shell script, change every DEBUG=true into DEBUG=false directly inside config.ini, and keep a .bak "
     "copy of the original file."),
    ("sed", "flag", "broken_attempt", M1 + "sed.1.gz", "-E, -r, --regexp-extended",
     ["-E", "-r", "--regexp-extended"],
     "sed 's/(foo|bar)+/X/g' input.txt changes nothing - the parentheses and the pipe seem to be taken as "
     "literal characters. How do I get the regex syntax I'm used to from other languages?"),
    ("sed", "concept", "situational", M1 + "sed.1.gz", "s/regexp/replacement/", ["\\1"],
     "We're migrating an old config where dates are written 2024-03-15 and the new system wants 15.03.2024. "
     "There are a few thousand lines and I'd rather not write a script. I've got sed capturing the three parts "
     "with groups - how do I refer to the captured parts in the replacement?"),
    ("sed", "concept", "imperative", M1 + "sed.1.gz", "Addresses / first~step", ["~2"],
     "Give me the sed expression that prints only the odd-numbered lines of a file (1, 3, 5, ...)."),
    ("sed", "flag", "non_native", M1 + "sed.1.gz", "-n, --quiet, --silent", ["-n", "--quiet", "--silent"],
     "When I do sed '100,120p' bigfile.txt, it prints me the whole file and the lines 100-120 come two times. I "
     "want only these lines. What is wrong?"),
    # -------------------------------------------------------------------- awk
    ("awk", "flag", "goal_only", M1 + "mawk.1.gz", "-F value", ["-F", "FS"],
     "Print the login shell followed by the user name, in that order, for every line of /etc/passwd, where "
     "fields are separated by colons."),
    ("awk", "concept", "imperative", M1 + "mawk.1.gz", "4. Records and fields", ["$NF"],
     "Give me the awk that prints only the last field of each line, whatever the number of columns on that line."),
    ("awk", "concept", "situational", M1 + "mawk.1.gz", "BEGIN and END patterns", ["END"],
     "Finance sent a CSV export (no quoted fields, thank god) and wants the total of the amount column, which "
     "is column 4. It's a one-off and I'd rather not open a spreadsheet. What's the awk that adds up a column and "
     "prints the total once after the last line?"),
    ("awk", "flag", "non_native", M1 + "mawk.1.gz", "-v var=value", ["-v"],
     "How I give the value of a shell variable inside an awk program? I try to write $myvar inside the single "
     "quotes but awk don't see it."),
    ("awk", "concept", "broken_attempt", M1 + "mawk.1.gz", "7. Builtin-variables", ["NR", "FNR"],
     "To skip the header line of a file I wrote awk '{ if (line > 1) print }' data.txt, but it prints nothing at "
     "all. Which built-in variable holds the current line number?"),
    # -------------------------------------------------------------------- ssh
    ("ssh", "flag", "situational", M1 + "ssh.1.gz", "-L [bind_address:]port:host:hostport", ["-L"],
     "Postgres on our staging box only listens on 127.0.0.1:5432, and the firewall only lets SSH through. I want "
     "to point the GUI client on my laptop at localhost:15432 and end up on that database. What ssh option sets "
     "that up?"),
    ("ssh", "flag", "broken_attempt", M1 + "ssh.1.gz", "-J destination", ["-J", "ProxyJump"],
     "To reach the app servers I first ssh to bastion and then ssh app01 from there. I tried ssh bastion app01, "
     "but that just tries to run a command called app01 on the bastion. How do I hop through the bastion in one "
     "command?"),
    ("ssh", "command", "imperative", M1 + "ssh-keygen.1.gz", "-t dsa | ecdsa | ecdsa-sk | ed25519 | ed25519-sk | rsa",
     ["ed25519"],
     "Give me the command to create a new Ed25519 SSH key pair with my email address as the key comment."),
    ("ssh", "command", "goal_only", M1 + "ssh-copy-id.1.gz", "ssh-copy-id", ["ssh-copy-id"],
     "Install my public key into a remote server's authorized_keys so that next time I can log in without "
     "typing the password."),
    ("ssh", "flag", "non_native", M1 + "ssh-keygen.1.gz", "-R hostname", ["-R"],
     "The server was reinstalled and now when I connect, ssh is shouting 'REMOTE HOST IDENTIFICATION HAS CHANGED' "
     "and refuses. How I remove the old key of only this host from my known_hosts in the proper way?"),
    ("ssh", "flag", "broken_attempt", M1 + "scp.1.gz", "-P port", ["-P"],
     "scp -p 2222 backup.tar user@host:/tmp/ fails: it still connects on port 22 and then complains it can't find "
     "a file named 2222. What's the right way to give scp a port?"),
    # ------------------------------------------------------------------- curl
    ("curl", "flag", "broken_attempt", M1 + "curl.1.gz", "-L, --location", ["-L", "--location"],
     "curl -O https://github.com/acme/tool/releases/latest/download/tool.tar.gz gives me a tiny file instead of "
     "the archive, and tar says it is not in gzip format. With -v I see a 302 and a Location header. How do I "
     "make curl go to the real file?"),
    ("curl", "flag", "goal_only", M1 + "curl.1.gz", "-f, --fail", ["--fail", "-f", "--fail-with-body"],
     "Make a scripted HTTP request in the terminal exit with a non-zero status when the server answers 404 or "
     "500, so the shell script notices."),
    ("curl", "flag", "imperative", M1 + "curl.1.gz", "--json <data> / -d, --data <data>",
     ["--json", "-d", "--data"],
     "Show me the curl command to POST the JSON body {\"name\": \"x\"} to an API with the correct Content-Type."),
    ("curl", "flag", "non_native", M1 + "curl.1.gz", "-I, --head", ["-I", "--head"],
     "I want to see only the headers which the server is returning, without the body, to check the cache "
     "settings. Which option of curl is for this?"),
    ("curl", "flag", "situational", M1 + "curl.1.gz", "-w, --write-out <format>",
     ["-w", "--write-out", "http_code"],
     "In our deploy pipeline a health-check step curls the service and greps the body for 'ok', which breaks "
     "every time someone changes the response format. I'd rather capture just the HTTP status code in a shell "
     "variable. Which curl option prints that?"),
    ("curl", "flag", "non_native", M1 + "curl.1.gz", "-C, --continue-at <offset>", ["-C", "--continue-at"],
     "My download of a 4 GB file with curl is broken at 70% because the wifi fell. Is there a way to continue "
     "from where it stopped and not download everything one more time?"),
    # -------------------------------------------------------------- coreutils
    ("coreutils", "command", "situational", M1 + "du.1.gz", "-s, --summarize / -d, --max-depth=N",
     ["-s", "--summarize", "--max-depth", "-d"],
     "A cron job on the build box wrote logs all night and df now says / is at 100%. Before I start deleting "
     "things I want to know which directories under /var take the most space, in human-readable sizes. Which "
     "command gives me per-directory totals?"),
    ("coreutils", "flag", "goal_only", M1 + "sort.1.gz", "-h, --human-numeric-sort",
     ["-h", "--human-numeric-sort"],
     "Order lines that start with sizes like 1.5G, 200M and 12K correctly by actual size in the terminal, the "
     "largest at the bottom."),
    ("coreutils", "flag", "non_native", M1 + "uniq.1.gz", "-c, --count", ["-c", "--count"],
     "I have the list of IPs from a log and I want to know how many times each one is appearing. I do sort and "
     "uniq, but it shows only the unique lines without any number."),
    ("coreutils", "flag", "broken_attempt", M1 + "tail.1.gz", "-F", ["-F", "--follow=name", "--retry"],
     "tail -f /var/log/app.log stops showing new lines after logrotate runs at midnight, although the app keeps "
     "logging into a fresh app.log. How do I keep following the file across rotation?"),
    ("coreutils", "flag", "imperative", M1 + "cut.1.gz", "-d, --delimiter=DELIM / -f, --fields=LIST",
     ["-d", "-f", "--delimiter", "--fields"],
     "Give me the cut command that prints the 1st and 3rd fields of a comma-separated file."),
    ("coreutils", "flag", "goal_only", M1 + "date.1.gz", "-d, --date=STRING", ["-d", "--date"],
     "Convert the Unix timestamp 1700000000 into a human-readable date and time in the terminal."),
    ("coreutils", "flag", "non_native", M1 + "sha256sum.1.gz", "-c, --check", ["-c", "--check"],
     "I downloaded an ISO and the SHA256SUMS file from the site. How I verify the ISO is correct using this sums "
     "file, and not compare the long hash with my eyes?"),
    ("coreutils", "flag", "imperative", M1 + "tee.1.gz", "-a, --append", ["-a", "--append"],
     "Give me the one-liner to append the line vm.swappiness=10 to the root-owned /etc/sysctl.conf with sudo "
     "(sudo echo ... >> file gives Permission denied)."),
    ("coreutils", "command", "situational", M1 + "timeout.1.gz", "timeout", ["timeout"],
     "Our CI has a step that calls a flaky vendor CLI which sometimes hangs forever, and the whole job then sits "
     "there until the 6-hour global limit kills it. I want that single command killed if it's still running "
     "after 5 minutes, and the step to fail. What's the standard tool for that?"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(os.path.dirname(here), "docs_qa_blind_v1.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for n, (topic, kind, style, source, section, keys, question) in enumerate(ITEMS, 1):
            rec = {
                "id": "docs-blind-v1-%03d" % n,
                "question": question,
                "keys": keys,
                "source": source,
                "section": section,
                "kind": kind,
                "topic": topic,
                "style": style,
                "split": "blind",
            }
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print("wrote %d items to %s" % (len(ITEMS), out))


if __name__ == "__main__":
    main()
