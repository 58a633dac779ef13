"""Each contact's person: the links clustered, with a size guard and keys that stay put.

A Python model, so that it can read its own table from the night before: a person keeps
its key (pipelines/identity/clusters.py says how merges and splits resolve). The step itself
is pipelines/identity/steps.py, which PostgreSQL runs beside dbt.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.identity.steps import IdentitySettings, person_clusters

    evidence = (
        dbt.ref("int_contacts_linkage_evidence").select("contact_key, created_at").to_arrow_table()
    )
    pairs = (
        dbt.ref("int_contact_pairs")
        .select("contact_key_l, contact_key_r, match_weight, match_probability")
        .to_arrow_table()
    )
    settings = IdentitySettings.from_dbt_vars(dbt.config.get("identity_vars"))
    return person_clusters(evidence, pairs, _previous_keys(session, dbt.this), settings)


def _previous_keys(session, this):
    exists = session.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [this.schema, this.identifier],
    ).fetchall()[0][0]
    if not exists:
        return {}
    return dict(session.execute(f"select contact_key, person_key from {this}").fetchall())
