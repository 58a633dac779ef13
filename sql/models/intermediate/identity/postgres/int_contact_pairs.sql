-- On PostgreSQL: the table that pipelines/warehouse/postgres.py wrote before this phase of
-- the build; on DuckDB the Python model of this name in the folder above computes it.
select * from {{ source('identity_steps', 'identity_contact_pairs') }}
