"""dashboards of the performance app."""
