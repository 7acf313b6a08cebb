"""Every command the README and docs/ document must be one the project supports (issue 22, Build 2 and 3).

The README, the guide, the runbooks and the other documents are read as an operator reads them: the commands
are the text in code spans and fenced code blocks. Each `make <target>` must be a Makefile target, each stack
named to `npx cdktf deploy|diff|destroy|output|plan` or in `cdktf.out/stacks/<stack>` must be a stack of the
production synthesis, each `scripts/...` a file of the repository and each `python -m tools.<x>` a module of
tools/. Prose outside code ("make the code match") is not a command. Placeholders (`<stack>`) are skipped: they
stand for a real name the text names elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RUNBOOKS = (
    "regional-failover.md",
    "gcp-failover.md",
    "postgres-restore.md",
    "redis-loss.md",
    "secret-rotation.md",
    "certificate-renewal.md",
    "scaling-a-pool.md",
)
RUNBOOK_SECTIONS = ("## Preconditions", "## Steps", "## Verification", "## Rollback")

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
SPAN = re.compile(r"`([^`\n]+)`")
MAKE = re.compile(r"(?:^|[\s;&|(])make\s+((?:[A-Z_]+=\S+\s+)*)([a-z][\w-]*)")
CDKTF = re.compile(r"npx cdktf (deploy|diff|destroy|output|plan)([^\n#;&|`]*)")  # to the line's end or comment
CHDIR = re.compile(r"cdktf\.out/stacks/([\w<>-]+)")
SCRIPT = re.compile(r"(?<![\w/.])(scripts/[\w./-]+)")
TOOLS = re.compile(r"python3? -m (tools(?:\.\w+)+)")
EKS_CLUSTER = re.compile(r"aws eks [\w-]+[^\n]*?--(?:cluster-)?name\s+([\w<>-]+)")
RDS_INSTANCE = re.compile(
    r"(?:describe-db-instances[^\n]*?--db-instance-identifier|--source-db-instance-identifier)\s+([\w<>-]+)"
)


def code_text(markdown: str) -> list[str]:
    """The code an operator would type: fenced blocks, then inline spans of the remaining prose."""
    blocks = FENCE.findall(markdown)
    prose = FENCE.sub("", markdown)
    return blocks + SPAN.findall(prose)


def doc_files() -> list[Path]:
    """The README, then every document under docs/."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def commands(kind: re.Pattern) -> list[tuple[str, re.Match]]:
    found = []
    for path in doc_files():
        for code in code_text(path.read_text(encoding="utf-8")):
            found += [(path.relative_to(ROOT).as_posix(), m) for m in kind.finditer(code)]
    return found


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([a-z][\w-]*)\s*:(?!=)", text, re.M)}


def test_the_guide_and_every_runbook_exist_with_their_sections():
    assert (DOCS / "operations.md").is_file()
    for name in RUNBOOKS:
        text = (DOCS / "runbooks" / name).read_text(encoding="utf-8")
        missing = [s for s in RUNBOOK_SECTIONS if s not in text]
        assert not missing, f"docs/runbooks/{name}: missing {missing}"
    index = (DOCS / "runbooks" / "README.md").read_text(encoding="utf-8")
    assert [n for n in RUNBOOKS if f"({n})" not in index] == [], "docs/runbooks/README.md must link every runbook"


def test_code_extraction_ignores_prose():
    text = "make the code match\n`make fit` and\n```sh\nENV=x make promote-replica ENV=production\n```\n"
    found = [m.group(2) for code in code_text(text) for m in MAKE.finditer(code)]
    assert found == ["promote-replica", "fit"]


def test_every_make_target_exists():
    targets = makefile_targets()
    used = commands(MAKE)
    assert len(used) >= 10, "the guide names the make targets it uses"
    unknown = sorted({f"{path}: make {m.group(2)}" for path, m in used if m.group(2) not in targets})
    assert not unknown, "\n".join(unknown)


def test_every_script_and_tools_module_exists():
    scripts = commands(SCRIPT)
    modules = commands(TOOLS)
    assert scripts and modules
    missing = sorted({f"{path}: {m.group(1)}" for path, m in scripts if not (ROOT / m.group(1).rstrip(".")).is_file()})
    for path, m in modules:
        base = ROOT / Path(*m.group(1).split("."))
        package, module = base / "__main__.py", base.with_suffix(".py")
        runnable = package.is_file() or (
            module.is_file() and 'if __name__ == "__main__"' in module.read_text(encoding="utf-8")
        )
        if not runnable:  # `python -m` runs a package's __main__ or a module's main guard
            missing.append(f"{path}: python -m {m.group(1)}")
    assert not missing, "\n".join(missing)


@pytest.fixture(scope="module")
def production_stacks(manifest) -> set[str]:
    names = {name for name in manifest if name.startswith("production-")}
    assert "production-global" in names
    return names


def test_every_stack_named_is_one_production_synthesizes(production_stacks):
    named: list[tuple[str, str]] = []
    for path, m in commands(CDKTF):
        named += [(path, arg) for arg in m.group(2).split() if not arg.startswith(("-", "<"))]
    named += [(path, m.group(1)) for path, m in commands(CHDIR) if "<" not in m.group(1)]
    assert named
    unknown = sorted({f"{path}: {stack}" for path, stack in named if stack not in production_stacks})
    assert not unknown, "\n".join(unknown)


def test_the_guide_deploys_every_production_stack(production_stacks):
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    deployed = {
        arg
        for code in code_text(text)
        for m in CDKTF.finditer(code)
        if m.group(1) == "deploy"
        for arg in m.group(2).split()
        if not arg.startswith("-")
    }
    assert production_stacks - deployed == set(), "docs/operations.md must deploy every production stack"


def _named_in_synthesis(stacks: dict, kind: str, attribute: str) -> set[str]:
    return {r[attribute] for stack in stacks.values() for r in stack.get("resource", {}).get(kind, {}).values()}


def test_every_cluster_and_database_a_command_names_exists(stacks):
    """`aws eks ... --name X` and `aws rds describe-db-instances --db-instance-identifier X` (or a restore's
    source) name a cluster or instance the synthesis creates: a runbook's first verification step must not
    fail with ResourceNotFound (operations.md once named clusters `tonebridge-production-<region>`)."""
    clusters = _named_in_synthesis(stacks, "aws_eks_cluster", "name")
    instances = _named_in_synthesis(stacks, "aws_db_instance", "identifier")
    assert "tonebridge-production" in clusters and "tonebridge-production" in instances
    unknown = [
        f"{path}: {m.group(0)}"
        for pattern, known in ((EKS_CLUSTER, clusters), (RDS_INSTANCE, instances))
        for path, m in commands(pattern)
        if "<" not in m.group(1) and m.group(1) not in known
    ]
    assert len(commands(EKS_CLUSTER)) >= 2 and len(commands(RDS_INSTANCE)) >= 2
    assert not unknown, "\n".join(unknown)
