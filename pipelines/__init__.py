"""contacts-elt: nightly ELT of CRM contacts into DuckDB or PostgreSQL."""
