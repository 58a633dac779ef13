"""Local HTTP simulators of the LevCapital and SprintMode contacts APIs, for demos and tests."""

from pipelines.simulators.clock import Clock
from pipelines.simulators.faults import Fault
from pipelines.simulators.levcapital import LevCapitalSimulator, LevCapitalStore
from pipelines.simulators.server import RecordedRequest, Simulator
from pipelines.simulators.shapes import LIST_SHAPES, OMIT
from pipelines.simulators.sprintmode import SprintModeSimulator, SprintModeStore

__all__ = [
    "LIST_SHAPES",
    "OMIT",
    "Clock",
    "Fault",
    "LevCapitalSimulator",
    "LevCapitalStore",
    "RecordedRequest",
    "Simulator",
    "SprintModeSimulator",
    "SprintModeStore",
]
