"""Each contact's person: the links clustered, with a size guard and keys that stay put.

A Python model, so that it can read its own table from the night before: a person keeps
its key (pipelines/identity/clusters.py says how merges and splits resolve). The step itself
is pipelines/identity/steps.py, which PostgreSQL runs beside dbt; the people are made in this
DuckDB, in SQL.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.identity.steps import IdentitySettings, person_clusters, run_in_dbt_duckdb

    evidence = dbt.ref("int_contacts_linkage_evidence").sql_query()
    pairs = dbt.ref("int_contact_pairs").sql_query()
    settings = IdentitySettings.from_dbt_vars(dbt.config.get("identity_vars"))
    previous = None
    if _exists(session, dbt.this):
        previous = f"select contact_key, person_key from {dbt.this}"
    return run_in_dbt_duckdb(
        session,
        "person_clusters",
        lambda connection, output: person_clusters(
            connection, evidence, pairs, previous, output, settings
        ),
    )


def _exists(session, this):
    [(count,)] = session.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [this.schema, this.identifier],
    ).fetchall()
    return count > 0
