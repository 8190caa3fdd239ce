"""Planning: what each station plays, as items (the types publication and the agent read)."""
