"""``python -m proxy``: the ``maskproxy`` command."""

from proxy.cli import main

raise SystemExit(main())
