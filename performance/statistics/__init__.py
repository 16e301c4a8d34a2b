"""statistics of the performance app."""
