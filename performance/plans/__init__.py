"""plans of the performance app."""
