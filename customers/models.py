"""Models of the customers app: filled by its own issue (see docs/architecture.md)."""
