"""``python -m apex_tui``."""

from apex_tui.cli import main

raise SystemExit(main())
