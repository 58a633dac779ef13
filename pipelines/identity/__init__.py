"""Identity: which contacts, in one CRM or across both, are the same person.

`steps` is the one entry point, for every destination: the dbt Python models
(sql/models/intermediate/identity/) call it on DuckDB, and `postgres` between the phases of a
PostgreSQL build. Under it, `phones` puts phone numbers in E.164, `model` scores pairs of
contacts with a Fellegi-Sunter model (Splink on an in-memory DuckDB), and `clusters` turns the
links into people with stable keys. Each works on Arrow tables, so none of it depends on dbt or
on the destination.
"""
