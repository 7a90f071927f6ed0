"""Aviva's fact checker reads claims, not the answer's citations."""

from __future__ import annotations

from services.aviva.facts import check_claims, claims_of

ANSWER = """`reversed(seq)`

Return a reverse iterator. The argument must be an object which has a __reversed__() method.

Source: Python 3.11 docs: Built-in Functions > `reversed(seq)` <https://docs.python.org/3.11/library/functions.html#reversed>

See also:
- `list.reverse()`: Python 3.11 docs: Built-in Types > Mutable Sequence Types <https://docs.python.org/3.11/library/stdtypes.html#index-22>
- `tar -t` (`-t, --list`): man tar(1): tar - an archiving utility > OPTIONS <man:tar(1)#-t>"""


def test_see_also_lines_are_citations_not_claims() -> None:
    claims = claims_of(ANSWER)
    assert claims == ["Return a reverse iterator.", "The argument must be an object which has a __reversed__() method."]
    source = "Return a reverse iterator. The argument must be an object which has a __reversed__() method."
    report = check_claims(ANSWER, [source], threshold=0.6)
    assert report.ratio == 1.0 and report.verified == 2


def test_a_claim_no_source_supports_is_unverified() -> None:
    report = check_claims(
        "The argument is copied into a new tuple before reversing.", ["Return a reverse iterator."], 0.6
    )
    assert report.verified == 0 and report.checks[0].support < 0.6
