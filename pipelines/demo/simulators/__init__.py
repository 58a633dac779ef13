"""Local HTTP simulators of the LevCapital and SprintMode contacts APIs, for demos and tests."""

from pipelines.demo.simulators.clock import Clock
from pipelines.demo.simulators.data.identities import (
    LabelledPopulation,
    febrl_population,
    generate_population,
)
from pipelines.demo.simulators.faults import Fault
from pipelines.demo.simulators.labelled import labelled_simulators, labelled_truth
from pipelines.demo.simulators.levcapital import LevCapitalSimulator, LevCapitalStore
from pipelines.demo.simulators.server import RecordedRequest, Simulator
from pipelines.demo.simulators.shapes import LIST_SHAPES, OMIT
from pipelines.demo.simulators.sprintmode import SprintModeSimulator, SprintModeStore

__all__ = [
    "LIST_SHAPES",
    "OMIT",
    "Clock",
    "Fault",
    "LabelledPopulation",
    "LevCapitalSimulator",
    "LevCapitalStore",
    "RecordedRequest",
    "Simulator",
    "SprintModeSimulator",
    "SprintModeStore",
    "febrl_population",
    "generate_population",
    "labelled_simulators",
    "labelled_truth",
]
