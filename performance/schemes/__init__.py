"""schemes of the performance app."""
