"""`maskproxy mask`, `unmask` and `scan`: the masking engine on stdin and stdout."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the masking subcommands to the top-level parser's subcommands."""
