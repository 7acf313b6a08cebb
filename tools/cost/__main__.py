"""``make cost``: print the monthly estimate of every environment (or those in TONEBRIDGE_ENVIRONMENTS).

    python -m tools.cost [--environment NAME ...]

Offline: prices from tools/cost/prices.yaml, quantities from environments/*.yaml. Exit 2 when a
configuration is rejected or the price table lacks a price the configuration needs (named).
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from tonebridge.cli import report
from tonebridge.config import ConfigError, load_selected
from tools.cost.estimate import Line, environment_lines, totals
from tools.cost.prices import PRICES_FILE, PriceTable, UnknownPrice, load_prices


def usd(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):,.2f}"


def render(name: str, lines: list[Line], prices: PriceTable) -> str:
    """One environment: its lines grouped by stack, each stack's total, the environment's total."""
    item_w = max(len(line.item) for line in lines) + 2
    qty_w = max(len(line.quantity) for line in lines) + 2
    head = f"{'':2}{'item':<{item_w}}{'quantity':<{qty_w}}{'at min':>12}{'at max':>12}"
    out = [
        f"== {name}: USD per month, on-demand list prices (tools/cost/{PRICES_FILE.name}, oldest entry recorded "
        f"{prices.oldest_date().isoformat()}), {prices.hours_per_month} h/month",
        "   (prices transcribed without network access, not yet checked against the providers' pages: "
        "verify them there before budgeting)",
        head,
    ]
    by_stack = totals(lines)
    for stack, (low, high) in by_stack.items():
        out.append(stack)
        for line in (x for x in lines if x.stack == stack):
            out.append(f"  {line.item:<{item_w}}{line.quantity:<{qty_w}}{usd(line.low):>12}{usd(line.high):>12}")
        out.append(f"  {'stack total':<{item_w + qty_w}}{usd(low):>12}{usd(high):>12}")
    low = sum((x[0] for x in by_stack.values()), Decimal(0))
    high = sum((x[1] for x in by_stack.values()), Decimal(0))
    out.append(f"{name} total{'':<{item_w + qty_w - len(name) - 4}}{usd(low):>12}{usd(high):>12}")
    return "\n".join(out)


def assumptions(prices: PriceTable) -> str:
    a = prices.assumptions.model_dump()
    return "Usage assumed (prices.yaml, assumptions): " + ", ".join(f"{k} {v}" for k, v in a.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cost", description=__doc__.split("\n")[0])
    parser.add_argument("--environment", action="append", help="only this environment (repeatable)")
    args = parser.parse_args(argv)
    try:
        envs = load_selected()
    except ConfigError as exc:
        return report(exc)
    if args.environment:
        unknown = sorted(set(args.environment) - {e.name for e in envs})
        if unknown:
            print(f"no environment {', '.join(unknown)} (have: {', '.join(e.name for e in envs)})", file=sys.stderr)
            return 2
        envs = [e for e in envs if e.name in args.environment]
    prices = load_prices()
    blocks = []
    for env in envs:
        try:
            blocks.append(render(env.name, environment_lines(env, prices), prices))
        except UnknownPrice as exc:
            print(f"{env.name}: {exc}", file=sys.stderr)
            return 2
    print("\n\n".join(blocks))
    print()
    print(assumptions(prices))
    print(
        "Not counted: Karpenter's spot nodes, CloudWatch, ECR storage, KMS keys other than the state key"
        " ($1/month each) and KMS requests, cross-zone traffic, DynamoDB, taxes, support plans."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
