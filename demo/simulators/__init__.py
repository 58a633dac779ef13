"""Local HTTP simulators of the LevCapital and SprintMode contacts APIs, for demos and tests."""

from demo.simulators.clock import Clock
from demo.simulators.data.identities import (
    LabelledPopulation,
    febrl_population,
    generate_population,
)
from demo.simulators.faults import Fault
from demo.simulators.labelled import labelled_simulators, labelled_truth
from demo.simulators.levcapital import LevCapitalSimulator, LevCapitalStore
from demo.simulators.server import RecordedRequest, Simulator
from demo.simulators.shapes import LIST_SHAPES, OMIT
from demo.simulators.sprintmode import SprintModeSimulator, SprintModeStore

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
