"""What `make` says while it installs: a line before the minute of quiet, none of setuptools'
notice that an editable install follows the working tree (which is the point of it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def install_commands() -> list[str]:
    """The commands `make` would run to install, as it would run them (dry run, forced)."""
    shown = subprocess.run(
        ["make", "--always-make", "--dry-run", ".venv/.installed"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout.splitlines()


def test_the_install_says_what_it_installs_before_it_starts() -> None:
    commands = install_commands()
    pip_install = next(i for i, line in enumerate(commands) if "pip install" in line)
    announced = [line for line in commands[:pip_install] if line.startswith("echo ")]
    assert announced and "installing toss-graphql" in announced[0]


def test_the_install_silences_setuptools_editable_notice() -> None:
    (install,) = [line for line in install_commands() if "pip install" in line and "-e" in line]
    assert install.startswith("PYTHONWARNINGS=")
    filters = install.split()[0].removeprefix("PYTHONWARNINGS=").strip("\"'")
    # The notice, as setuptools' build backend raises it during the editable build.
    notice = (
        "import warnings; warnings.warn('Editable installation.\\n!!\\n Please be careful with "
        "folders in your working directory', UserWarning)"
    )
    env = {**os.environ, "PYTHONWARNINGS": filters}
    silenced = subprocess.run(
        [sys.executable, "-c", notice], env=env, capture_output=True, text=True, check=True
    )
    env.pop("PYTHONWARNINGS")
    shown = subprocess.run(
        [sys.executable, "-c", notice], env=env, capture_output=True, text=True, check=True
    )
    assert "Editable installation" in shown.stderr
    assert silenced.stderr == ""
