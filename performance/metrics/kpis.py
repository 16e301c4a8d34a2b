"""The metrics of ../shared/KPIS.md (to be written: one class per key)."""
