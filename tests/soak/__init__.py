"""`make soak`: a long run at a fixed rate against a real mesh, watching every service's memory and open files.

Memory growth under steady load is what users of other routers complain about most; a unit test cannot
see it, a few minutes of real traffic can. `python -m tests.soak` (SOAK_SECONDS, SOAK_RATE) runs it.
"""
