"""Capricorn's service layer: the unit of work, the message bus and its handlers (the job
pipeline), the outbox relay, monitoring."""
