"""`python -m bot`: the ScamWise command line."""

from bot.cli import main

raise SystemExit(main())
