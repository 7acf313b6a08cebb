"""cdktf tokens recognized in Python, without a round-trip to the jsii kernel.

``cdktf.Token.is_unresolved(s)`` is a jsii call (a JSON request to Node.js and back, about 0.1 ms
plus serialization) that for a string does nothing but test cdktf's string-token pattern
(``STRING_TOKEN_REGEX`` in cdktf's lib/tokens/private/encoding.js: ``${TfToken[<key>]}``).
Constructs that walk large documents (chart values: thousands of strings per platform stack) asked
it once per string. :func:`is_unresolved` answers the same for strings here and passes anything
else (numbers, lists, objects, which cdktf encodes differently) to cdktf; tests/test_synth_budget.py
checks the two agree.
"""

from __future__ import annotations

import re
from typing import Any

#: cdktf's BEGIN_STRING_TOKEN_MARKER, VALID_KEY_CHARS and END_TOKEN_MARKER, as its regular expression joins them.
STRING_TOKEN = re.compile(r"\$\{TfToken\[[a-zA-Z0-9:._-]+\]\}")


def is_unresolved(value: Any) -> bool:
    """``cdktf.Token.is_unresolved(value)``; for a ``str`` without asking the jsii kernel."""
    if isinstance(value, str):
        return STRING_TOKEN.search(value) is not None
    from cdktf import Token

    return Token.is_unresolved(value)
