"""Identity: which contacts, in one CRM or across both, are the same person.

The dbt project calls this package from its Python models (sql/models/intermediate/identity/):
`phones` puts phone numbers in E.164, `model` scores pairs of contacts with a Fellegi-Sunter
model (Splink on an in-memory DuckDB), and `clusters` turns the links into people with stable
keys. Each works on Arrow tables, so none of it depends on dbt or on the destination.
"""
