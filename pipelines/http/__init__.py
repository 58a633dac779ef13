"""HTTP plumbing for the sources: the retrying session, the APIs' error envelopes, page fan-out."""
