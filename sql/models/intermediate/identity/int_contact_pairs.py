"""Every pair of contacts that the identity model links, with the evidence behind it.

A Python model: it runs Splink (pipelines/identity/model.py) on the evidence that
int_contacts_linkage_evidence normalized, in an in-memory DuckDB of its own.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.identity.model import LinkingConfig, score_pairs

    evidence = (
        dbt.ref("int_contacts_linkage_evidence")
        .select("* exclude (source_system, created_at)")
        .to_arrow_table()
    )
    return score_pairs(evidence, LinkingConfig.from_dbt_config(dbt.config.get))
