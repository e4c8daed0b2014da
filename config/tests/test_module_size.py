"""The lint step that keeps modules under the line limit, with its allow-list."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check-module-size.py"


def _project(tmp_path: Path, lines: int, allow: str = "{}") -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.kizuna.module-size]\nlimit = 500\nallow = {allow}\n"
    )
    app = tmp_path / "kizuna" / "shop"
    (app / "tests").mkdir(parents=True)
    (app / "services.py").write_text("x = 1\n" * lines)
    (app / "tests" / "test_long.py").write_text("x = 1\n" * 900)  # tests may be long
    return tmp_path


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


def test_a_module_at_the_limit_passes(tmp_path: Path) -> None:
    assert _check(_project(tmp_path, 500)).returncode == 0


def test_a_module_past_the_limit_fails_and_is_named(tmp_path: Path) -> None:
    result = _check(_project(tmp_path, 501))
    assert result.returncode == 1
    assert "kizuna/shop/services.py: 501 lines (limit 500)" in result.stderr


def test_the_allow_list_lets_a_module_grow_with_a_reason(tmp_path: Path) -> None:
    allowed = '{"kizuna/shop/services.py" = "one table of rules, read as one"}'
    assert _check(_project(tmp_path, 700, allowed)).returncode == 0


def test_an_allow_list_entry_without_a_reason_fails(tmp_path: Path) -> None:
    result = _check(_project(tmp_path, 700, '{"kizuna/shop/services.py" = " "}'))
    assert result.returncode == 1
    assert "needs a reason" in result.stderr


def test_the_product_itself_passes() -> None:
    assert _check(SCRIPT.parents[1]).returncode == 0
