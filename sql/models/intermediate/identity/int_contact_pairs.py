"""Every pair of contacts that the identity model links, with the evidence behind it.

A Python model: it runs Splink (pipelines/identity/model.py) in this DuckDB, on the evidence
that int_contacts_linkage_evidence normalized, within the connection's memory limit. The step
itself is pipelines/identity/steps.py, which PostgreSQL runs beside dbt.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.identity.steps import IdentitySettings, contact_pairs, run_in_dbt_duckdb

    evidence = dbt.ref("int_contacts_linkage_evidence").sql_query()
    settings = IdentitySettings.from_dbt_vars(dbt.config.get("identity_vars"))
    return run_in_dbt_duckdb(
        session,
        "contact_pairs",
        lambda connection, output: contact_pairs(connection, evidence, output, settings),
    )
