"""`make chaos`: faults injected into a real mesh under a bounded load, each scenario checked and timed.

Opt-in (minutes long, kills and stops processes); not part of `make test`. docs/resilience.md.
"""
