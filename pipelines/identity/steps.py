"""The identity steps, written once for every warehouse: phones in E.164, scored pairs, people."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.identity.clusters import cluster_people_in_database
from pipelines.identity.model import LinkingConfig, score_pairs_in_database
from pipelines.identity.phones import to_e164_array
from pipelines.paths import DBT_PROJECT_DIR

# Evidence columns that describe a contact but are no evidence of who it is.
_NOT_EVIDENCE = ("source_system", "created_at")
# Phones parsed at a time: what Python holds of them.
_PHONES_PER_BATCH = 20_000
SCRATCH_SCHEMA = "identity_scratch"
"""Where a dbt Python model's step writes its table, which the model's post-hook drops once
dbt has made the model of it (sql/models/intermediate/identity/_identity__models.yml)."""
_ROWS_PER_BATCH = 50_000


def run_in_dbt_duckdb(session: Any, name: str, step: Callable[[Any, str], None]) -> Any:
    """What a dbt Python model on DuckDB returns for a step: the step's table, read back a
    batch at a time, so that no step's rows are all in Python at once.

    The step runs on a DuckDB connection of its own to the model's database (Splink takes
    only DuckDB's own connections, not dbt-duckdb's wrapper of one), and writes
    `identity_scratch.<name>`.
    """
    connection = session.cursor()
    connection.execute(f"create schema if not exists {SCRATCH_SCHEMA}")
    output = f"{SCRATCH_SCHEMA}.{name}"
    step(connection, output)
    return connection.sql(f"select * from {output}").to_arrow_reader(_ROWS_PER_BATCH)


@dataclass(frozen=True)
class IdentitySettings:
    """The identity steps' settings: the dbt vars `identity_*` of sql/dbt_project.yml.

    Attributes:
        phone_default_region: Region of phone numbers written without a country code.
        linking: The identity model's settings, its review threshold included.
        link_match_probability: A pair at or above this match probability is a link.
        max_person_contacts: The most contacts one person may have.
    """

    phone_default_region: str
    linking: LinkingConfig
    link_match_probability: float
    max_person_contacts: int

    @classmethod
    def from_dbt_vars(cls, dbt_vars: Mapping[str, Any]) -> IdentitySettings:
        """The settings from the dbt vars of their names, as dbt renders them into the Python
        models' config (`identity_vars`) or as sql/dbt_project.yml declares them.

        Raises:
            KeyError: a var is missing, as dbt would refuse it.
        """
        return cls(
            phone_default_region=str(dbt_vars["identity_phone_default_region"]),
            linking=LinkingConfig(
                review_match_probability=float(dbt_vars["identity_review_match_probability"]),
                u_sample_pairs=int(dbt_vars["identity_u_sample_pairs"]),
                seed=int(dbt_vars["identity_seed"]),
            ),
            link_match_probability=float(dbt_vars["identity_link_match_probability"]),
            max_person_contacts=int(dbt_vars["identity_max_person_contacts"]),
        )

    @classmethod
    def from_dbt_project(cls, project_dir: Path = DBT_PROJECT_DIR) -> IdentitySettings:
        """The settings from the vars of the project's dbt_project.yml, as dbt resolves them
        for a build given no `--vars`, which the pipeline never gives."""
        import yaml

        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
        return cls.from_dbt_vars(project["vars"])


def contact_phones(connection: Any, contacts: str, output: str, settings: IdentitySettings) -> None:
    """int_contact_phones: each contact's phone in E.164, or null when it is not a number.

    The phones are read and written a batch at a time: `phonenumbers` is Python, and a batch
    is all that Python holds.

    Args:
        connection: a DuckDB connection.
        contacts: a query of `contact_key` and `phone`, one row per contact.
        output: the table to write: `contact_key` and `phone_e164`, one row per
            contact with a phone.
    """
    connection.execute(
        f"create or replace table {output} (contact_key varchar, phone_e164 varchar)"
    )
    # A cursor of its own, reading while the connection writes.
    reader = (
        connection.cursor()
        .sql(f"select contact_key, phone from ({contacts}) where phone is not null")
        .to_arrow_reader(_PHONES_PER_BATCH)
    )
    for batch in reader:
        phones = pa.table(
            {
                "contact_key": batch.column("contact_key"),
                "phone_e164": to_e164_array(batch.column("phone"), settings.phone_default_region),
            }
        )
        connection.register("__phones_batch", phones)
        connection.execute(f"insert into {output} select * from __phones_batch")
        connection.unregister("__phones_batch")


def contact_pairs(connection: Any, evidence: str, output: str, settings: IdentitySettings) -> None:
    """int_contact_pairs: every pair that the identity model scores at or above the review
    threshold, with the evidence behind its score (pipelines/identity/model.py).

    Args:
        connection: a DuckDB connection, where the model runs.
        evidence: a query of int_contacts_linkage_evidence.
        output: the table to write.
    """
    not_evidence = ", ".join(_NOT_EVIDENCE)
    score_pairs_in_database(
        connection,
        f"select * exclude ({not_evidence}) from ({evidence})",
        output,
        settings.linking,
    )


def person_clusters(
    connection: Any,
    evidence: str,
    pairs: str,
    previous: str | None,
    output: str,
    settings: IdentitySettings,
) -> None:
    """int_person_clusters: each contact's person, from the pairs that are links, keyed as
    the night before (pipelines/identity/clusters.py).

    Args:
        connection: a DuckDB connection, where the people are made.
        evidence: a query of int_contacts_linkage_evidence (`contact_key` and `created_at`).
        pairs: a query of int_contact_pairs.
        previous: a query of `contact_key` and `person_key` from the night before, or None on
            the first.
        output: the table to write.
    """
    cluster_people_in_database(
        connection,
        f"select contact_key, created_at from ({evidence})",
        "select contact_key_l, contact_key_r, match_weight "
        f"from ({pairs}) where match_probability >= {float(settings.link_match_probability)!r}",
        previous,
        output,
        settings.max_person_contacts,
    )
