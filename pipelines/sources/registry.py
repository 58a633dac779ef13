"""The dlt source of each name in `settings.SOURCE_NAMES`, imported when a run needs it."""

import importlib
from collections.abc import Callable
from typing import Any

from dlt.extract.source import DltSource


def source_factory(source_name: str) -> Callable[..., DltSource]:
    """The `@dlt.source` function of `pipelines.sources.<name>`, named `<name>_source`.

    Looked up by name rather than imported here, so that the list of sources lives in one
    dlt-free place (`settings.SOURCE_NAMES`) that `status` can read without importing dlt.
    """
    module = importlib.import_module(f"pipelines.sources.{source_name}")
    return getattr(module, f"{source_name}_source")


def probe_function(source_name: str) -> Callable[[], Any]:
    """The `<name>_probe` of `pipelines.sources.<name>`: one request for one contact, with
    the source's own configuration, for `contacts-elt check`."""
    module = importlib.import_module(f"pipelines.sources.{source_name}")
    return getattr(module, f"{source_name}_probe")
