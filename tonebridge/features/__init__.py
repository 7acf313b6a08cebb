"""Features: what a stack composes. Each takes its settings (the configuration schema in ``tonebridge.props``)
and the wiring it needs from other features as arguments, builds its constructs in the caller's scope (no new
construct-path level, so logical ids stay as they were), and returns what other features need as a typed result.

A feature never reads configuration (``tonebridge.config``) or another construct's props, and never sets
attributes on the stack: the order of a stack's features is its data flow (tests/test_layers.py).
"""
