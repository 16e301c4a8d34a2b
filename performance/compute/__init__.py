"""compute of the performance app."""
