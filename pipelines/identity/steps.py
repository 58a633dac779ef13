"""The identity steps, written once for every warehouse: phones in E.164, scored pairs, people."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.identity.clusters import cluster_people
from pipelines.identity.model import LinkingConfig, score_pairs
from pipelines.identity.phones import to_e164_array
from pipelines.paths import DBT_PROJECT_DIR

# Evidence columns that describe a contact but are no evidence of who it is.
_NOT_EVIDENCE = ("source_system", "created_at")


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


def contact_phones(contacts: pa.Table, settings: IdentitySettings) -> pa.Table:
    """int_contact_phones: each contact's phone in E.164, or null when it is not a number.

    Args:
        contacts: `contact_key` and `phone` of every contact.

    Returns:
        `contact_key` and `phone_e164`, one row per contact with a phone.
    """
    with_phone = contacts.filter(pc.is_valid(contacts.column("phone")))
    return pa.table(
        {
            "contact_key": with_phone.column("contact_key"),
            "phone_e164": to_e164_array(with_phone.column("phone"), settings.phone_default_region),
        }
    )


def contact_pairs(evidence: pa.Table, settings: IdentitySettings) -> pa.Table:
    """int_contact_pairs: every pair that the identity model scores at or above the review
    threshold, with the evidence behind its score (pipelines/identity/model.py).

    Args:
        evidence: int_contacts_linkage_evidence.
    """
    not_evidence = [name for name in _NOT_EVIDENCE if name in evidence.column_names]
    return score_pairs(evidence.drop_columns(not_evidence), settings.linking)


def person_clusters(
    evidence: pa.Table,
    pairs: pa.Table,
    previous_keys: Mapping[str, str],
    settings: IdentitySettings,
) -> pa.Table:
    """int_person_clusters: each contact's person, from the pairs that are links, keyed as
    the night before (pipelines/identity/clusters.py).

    Args:
        evidence: `contact_key` and `created_at` of every contact (int_contacts_linkage_evidence).
        pairs: int_contact_pairs.
        previous_keys: contact_key -> person_key from the night before (empty on the first).
    """
    links = pairs.filter(
        pc.greater_equal(pairs.column("match_probability"), settings.link_match_probability)
    )
    return cluster_people(
        evidence.select(["contact_key", "created_at"]),
        links.select(["contact_key_l", "contact_key_r", "match_weight"]),
        previous_keys=previous_keys,
        max_person_contacts=settings.max_person_contacts,
    )
