"""The one place that builds the exchange pipeline from the configuration.

``maskproxy run`` calls :func:`build_pipeline` at start and again on every SIGHUP reload, so it
must be safe to call repeatedly: each call returns a new, independent pipeline, and exchanges
already running keep the pipeline they were opened with.
"""

from __future__ import annotations

from masking.keyfile import KeyFileError
from proxy.config import ProxyConfig
from proxy.masking_pipeline import build_masking_pipeline
from proxy.pipeline import Pipeline


class PipelineError(Exception):
    """The masking rules or key cannot be used; the message says which and why."""


def build_pipeline(config: ProxyConfig) -> Pipeline:
    """The masking pipeline for ``config``: its rule set and the key in its state dir."""
    try:
        return build_masking_pipeline(config.masking, config.state_dir)
    except KeyFileError as exc:
        raise PipelineError(str(exc)) from None
    except ValueError as exc:
        raise PipelineError(f"[masking] config: {exc}") from None
