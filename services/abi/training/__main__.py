"""`python -m services.abi.training` (`make train`): fine-tune and export Abi's model (needs PyTorch)."""

from services.abi.training.finetune import main

raise SystemExit(main())
