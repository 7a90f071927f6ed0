from services.aviva.training.fit import main

raise SystemExit(main())
