"""Every pair of contacts that the identity model links, with the evidence behind it.

A Python model: it runs Splink (pipelines/identity/model.py) on the evidence that
int_contacts_linkage_evidence normalized, in an in-memory DuckDB of its own. The step itself
is pipelines/identity/steps.py, which PostgreSQL runs beside dbt.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.identity.steps import IdentitySettings, contact_pairs

    evidence = dbt.ref("int_contacts_linkage_evidence").to_arrow_table()
    settings = IdentitySettings.from_dbt_vars(dbt.config.get("identity_vars"))
    return contact_pairs(evidence, settings)
