"""Models of the service app: tickets, service flows, care rules and care messages."""
