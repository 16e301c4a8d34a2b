"""Models of the opportunities app: filled by its own issue (see docs/architecture.md)."""
