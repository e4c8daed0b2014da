"""Fail when a module of the product (tests and migrations aside) grows past the line limit
in pyproject.toml ([tool.kizuna.module-size]), unless the allow-list there names it with a
reason. Split a module that grows by noun instead (CONTRIBUTING.md, section 2).

    python scripts/check-module-size.py [PROJECT_ROOT]"""

import sys
import tomllib
from pathlib import Path


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["kizuna"]["module-size"]
    limit: int = config["limit"]
    allowed: dict[str, str] = config.get("allow", {})
    failures = []
    for path in sorted((root / "kizuna").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if "/tests/" in relative or "/migrations/" in relative:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit and relative not in allowed:
            failures.append(f"{relative}: {lines} lines (limit {limit})")
    for relative, reason in allowed.items():
        if not reason.strip():
            failures.append(f"{relative}: the allow-list entry needs a reason")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
