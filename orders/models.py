"""Models of the orders app: filled by its own issue (see docs/architecture.md)."""
