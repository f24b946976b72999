"""Use cases: load rows, ask the domain, change rows, append the audit event.

Services take the SQLAlchemy session and flush; they never commit. The request (API or HTML
view, or a CLI command) commits once at the end, or rolls back everything.
"""
