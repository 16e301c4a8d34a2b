"""review of the performance app."""
