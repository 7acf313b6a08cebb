"""``make cost``: a monthly cost estimate per environment and stack, offline, from tools/cost/prices.yaml.

Quantities come from the validated configuration (the same models synthesis builds from), prices from
the table in :mod:`tools.cost.prices`; see :mod:`tools.cost.estimate` for what is counted and how.
"""
