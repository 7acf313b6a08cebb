"""Policy scan: checkov over synthesized stacks, measured against policy/checkov_skips.yaml.

`python -m tools.policy [cdktf.out]` prints every unexpected finding and every stale
skip, and exits non-zero if there is any; the tests and the Jenkinsfile both use it.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from tonebridge.paths import PROJECT_ROOT

SKIPS_FILE = PROJECT_ROOT / "policy" / "checkov_skips.yaml"


@dataclass(frozen=True)
class Skip:
    check: str
    stack: str
    resource: str
    reason: str
    scan: str = "both"  # where the finding appears: "synthesized", "plan" (the emulator deploy) or "both"

    def matches(self, finding: Finding) -> bool:
        return (
            finding.check == self.check
            and fnmatch.fnmatchcase(finding.stack, self.stack)
            and fnmatch.fnmatchcase(finding.resource, self.resource)
        )


@dataclass(frozen=True)
class Finding:
    check: str
    stack: str
    resource: str
    name: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.resource}: {self.check} {self.name}"


@dataclass(frozen=True)
class Report:
    passed: int
    findings: list[Finding]
    unexpected: list[Finding]
    stale: list[Skip]

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.stale


def load_skips(path: Path = SKIPS_FILE) -> list[Skip]:
    entries = yaml.safe_load(path.read_text())["skips"]
    skips = [Skip(**entry) for entry in entries]
    for skip in skips:
        if skip.scan not in ("synthesized", "plan", "both"):
            raise ValueError(f"{path}: {skip.check}: scan must be synthesized, plan or both")
        if len(skip.reason.strip()) < 20:
            raise ValueError(f"{path}: {skip.check}: every skip needs a real reason")
    return skips


def _scannable_copy(stacks_dir: Path, into: Path) -> None:
    """Copy every stack's cdk.tf.json for checkov, without ``terraform.required_version``.

    checkov 3.3's terraform_json parser expects only blocks under ``terraform`` and fails on
    that one string; it carries no policy, and a stack checkov cannot parse would pass unseen.
    """
    for source in sorted(stacks_dir.glob("*/cdk.tf.json")):
        document = json.loads(source.read_text())
        document.get("terraform", {}).pop("required_version", None)
        target = into / source.parent.name / source.name
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(document))


def _checkov(directory: Path, framework: str) -> tuple[int, list[Finding]]:
    """checkov (offline: --skip-download) over ``directory``/<stack>/<file>; findings by stack."""
    checkov = shutil.which("checkov", path=str(Path(sys.executable).parent)) or shutil.which("checkov")
    if not checkov:
        raise SystemExit("checkov is not installed (run `make install`)")
    args = ["-d", str(directory), "--framework", framework, "--output", "json", "--quiet", "--compact"]
    result = subprocess.run([checkov, *args, "--skip-download"], capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1) or not result.stdout.strip() or "Failed to parse" in result.stderr:
        raise SystemExit(f"checkov failed ({result.returncode}):\n{result.stderr[-3000:]}")
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    passed, findings = 0, []
    for report in reports:
        passed += report["summary"]["passed"]
        for failed in report["results"]["failed_checks"]:
            stack = Path(failed["file_path"]).parent.name
            findings.append(Finding(failed["check_id"], stack, failed["resource"], failed["check_name"]))
    return passed, findings


def _report(passed: int, findings: list[Finding], skips: list[Skip] | None, scan: str) -> Report:
    skips = [s for s in (load_skips() if skips is None else skips) if s.scan in (scan, "both")]
    unexpected = [f for f in findings if not any(s.matches(f) for s in skips)]
    stale = [s for s in skips if not any(s.matches(f) for f in findings)]
    return Report(passed, findings, unexpected, stale)


def scan(stacks_dir: Path, skips: list[Skip] | None = None) -> Report:
    """Every synthesized stack (``<outdir>/stacks``); stale skips are reported."""
    with tempfile.TemporaryDirectory(prefix="checkov-") as scratch:
        _scannable_copy(stacks_dir, Path(scratch))
        return _report(*_checkov(Path(scratch), "terraform_json"), skips, "synthesized")


def scan_plans(plans: dict[str, Path], skips: list[Skip] | None = None) -> Report:
    """Terraform plans in JSON (``terraform show -json``), by stack name: what checkov sees once
    references are resolved. Only ``unexpected`` matters: the plans cover the emulated stacks only,
    so a skip for another stack is not stale here."""
    with tempfile.TemporaryDirectory(prefix="checkov-plans-") as scratch:
        for stack, plan in plans.items():
            (Path(scratch) / stack).mkdir()
            shutil.copy(plan, Path(scratch) / stack / "tfplan.json")
        return _report(*_checkov(Path(scratch), "terraform_plan"), skips, "plan")


def main(argv: list[str]) -> int:
    outdir = Path(argv[0]) if argv else PROJECT_ROOT / "cdktf.out"
    report = scan(outdir / "stacks")
    accepted = len(report.findings) - len(report.unexpected)
    print(
        f"checkov: {report.passed} passed, {accepted} failed but accepted in {SKIPS_FILE.name}, "
        f"{len(report.unexpected)} unexpected failures, {len(report.stale)} stale skips"
    )
    for finding in report.unexpected:
        print(f"FAILED {finding}")
    for skip in report.stale:
        print(f"STALE skip {skip.check} {skip.stack} {skip.resource}: matches nothing; remove it")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
