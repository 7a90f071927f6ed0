"""`python -m services.embeddings.corpus`: ingest the documentation corpus (see build.py)."""

import sys

from services.embeddings.corpus.build import main

sys.exit(main())
