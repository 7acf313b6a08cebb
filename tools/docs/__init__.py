"""Documents generated from the code (``make docs``): the configuration reference and the JSON Schema of
environment files (:mod:`tools.docs.config_reference`). Each is checked for staleness by a test."""
