"""Construct props and the field types they share: plain typed data, no cdktf.

This is the rules layer the configuration models and the constructs both build on: configuration
imports it without loading a provider, and a construct validates its props with the same types.
Nothing here may import cdktf, jsii, constructs or a provider (tests/test_layers.py).
"""
