"""Models of the performance app: filled by its own issue (see docs/architecture.md)."""
