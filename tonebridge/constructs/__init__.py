"""Reusable constructs. Each takes ``(scope, id, props)`` with a typed props object, validates
it early, and knows nothing about ToneBridge's environments."""
