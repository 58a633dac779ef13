"""The dlt sources, one package per CRM, and the contacts engine they share."""
