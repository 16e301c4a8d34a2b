"""Models of the leads app: filled by its own issue (see docs/architecture.md)."""
