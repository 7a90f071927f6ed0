# -*- coding: utf-8 -*-
"""Source data for docs_qa_styles_v1.jsonl (hand-written questions).

Each tuple: (topic, kind, style, source, section, keys, question)
Python sources are relative to /usr/share/doc/python3.11-doc/html/,
man sources without a leading '/' are relative to /usr/share/man/man1/.
"""

PY = "/usr/share/doc/python3.11-doc/html/"
MAN1 = "/usr/share/man/man1/"

ITEMS = [
# ---------------------------------------------------------------- python: situational
("python", "call", "situational", "library/functools.html", "functools.lru_cache",
 ["lru_cache", "@cache"],
 "We have a reporting job the data team runs every morning, and since last sprint it has become painfully slow. "
 "Profiling showed that a helper get_exchange_rate(currency, day) is called tens of thousands of times with the same few "
 "argument combinations, and every call redoes an expensive computation. My manager wants it fixed before Friday's demo and "
 "doesn't want Redis or any external service added. Is there something built into Python that simply remembers a function's "
 "results for arguments it has already seen?"),
("python", "call", "situational", "library/logging.html", "logging.basicConfig",
 ["basicConfig"],
 "I inherited a small CLI tool from a colleague who left last month. It calls logging.info() and logging.debug() all over the "
 "place, but when I run it nothing shows up in the terminal except warnings. Ops also wants every line to carry a timestamp so "
 "they can correlate it with cron runs. It's a 200-line script and I really don't want to wire up handlers and formatters by "
 "hand. What's the single call that sets the root logger's level and message format?"),
("python", "call", "situational", "library/concurrent.futures.html", "ThreadPoolExecutor",
 ["ThreadPoolExecutor"],
 "Our nightly script downloads about 400 small JSON files from an internal API one after another with urllib, and it takes "
 "almost an hour, almost all of it spent waiting on the network. The team lead said no new dependencies, so aiohttp is out, "
 "and rewriting the whole thing as async isn't happening this week either. I'd like to run around 16 downloads at the same "
 "time and collect the results as they come in. Which standard-library tool is meant for that?"),
("python", "call", "situational", "library/unittest.mock.html", "patch",
 ["patch"],
 "I'm writing unit tests for a function in billing/invoices.py that calls requests.post to send invoices to our payment "
 "provider. Yesterday a CI run actually hit the provider's sandbox and we got rate-limited, which was fun to explain at "
 "standup. I want the test to replace that post call with a fake only while the test runs and have the original restored "
 "automatically afterwards. How do I temporarily swap it out in a unittest test?"),
("python", "call", "situational", "library/shlex.html", "shlex.quote",
 ["quote"],
 "We have a little internal deploy helper that builds a command string like f\"tar czf /backups/{name}.tgz {path}\" and runs "
 "it on a remote machine over ssh. Last week someone created a directory literally called 'my files; rm -rf x' (a test, "
 "luckily) and the whole thing blew up. I can't just pass an argument list because the string goes through the remote shell "
 "anyway. How do I escape a file name in Python so the shell sees it as exactly one argument?"),
("python", "call", "situational", "library/zoneinfo.html", "zoneinfo.ZoneInfo",
 ["ZoneInfo"],
 "Our app stores every event timestamp as an aware datetime in UTC, which the backend team agreed on last year. Now the "
 "support team in Berlin wants the daily report in local time, and they keep complaining that it's off by an hour half the "
 "year because someone hard-coded +1. We're on Python 3.11 and I'd rather not pull in pytz. How do I convert a UTC datetime "
 "to Europe/Berlin time with daylight saving handled properly?"),
("python", "call", "situational", "library/warnings.html", "warnings.filterwarnings",
 ["filterwarnings"],
 "Since we upgraded a vendor SDK on Monday, every run of our CLI prints a big DeprecationWarning coming from inside that "
 "library, and users think our tool is broken. The vendor says it'll be fixed 'in the next release', no date given. Our own "
 "code is fine. I want to silence only that warning category coming from that one module, from inside my code, without "
 "hiding every other warning. What should I call?"),
("python", "concept", "situational", "tutorial/classes.html", "9.6. Private Variables",
 ["name mangling"],
 "I'm reviewing a pull request from a junior developer who's coming from Java. He prefixed a bunch of attributes with two "
 "underscores, like self.__balance, and now a subclass method that reads self.__balance raises AttributeError, even though the "
 "parent's __init__ clearly sets it. He's convinced Python is broken and the review is dragging on. What is this behaviour of "
 "double-underscore names called in Python, and why does it happen?"),
("python", "call", "situational", "library/contextlib.html", "contextlib.ExitStack",
 ["ExitStack"],
 "I'm building a small tool that merges log files given on the command line; there could be 2 of them or 30. I want all of "
 "them opened with proper with-statement semantics so every file gets closed even if opening the fifth one fails, but I can't "
 "write a fixed number of nested with blocks when the count isn't known in advance. A colleague suggested try/finally with a "
 "list, and it's getting ugly. Is there a standard-library helper for managing a variable number of context managers?"),
# ---------------------------------------------------------------- python: goal_only
("python", "call", "goal_only", "library/pathlib.html", "pathlib.Path.rglob",
 ["rglob", "**/*"],
 "In a Python script, I need every file ending in .csv anywhere below a project folder, including all nested subfolders, "
 "as path objects."),
("python", "call", "goal_only", "library/tempfile.html", "tempfile.TemporaryDirectory",
 ["TemporaryDirectory"],
 "My Python test needs a scratch folder that exists only while the test runs and is removed automatically afterwards, "
 "together with everything written into it."),
("python", "call", "goal_only", "library/asyncio-task.html", "asyncio.gather",
 ["gather", "TaskGroup"],
 "Inside an async Python function, I want to start three coroutines that each fetch something, let them run concurrently, "
 "and get all three results back together in the same order I started them."),
("python", "call", "goal_only", "library/textwrap.html", "textwrap.dedent",
 ["dedent"],
 "I have a multi-line string literal indented inside a Python function so the code looks tidy, but when I print it every "
 "line starts with the extra spaces from the code indentation. I want that common leading whitespace removed from all lines."),
("python", "call", "goal_only", "library/hashlib.html", "hashlib.file_digest",
 ["file_digest", "update("],
 "From a Python 3.11 script, compute the SHA-256 checksum of a 6 GB disk image without reading the whole file into memory."),
("python", "call", "goal_only", "library/heapq.html", "heapq.nlargest",
 ["nlargest"],
 "Out of a Python list of about a million (score, user_id) tuples, I only need the 10 with the highest scores, and I'd "
 "rather not sort the entire list to get them."),
("python", "call", "goal_only", "library/difflib.html", "difflib.unified_diff",
 ["unified_diff"],
 "My Python script has the old and new versions of a config file as lists of lines, and I want to print the differences "
 "the way patch files look, with ---/+++ headers, @@ hunk markers and +/- lines."),
("python", "call", "goal_only", "library/itertools.html", "itertools.pairwise",
 ["pairwise", "zip("],
 "Given a Python list of timestamps, I want to walk through it as overlapping consecutive pairs, (t0, t1), (t1, t2), "
 "(t2, t3) and so on, to compute the gaps between neighbours."),
("python", "command", "goal_only", "library/http.server.html", "python -m http.server",
 ["http.server"],
 "I want to quickly share the files in my current folder with a colleague on the same network by starting a throwaway web "
 "server from the terminal, using nothing but what ships with Python."),
# ---------------------------------------------------------------- python: broken_attempt
("python", "flag", "broken_attempt", "library/subprocess.html", "subprocess.run",
 ["capture_output", "stdout=PIPE", "check_output"],
 "I run result = subprocess.run([\"git\", \"rev-parse\", \"HEAD\"]) and the hash gets printed straight to the terminal, "
 "but result.stdout is None. I want the output in a variable, as a str rather than bytes. What do I have to pass?"),
("python", "call", "broken_attempt", "library/stdtypes.html", "str.removeprefix",
 ["removeprefix"],
 "I wanted to drop a prefix from file names, so I wrote 'test_test_utils.py'.lstrip('test_') expecting 'test_utils.py', "
 "but I got 'utils.py'. With other names it eats even more characters. What's the correct way to remove an exact prefix "
 "from a string?"),
("python", "flag", "broken_attempt", "library/argparse.html", "action",
 ["store_true"],
 "I added parser.add_argument('--verbose') to my argparse setup, but now ./tool.py --verbose fails with "
 "'error: argument --verbose: expected one argument'. I just want a plain on/off switch that is True when the flag is given "
 "and False otherwise."),
("python", "flag", "broken_attempt", "library/shutil.html", "shutil.copytree",
 ["dirs_exist_ok"],
 "shutil.copytree('template', 'build') works the first time, but on the second run it crashes with "
 "FileExistsError: [Errno 17] File exists: 'build'. I don't want to rmtree the whole build folder first; I just want the "
 "template copied into the existing folder, overwriting what's there. How?"),
("python", "flag", "broken_attempt", "library/dataclasses.html", "Mutable default values",
 ["default_factory"],
 "I declared @dataclass class Order: items: list = [] and now Python won't even import the module: "
 "ValueError: mutable default <class 'list'> for field items is not allowed ... How am I supposed to give every Order "
 "instance its own empty list?"),
("python", "concept", "broken_attempt", "howto/regex.html", "Greedy versus Non-Greedy",
 ["non-greedy", "*?"],
 "I'm pulling tags out of some HTML-ish text with re.findall(r'<.*>', '<b>bold</b> and <i>it</i>') and instead of each tag "
 "separately I get one giant match from the first < to the very last >. How do I make the pattern stop at the first "
 "closing >?"),
("python", "flag", "broken_attempt", "library/csv.html", "csv.writer",
 ["newline"],
 "I write rows with w = csv.writer(open('out.csv', 'w')) and on Windows every data row is followed by an empty row when the "
 "file is opened in Excel. On my Linux machine it looked fine. What did I do wrong when opening the file?"),
("python", "call", "broken_attempt", "library/copy.html", "copy.deepcopy",
 ["deepcopy"],
 "I have config = {'db': {'host': 'prod'}}, did test_cfg = config.copy() and then test_cfg['db']['host'] = 'localhost', and "
 "now the original config['db']['host'] is 'localhost' too! I thought .copy() made a copy. How do I get a completely "
 "independent copy of the nested structure?"),
("python", "call", "broken_attempt", "library/os.path.html", "os.path.expanduser",
 ["expanduser"],
 "open('~/.myapp/config.ini') fails with FileNotFoundError: [Errno 2] No such file or directory: '~/.myapp/config.ini', but "
 "the file definitely exists, and cat ~/.myapp/config.ini works in my shell. How do I get Python to understand the tilde?"),
# ---------------------------------------------------------------- python: non_native
("python", "flag", "non_native", "library/json.html", "json.dump",
 ["ensure_ascii"],
 "When I do json.dumps of a dict with russian text, in the output file I see only things like \\u041f\\u0440\\u0438 instead of "
 "normal letters. File is already opened with utf-8. How I can make that it writes the real characters?"),
("python", "call", "non_native", "library/datetime.html", "datetime.datetime.strptime",
 ["strptime"],
 "I have string like '03.12.2026 14:05' from one old system, it is day.month.year and then hour:minute. Which function I "
 "must use for convert it to datetime object, and how looks the format for this?"),
("python", "flag", "non_native", "library/functions.html", "zip",
 ["strict"],
 "I am zipping two lists together, names and ages, but when one list is more short, zip is cutting silently and I lose data "
 "without to know it. Is there some way that zip gives an error in this case instead of the silent cut?"),
("python", "call", "non_native", "library/asyncio-task.html", "asyncio.wait_for",
 ["wait_for", "timeout("],
 "In my asyncio program one coroutine sometimes is hanging forever because the remote server is not answering. How I can "
 "say to it 'wait maximum 5 seconds, after this cancel and give me exception'?"),
("python", "call", "non_native", "howto/sorting.html", "Operator Module Functions",
 ["itemgetter", "lambda"],
 "I have list of dicts with keys 'department' and 'salary'. I need to sort it by department, and inside of same department "
 "by salary. What is the proper way for this in python, exists some helper for take the values of the keys?"),
("python", "concept", "non_native", "tutorial/datastructures.html", "5.1.3. List Comprehensions",
 ["list comprehension", "List Comprehensions"],
 "My colleague writes everywhere code like [x * 2 for x in items if x > 0] and I don't know how this construction is named, "
 "so I cannot search it. How is it called in Python?"),
("python", "call", "non_native", "library/urllib.parse.html", "urllib.parse.urlencode",
 ["urlencode"],
 "I must build the query part of an URL from a dict like {'q': 'café & bar', 'page': 2} and the special characters have to "
 "be escaped correct. Now I make it with string concatenation and it breaks on the & sign. Which function is doing this "
 "for me?"),
("python", "call", "non_native", "library/functools.html", "functools.partial",
 ["partial"],
 "I have function send(host, port, message) and in one module I call it always with the same host and port. Is there a way "
 "to make from it a new function where these two arguments are already fixed, without writing a wrapper def by myself?"),
("python", "call", "non_native", "library/collections.html", "collections.defaultdict",
 ["defaultdict", "setdefault"],
 "I group words by the first letter and every time I must write if letter not in d: d[letter] = [] before the append. It is "
 "very annoying. Exists some kind of dict which creates the empty list by itself when the key is missing?"),
# ---------------------------------------------------------------- python: imperative
("python", "call", "imperative", "library/collections.html", "collections.Counter.most_common",
 ["most_common"],
 "Give me the Python to count how often each word appears in a text file and print the 5 most frequent words with their "
 "counts."),
("python", "call", "imperative", "library/csv.html", "csv.DictReader",
 ["DictReader"],
 "Show the Python for reading a CSV file that has a header row, so that each row comes back as a dict keyed by column name."),
("python", "call", "imperative", "library/contextlib.html", "contextlib.suppress",
 ["suppress"],
 "Show me the compact Python way to ignore one specific exception type for a single block of code, for example "
 "FileNotFoundError while cleaning up a temp file, without writing try/except/pass."),
("python", "call", "imperative", "howto/logging.html", "Advanced Logging Tutorial",
 ["getLogger"],
 "Show the recommended pattern for creating a logger in each module of my package, so that log records show which module "
 "they came from."),
("python", "call", "imperative", "library/secrets.html", "secrets.token_urlsafe",
 ["token_urlsafe", "token_hex"],
 "Give me the Python one-liner that generates a cryptographically secure random token I can put into a password-reset URL."),
("python", "call", "imperative", "library/time.html", "time.perf_counter",
 ["perf_counter", "monotonic"],
 "Show me how to measure how long a block of Python code takes, using the clock meant for measuring short durations rather "
 "than wall-clock time that can jump when the system time changes."),
("python", "call", "imperative", "howto/argparse.html", "Conflicting options",
 ["add_mutually_exclusive_group"],
 "Write the argparse setup for a command-line tool where --quiet and --verbose are both allowed but can't be given together "
 "on the same command line."),
("python", "call", "imperative", "library/sqlite3.html", "sqlite3.Cursor.executemany",
 ["executemany"],
 "Show me how to insert a list of 10,000 tuples into an SQLite table in a single call with placeholders, instead of looping "
 "over execute()."),
("python", "command", "imperative", "tutorial/venv.html", "12.2. Creating Virtual Environments",
 ["bin/activate"],
 "Give me the exact shell commands to create a virtual environment in a folder called .venv using the tool that comes with "
 "Python, and then activate it in bash on Linux."),

# ================================================================ tools: situational
("git", "flag", "situational", "git-stash.1.gz", "-u, --include-untracked, --no-include-untracked",
 ["--include-untracked", "-u", "--all"],
 "I'm halfway through a feature on feature/search, with several modified files and two brand-new files I haven't added yet. "
 "A production bug just came in and my lead wants a hotfix on main within the hour. Last time I ran plain git stash, the new "
 "files stayed behind in my working tree and ended up in the wrong commit. How do I stash everything, including the untracked "
 "files, so I get a clean tree?"),
("git", "command", "situational", "git-bisect.1.gz", "Bisect run",
 ["git bisect run", "bisect run"],
 "Our test suite started failing somewhere in the last ~300 commits on main; nobody noticed because CI was down during last "
 "week's office move. I know the v2.4.0 tag was fine and HEAD is broken, and I have a script ./check.sh that exits non-zero "
 "when the bug is present. Rather than marking commits good and bad by hand for an hour, can git drive the whole binary "
 "search with my script automatically? What's the command?"),
("git", "flag", "situational", "git-push.1.gz", "--[no-]force-with-lease",
 ["--force-with-lease"],
 "I rebased my PR branch onto the latest main to resolve conflicts, and now git push is rejected as non-fast-forward. My "
 "teammate Priya sometimes pushes small fixes to my branch too, and last month I wiped out one of her commits with "
 "git push --force and had to buy her lunch. Is there a safer way to force-push that refuses if the remote branch has "
 "commits I haven't seen?"),
("git", "concept", "situational", "/usr/share/man/man5/githooks.5.gz", "pre-commit",
 ["pre-commit"],
 "Our team keeps committing files with trailing whitespace and leftover debug prints, and code review wastes time on it. We "
 "don't have a CI server yet (that's next quarter's budget). I'd like git itself to run a check script locally and abort the "
 "commit when the check fails. Which hook runs before the commit is created, and what happens when it exits with a "
 "non-zero status?"),
("tar", "flag", "situational", "tar.1.gz", "--strip-components=NUMBER",
 ["--strip-components"],
 "Our vendor ships releases as product-4.2.1.tar.gz, and inside, everything sits under a top-level folder product-4.2.1/. "
 "The deploy script has to put the contents directly into /opt/product/current without that version folder, because the "
 "systemd unit points at fixed paths. Right now I extract and then mv things around, which broke twice this quarter. How do "
 "I tell tar to drop that leading directory while extracting?"),
("find", "flag", "situational", "find.1.gz", "-mtime n",
 ["-mtime"],
 "Our build server's disk filled up again over the weekend and the on-call engineer got paged at 3 am. The culprit is "
 "/var/cache/builds, which keeps nightly artifacts forever. Until we fix retention properly, I want a cron job that deletes "
 "files under that directory that haven't been modified for more than 14 days. What's the find command for that?"),
("grep", "flag", "situational", "grep.1.gz", "--include=GLOB",
 ["--include"],
 "I'm doing a code audit before our security review next week. The repo mixes Python, JavaScript and a huge vendored docs/ "
 "folder full of HTML. I need every place where verify=False appears, but only in .py files, searching the whole tree "
 "recursively with grep. How do I limit the recursive search to that file type?"),
("ssh", "flag", "situational", "ssh.1.gz", "-J destination",
 ["-J", "ProxyJump"],
 "Our production databases live in a private subnet and the only way in is through a bastion host, bastion.example.com. "
 "Right now I ssh to the bastion and then ssh again from there, which breaks my scp and editor remote setups. Security has "
 "said agent forwarding is not allowed. How do I reach db01.internal with a single ssh command that goes through the "
 "bastion?"),
("curl", "flag", "situational", "curl.1.gz", "-f, --fail",
 ["--fail", "-f", "--fail-with-body"],
 "We have a CI deploy step that downloads a config bundle with curl and then unpacks it. Yesterday the URL returned a 404 "
 "page, curl happily saved the HTML error page as bundle.tar.gz with exit code 0, and the next step died with a confusing "
 "gzip error. I want curl itself to exit with an error when the server answers with an HTTP error status. Which option does "
 "that?"),
("coreutils", "flag", "situational", "tail.1.gz", "-F",
 ["-F", "--follow=name"],
 "I'm chasing a flaky worker on a staging box and have been watching its log with tail -f /var/log/worker/worker.log. "
 "Problem is, logrotate runs hourly on that machine, and after each rotation my tail just sits there silently while the "
 "service keeps writing into the new file. I want tail to notice the rotation and keep following the file by its name. "
 "What should I run instead?"),
("awk", "flag", "situational", "mawk.1.gz", "-v var=value",
 ["-v"],
 "I'm writing a bash report script for the finance team that's due at the end of the month. It has a shell variable "
 "$threshold and I want awk to print the lines whose third column is above that value. Hard-coding the number inside the awk "
 "program works, but splicing $threshold into the single-quoted program is turning into a quoting mess. What's the clean way "
 "to hand a shell variable to awk?"),
# ================================================================ tools: goal_only
("git", "command", "goal_only", "git-reset.1.gz", "--soft",
 ["--soft", "git reset --soft"],
 "In my repository, undo my last two local commits but keep all of their changes staged, so I can recombine them into one "
 "new commit."),
("git", "flag", "goal_only", "git-log.1.gz", "-S<string>",
 ["-S", "-G"],
 "In my repository's history, find the commits that added or removed the function name parse_legacy_header in the code "
 "itself, not commits whose message happens to mention it."),
("git", "command", "goal_only", "git-worktree.1.gz", "add <path> [<commit-ish>]",
 ["git worktree add", "worktree add"],
 "I want a second branch of the same repository checked out in another folder at the same time, so I can run the old "
 "release's tests there while continuing on my own branch, without cloning the repository again."),
("tar", "flag", "goal_only", "tar.1.gz", "-t, --list",
 ["-t", "--list"],
 "Before unpacking a .tar.gz someone sent me, I want to see which files are inside it without extracting anything."),
("find", "flag", "goal_only", "find.1.gz", "-size n[cwbkMG]",
 ["-size"],
 "On a Linux server, list every file under /home that is bigger than 500 megabytes."),
("grep", "flag", "goal_only", "grep.1.gz", "-o, --only-matching",
 ["-o", "--only-matching"],
 "From a log file, print just the IP addresses that my regular expression matches, each one on its own line, instead of the "
 "whole lines that contain them."),
("sed", "flag", "goal_only", "sed.1.gz", "-n, --quiet, --silent",
 ["-n", "--quiet"],
 "Print only lines 120 through 160 of a 2 GB log file to the terminal, and nothing else."),
("awk", "concept", "goal_only", "mawk.1.gz", "4. Records and fields",
 ["$NF", "NF"],
 "For every line of a whitespace-separated text file, print only the last column, even though the lines have different "
 "numbers of columns."),
("curl", "flag", "goal_only", "curl.1.gz", "-C, --continue-at <offset>",
 ["-C -", "--continue-at"],
 "Resume a large file download over HTTPS from the command line that got interrupted at 70%, instead of starting again from "
 "zero."),
("coreutils", "flag", "goal_only", "sort.1.gz", "-h, --human-numeric-sort",
 ["-h", "--human-numeric-sort"],
 "Show the disk usage of each subdirectory with human-readable sizes (K, M, G) and order them from smallest to largest "
 "correctly, so that 2G comes after 900M."),
("coreutils", "flag", "goal_only", "comm.1.gz", "EXAMPLES",
 ["-12"],
 "Given two sorted text files of user IDs, print only the IDs that appear in both files."),
# ================================================================ tools: broken_attempt
("git", "command", "broken_attempt", "git-reflog.1.gz", "DESCRIPTION",
 ["git reflog", "reflog"],
 "I ran git reset --hard HEAD~3 on my branch to get rid of a bad merge, and then realised it also threw away two good commits "
 "that I hadn't pushed anywhere. git log doesn't show them any more. How do I find the hashes of those commits so I can get "
 "them back?"),
("git", "concept", "broken_attempt", "/usr/share/man/man7/gitglossary.7.gz", "detached HEAD",
 ["detached HEAD"],
 "I ran git checkout 4f2a9c1 to look at an old version, made a quick fix and committed it; git printed a long warning about "
 "not being on any branch. Then I did git checkout main and now my fix seems to be gone. What is that state called, and "
 "what should I have done to keep the commit?"),
("git", "command", "broken_attempt", "git-rm.1.gz", "--cached",
 ["git rm --cached", "--cached"],
 "I added .env to .gitignore and committed that, but git status still shows changes to .env and it keeps ending up in my "
 "commits. I tried re-adding .gitignore and reordering the patterns, no effect. How do I make git stop tracking the file "
 "while keeping it on my disk?"),
("git", "flag", "broken_attempt", "git-rebase.1.gz", "--onto <newbase>",
 ["--onto"],
 "My branch feature-b was created from feature-a, not from main. feature-a has since been squash-merged into main, and now "
 "git rebase main on feature-b gives me a pile of conflicts in commits that really belonged to feature-a. I only want to "
 "replay my own commits, the ones after feature-a, on top of main. How?"),
("tar", "flag", "broken_attempt", "tar.1.gz", "-C, --directory=DIR",
 ["-C", "--directory"],
 "I'm trying to unpack an archive into another folder with tar xzf backup.tgz /srv/restore and tar answers "
 "'tar: /srv/restore: Not found in archive' and 'Exiting with failure status due to previous errors'. How do I give tar the "
 "target directory?"),
("find", "flag", "broken_attempt", "find.1.gz", "-prune",
 ["-prune"],
 "I want to list all *.js files but skip everything under node_modules. I used find . -name '*.js' -not -path "
 "'*/node_modules/*' and the output is correct, but it still crawls through every node_modules directory and takes ages on "
 "our monorepo. How do I make find not descend into those directories at all?"),
("grep", "flag", "broken_attempt", "grep.1.gz", "-F, --fixed-strings",
 ["-F", "--fixed-strings"],
 "I'm searching logs for the literal text user[42].name with grep 'user[42].name' app.log, and it matches lines like "
 "user4Xname but not the exact string I'm looking for. How do I make grep treat the pattern as a plain string instead of a "
 "regular expression?"),
("sed", "flag", "broken_attempt", "sed.1.gz", "-E, -r, --regexp-extended",
 ["-E", "-r", "--regexp-extended"],
 "I'm trying to swap two words with sed 's/(\\w+) (\\w+)/\\2 \\1/' names.txt and sed stops with "
 "\"sed: -e expression #1, char 20: invalid reference \\2 on `s' command's RHS\". The same pattern works in Python. How do I "
 "get sed to accept these groups?"),
("ssh", "flag", "broken_attempt", "scp.1.gz", "-P port",
 ["-P"],
 "Our server runs sshd on port 2222. ssh -p 2222 deploy@host works fine, but scp -p 2222 build.zip deploy@host:/tmp/ "
 "complains that 2222 doesn't exist as a file and then tries port 22. What's the right way to give scp the port?"),
("curl", "flag", "broken_attempt", "curl.1.gz", "-L, --location",
 ["-L", "--location"],
 "curl https://github.com/cli/cli/releases/latest/download/gh_linux_amd64.tar.gz -o gh.tgz gives me a tiny file, and tar "
 "says it's not in gzip format. Looking inside, it's either empty or a short HTML note that the resource has moved. How do "
 "I make curl actually download the final file?"),
("coreutils", "concept", "broken_attempt", "uniq.1.gz", "DESCRIPTION",
 ["adjacent", "sort"],
 "I want to count how many requests each IP made, so I ran awk '{print $1}' access.log | uniq -c. But the output lists the "
 "same IP many times with small counts like 1, 2, 1 instead of one total per IP. What am I missing?"),
# ================================================================ tools: non_native
("git", "flag", "non_native", "git-commit.1.gz", "--amend",
 ["--amend"],
 "I did a commit just now but I forgot to add one file, and also there is typo in the message. How I can put the file inside "
 "the same commit and fix the message, without making new commit? It is not pushed yet."),
("git", "command", "non_native", "git-restore.1.gz", "-W, --worktree, -S, --staged",
 ["git restore --staged", "--staged"],
 "I made git add . by mistake and now also the big log files are in the staging area. How I take them out from staging "
 "again, but without to lose the changes in the files?"),
("git", "flag", "non_native", "git-fetch.1.gz", "-p, --prune",
 ["--prune", "git remote prune"],
 "In my local repo when I do git branch -r I still see many remote branches which colleagues deleted on the server already "
 "months ago. How I can clean them, so the list is showing only what really exists on the remote?"),
("git", "concept", "non_native", "/usr/share/man/man7/gitrevisions.7.gz", "Dotted Range Notations",
 ["symmetric difference"],
 "In git log what is the difference between two dots and three dots, like main..feature and main...feature? My colleague "
 "explained me but I still don't get it, when I should use which one?"),
("tar", "flag", "non_native", "tar.1.gz", "--exclude=PATTERN",
 ["--exclude"],
 "I want to make a tar.gz archive of my project folder but without the node_modules folder inside, because it is huge. How "
 "to say to tar that it don't take it?"),
("find", "flag", "non_native", "xargs.1.gz", "-P max-procs, --max-procs=max-procs",
 ["-P", "--max-procs"],
 "I have list of 500 URLs in a file and I use xargs for call my script for each one. But it goes one by one and is very "
 "slow. Can xargs start several in the same time, like 8 parallel?"),
("grep", "flag", "non_native", "grep.1.gz", "-L, --files-without-match",
 ["-L", "--files-without-match"],
 "I need to find all source files in the project which are NOT containing the license line 'Copyright ACME'. With grep -l "
 "I get exactly the opposite. Which option gives me the files without the match?"),
("sed", "command", "non_native", "sed.1.gz", "0,addr2",
 ["0,"],
 "With sed I want to replace only the first time the word 'version' appears in the whole file, not the first one in every "
 "line. When I use s/version/ver/ it changes in many lines. How to make it only one time for all the file?"),
("awk", "concept", "non_native", "mawk.1.gz", "12. Multi-line records",
 ["RS"],
 "My file has records separated by an empty line, each record is some lines (name, address, phone). With awk I want to "
 "treat each such block as one record. What I must set for this?"),
("ssh", "command", "non_native", "ssh-keygen.1.gz", "-R hostname | [hostname]:port",
 ["ssh-keygen -R", "-R"],
 "Our server was reinstalled and now when I connect with ssh I get the big warning 'REMOTE HOST IDENTIFICATION HAS CHANGED' "
 "and it refuses to connect. I know the change is legit. What is the proper command to remove the old key of this host "
 "from my known_hosts, without editing the file by hand?"),
("coreutils", "flag", "non_native", "date.1.gz", "-d, --date=STRING",
 ["-d", "--date"],
 "I have unix timestamp like 1764763200 in a log and want to see it as normal human date in terminal. Which command is "
 "doing this conversion?"),
# ================================================================ tools: imperative
("git", "flag", "imperative", "git-rebase.1.gz", "--autosquash, --no-autosquash",
 ["--autosquash"],
 "Give me the git workflow for making a small fix commit that gets squashed automatically into an older commit (not the "
 "last one) on my branch during an interactive rebase."),
("curl", "flag", "imperative", "curl.1.gz", "-w, --write-out <format>",
 ["%{http_code}", "--write-out", "http_code"],
 "Give me a curl one-liner that prints only the HTTP status code of a URL and nothing else."),
("curl", "flag", "imperative", "curl.1.gz", "--json <data>",
 ["--json", "Content-Type: application/json"],
 "Show me the curl command to POST the JSON body {\"name\":\"x\"} to an API endpoint with the correct content-type header."),
("sed", "flag", "imperative", "sed.1.gz", "-i[SUFFIX], --in-place[=SUFFIX]",
 ["-i", "--in-place"],
 "Give me the sed command that replaces http:// with https:// inside a config file in place, keeping a backup copy with a "
 ".bak extension."),
("awk", "command", "imperative", "mawk.1.gz", "1. Program structure",
 ["END"],
 "Give me the awk one-liner that sums the values in the second column of a file and prints the total at the end."),
("grep", "flag", "imperative", "grep.1.gz", "-C NUM, -NUM, --context=NUM",
 ["-C", "--context", "-A"],
 "Show me how to grep a log for 'Traceback' and also print the 5 lines before and after each match."),
("find", "flag", "imperative", "xargs.1.gz", "-0, --null",
 ["-print0", "-0", "--null"],
 "Write the one-liner that finds all *.log files under the current directory and deletes them through xargs, safely "
 "handling file names that contain spaces or newlines."),
("ssh", "flag", "imperative", "ssh.1.gz", "-L [bind_address:]port:host:hostport",
 ["-L"],
 "Give me the ssh command that forwards my local port 5433 to the PostgreSQL port 5432 on the remote server db.example.com, "
 "so I can point psql at localhost:5433."),
("ssh", "command", "imperative", "ssh-copy-id.1.gz", "DESCRIPTION",
 ["ssh-copy-id", "authorized_keys"],
 "Give me the command that installs my public key on a new server so I can log in there without typing a password from now "
 "on."),
("coreutils", "flag", "imperative", "timeout.1.gz", "-k, --kill-after=DURATION",
 ["--kill-after", "-k"],
 "Show me how to run a test script with a hard limit of 10 minutes, sending it TERM when the limit is reached and KILL 30 "
 "seconds later if it's still alive."),
("coreutils", "flag", "imperative", "tr.1.gz", "-d, --delete",
 ["-d", "--delete"],
 "Give me the shell command that strips Windows carriage returns (\\r) from a text file."),
]
