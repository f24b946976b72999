"""Pure domain rules: states, transitions, policy, deadlines.

Nothing in this package imports Flask or a database session; callers pass plain values in.
"""
