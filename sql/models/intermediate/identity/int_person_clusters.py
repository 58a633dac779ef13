"""Each contact's person: the links clustered, with a size guard and keys that stay put.

A Python model, so that it can read its own table from the night before: a person keeps
its key (pipelines/identity/clusters.py says how merges and splits resolve).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.identity.clusters import cluster_people

    contacts = (
        dbt.ref("int_contacts_linkage_evidence").select("contact_key, created_at").to_arrow_table()
    )
    threshold = float(dbt.config.get("link_match_probability"))
    links = (
        dbt.ref("int_contact_pairs")
        .filter(f"match_probability >= {threshold}")
        .select("contact_key_l, contact_key_r, match_weight")
        .to_arrow_table()
    )
    return cluster_people(
        contacts,
        links,
        previous_keys=_previous_keys(session, dbt.this),
        max_person_contacts=int(dbt.config.get("max_person_contacts")),
    )


def _previous_keys(session, this):
    exists = session.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [this.schema, this.identifier],
    ).fetchall()[0][0]
    if not exists:
        return {}
    return dict(session.execute(f"select contact_key, person_key from {this}").fetchall())
