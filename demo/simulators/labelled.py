"""Both simulators serving one labelled population, with the truth of who is who."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from demo.simulators.clock import Clock
from demo.simulators.data.identities import (
    LEVCAPITAL,
    SPRINTMODE,
    FebrlPart,
    febrl_population,
    generate_population,
)
from demo.simulators.levcapital import LevCapitalSimulator
from demo.simulators.server import Simulator
from demo.simulators.sprintmode import SprintModeSimulator


def labelled_simulators(
    seed: int,
    n_people: int | None = None,
    *,
    clock: Clock | None = None,
    febrl: bool = False,
    febrl_part: FebrlPart = "tuning",
    levcapital_options: Mapping[str, Any] | None = None,
    sprintmode_options: Mapping[str, Any] | None = None,
) -> tuple[LevCapitalSimulator, SprintModeSimulator]:
    """Returns both simulators, not started, serving a labelled population on one clock.

    Each serves its own contacts' person ids at GET /_sim/people.

    Args:
        seed: Seed of the population (see `generate_population` and `febrl_population`), and
            of the ids SprintMode's POST hands out.
        n_people: How many people; required unless `febrl`, where it defaults to every
            vendored FEBRL record.
        clock: The clock both share; a new one by default.
        febrl: Name the people after the FEBRL benchmark instead of generating names.
        febrl_part: Which FEBRL records: "tuning" or "held_out" (see FEBRL_PARTS).
        levcapital_options: More keyword arguments of `LevCapitalSimulator.from_contacts`,
            such as api_key, port or list_shape.
        sprintmode_options: More keyword arguments of `SprintModeSimulator.from_contacts`,
            such as api_key, port or timestamp_format.

    Raises:
        ValueError: If `n_people` is missing without `febrl`, or out of range.
    """
    if febrl:
        population = febrl_population(seed, n_people, part=febrl_part)
    elif n_people is None:
        raise ValueError("n_people is required unless febrl=True")
    else:
        population = generate_population(seed, n_people)
    clock = clock or Clock()
    levcapital = LevCapitalSimulator.from_contacts(
        population.levcapital,
        clock=clock,
        person_ids=population.contact_person_ids(LEVCAPITAL),
        **(levcapital_options or {}),
    )
    # The population's seed also seeds the ids SprintMode's POST hands out, unless told otherwise.
    sprintmode_options = {"seed": seed, **(sprintmode_options or {})}
    sprintmode = SprintModeSimulator.from_contacts(
        population.sprintmode,
        clock=clock,
        person_ids=population.contact_person_ids(SPRINTMODE),
        **sprintmode_options,
    )
    return levcapital, sprintmode


def labelled_truth(*simulators: Simulator) -> dict[str, str]:
    """Returns who is who across simulators: contact_key ('levcapital:78',
    'sprintmode:ct_1a2b3c4d') -> hidden person id, as GET /_sim/people serves it per
    simulator; contacts without a person are left out."""
    return {
        f"{simulator.name}:{contact_id}": person
        for simulator in simulators
        for contact_id, person in (simulator.person_ids() or {}).items()
    }
