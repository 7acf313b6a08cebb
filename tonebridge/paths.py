"""Where the project's own files are, wherever it is cloned (no machine path is ever written down)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The Node 22 that package-lock.json installs; jsii runs on it (the machine's Node may be end of life).
PROJECT_NODE_BIN = PROJECT_ROOT / "node_modules" / ".bin"


def prefer_project_node(env: dict) -> None:
    """Run jsii on the project's Node 22 unless JSII_NODE already says otherwise."""
    if "JSII_NODE" not in env and (PROJECT_NODE_BIN / "node").exists():
        env["JSII_NODE"] = str(PROJECT_NODE_BIN / "node")
