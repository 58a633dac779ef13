"""Each contact's phone number in E.164, for linking and for analysts.

A Python model: the `phonenumbers` package knows every country's numbering plan, which no
regular expression does. The step itself is pipelines/identity/steps.py, which PostgreSQL runs
beside dbt; it reads and writes in this DuckDB, a batch of phones at a time.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    # Imported here, as dbt runs this file as a module of its own.
    from pipelines.identity.steps import IdentitySettings, contact_phones, run_in_dbt_duckdb

    contacts = dbt.ref("int_contacts_marked_deleted").select("contact_key, phone").sql_query()
    settings = IdentitySettings.from_dbt_vars(dbt.config.get("identity_vars"))
    return run_in_dbt_duckdb(
        session,
        "contact_phones",
        lambda connection, output: contact_phones(connection, contacts, output, settings),
    )
