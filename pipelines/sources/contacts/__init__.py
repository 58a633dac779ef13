"""The contacts engine both sources share: contract, listing, change detection, rejects, deletes."""
