"""The domain's words and pure types, shared by every stage (standard library only)."""
