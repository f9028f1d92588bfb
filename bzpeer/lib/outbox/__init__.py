"""A transactional outbox: tasks that requests enqueue wait in PostgreSQL, not in the broker.

See services.py. An app of its own (label "outbox") because it owns a table; every other app
may use it, it uses none of them.
"""
