"""Each contact's phone number in E.164, for linking and for analysts.

A Python model: the `phonenumbers` package knows every country's numbering plan, which no
regular expression does.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    # Imported here, as dbt runs this file as a module of its own.
    from pipelines.identity.phones import to_e164_array

    contacts = (
        dbt.ref("int_contacts_marked_deleted")
        .filter("phone is not null")
        .select("contact_key, phone")
        .to_arrow_table()
    )
    region = dbt.config.get("phone_default_region")
    return contacts.append_column(
        "phone_e164", to_e164_array(contacts.column("phone"), region)
    ).drop_columns(["phone"])
