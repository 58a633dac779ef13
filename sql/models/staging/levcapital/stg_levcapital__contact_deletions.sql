{{ stage_contact_deletions('levcapital') }}
