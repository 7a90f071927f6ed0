"""`python -m services.abi.training` (`make train`): Abi's fine-tunes and their weight soup (needs PyTorch).

One fine-tune alone: `python -m services.abi.training.finetune --out DIR [--extra FILE[:WEIGHT]]`.
"""

from services.abi.training.recipe import main

raise SystemExit(main())
