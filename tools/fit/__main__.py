"""``python -m tools.fit [cdktf.out]``: the cluster-fit check (``make fit``); see :mod:`tools.fit.command`."""

import sys

from tools.fit.command import main

sys.exit(main(sys.argv[1:]))
