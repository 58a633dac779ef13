{{ stage_contact_deletions('sprintmode') }}
